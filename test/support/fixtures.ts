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

export const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake lvs-dr-test";

/** A valid cluster on the libvirt platform (isolated network created, addresses planned). */
export function validLibvirtArgs(): LvsDrClusterArgs {
    return {
        vip: "192.168.77.100",
        services: [{ port: 80 }],
        ssh: { user: "root", privateKey: FAKE_KEY, publicKey: PUBLIC_KEY },
        libvirt: {
            subnet: "192.168.77.0/24",
            baseImage: "/var/lib/lvsdr-lab/images/base.qcow2",
            domainType: "qemu",
            realServers: [{}, {}],
        },
    };
}

/** A valid cluster on the AWS platform (VPC created, addresses planned). */
export function validAwsArgs(): LvsDrClusterArgs {
    return {
        vip: "10.77.1.100",
        services: [{ port: 80 }, { port: 53, protocol: "udp" }],
        forwarding: "dr",
        ssh: { user: "admin", privateKey: FAKE_KEY, publicKey: PUBLIC_KEY },
        aws: {
            adminCidrs: ["203.0.113.7/32"],
            realServers: [{ name: "a" }, { name: "b", weight: 2 }],
        },
    };
}
