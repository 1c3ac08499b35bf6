/**
 * The validated, defaulted model of a cluster. Everything downstream (scripts, platforms, the
 * component) reads this and never the raw args, so each default is decided in exactly one place.
 */

export const SCHEDULERS = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const PROTOCOLS = ["tcp", "udp"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const FORWARDING_METHODS = ["dr", "tun"] as const;
export type Forwarding = (typeof FORWARDING_METHODS)[number];

export interface ServicePlan {
    protocol: Protocol;
    port: number;
    scheduler: Scheduler;
    /** 0 = no persistence. */
    persistenceSeconds: number;
}

/** Connection settings with every default applied; the private key stays with the component. */
export interface SshPlan {
    host: string;
    user: string;
    port: number;
    sudo: boolean;
    hostKey?: string;
}

export interface HostPlan {
    /** Address on the load-balancing subnet. */
    address: string;
    /** Subnet-facing interface. */
    interface: string;
    ssh: SshPlan;
}

export interface RealServerPlan extends HostPlan {
    /** Stable key used in resource names. */
    name: string;
    weight: number;
}

export interface ClusterPlan {
    vip: string;
    forwarding: Forwarding;
    services: ServicePlan[];
    director: HostPlan;
    realServers: RealServerPlan[];
    /** CIDR of the subnet when known. */
    subnet?: string;
}

export const DEFAULTS = {
    forwarding: "dr" as Forwarding,
    protocol: "tcp" as Protocol,
    scheduler: "wlc" as Scheduler,
    interface: "eth0",
    weight: 1,
    sshPort: 22,
};
