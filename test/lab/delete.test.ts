/**
 * The last check of a VM run (listed last in the .mocharc files): the libvirt platform's providers
 * delete everything they created for the lab, leaving no domain, volume or network behind.
 */
import { strict as assert } from "assert";
import { libvirtObjects, sharedLab } from "../../lab/harness/lab";

describe("VM lab: the libvirt provider's delete", function () {
    it("leaves no domain, volume or network", async () => {
        const lab = await sharedLab();
        lab.destroyAll();
        assert.deepEqual(libvirtObjects("lvsdr-lab-"), []);
    });
});
