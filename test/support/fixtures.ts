import type { LvsDrClusterArgs } from "../../src/args";

/** A private key that is fake but shaped like one, so a leak is easy to grep for. */
export const FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nlvs-dr-test-key-do-not-leak\n-----END OPENSSH PRIVATE KEY-----\n";

/** A fresh, valid argument object; tests mutate their own copy. */
export function validArgs(): LvsDrClusterArgs {
    return {
        vip: "192.168.77.100",
        services: [{ port: 80 }],
        ssh: { user: "root", privateKey: FAKE_KEY },
        hosts: {
            subnet: "192.168.77.0/24",
            director: { address: "192.168.77.10" },
            realServers: [{ address: "192.168.77.11" }, { address: "192.168.77.12" }],
        },
    };
}
