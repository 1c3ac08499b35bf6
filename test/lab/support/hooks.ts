/**
 * Root hooks of the VM suites' mocha runs (`require` in their .mocharc): whatever the suites did,
 * the run ends with the shared lab's VMs, network and key gone.
 */
import { releaseSharedLab } from "../../../lab/harness/lab";

export const mochaHooks = {
    afterAll(): void {
        releaseSharedLab();
    },
};
