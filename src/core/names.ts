/**
 * The names the core gives: Pulumi resources of hosts, files and units on the hosts, VRRP
 * instances and firewall marks. No other module spells one, so a rename happens here or nowhere
 * (each platform's folder has a names.ts for what it alone names: VMs, networks, tags).
 *
 * Resource names are what Pulumi keys state by: changing one replaces the resource in every
 * existing stack. The first director keeps the role `director` for that reason.
 */
import type { ClusterPlan, HostPlan, RealServerPlan } from "./plan";

/**
 * The role of the director at `index` in the plan's list: `director`, then `director-1` (a pair's
 * backup); a director of a `directors` list (active-active) by its name, `director-<name>`.
 */
export function directorRole(index: number, name?: string): string {
    return name !== undefined ? `director-${name}` : index === 0 ? "director" : `director-${index}`;
}

/** The role of a real server: `rs-<name>`. */
export function realServerRole(name: string): string {
    return `rs-${name}`;
}

/** The role of one of the plan's hosts: a director's by its place in the list, a real server's by its name. */
export function roleOf(plan: Pick<ClusterPlan, "directors">, host: HostPlan | RealServerPlan): string {
    const index = plan.directors.indexOf(host);
    return index >= 0 ? directorRole(index, host.name) : realServerRole((host as RealServerPlan).name);
}

/**
 * What a child resource of a host does, in `<cluster>-<role>-<step>`. `access`: a created
 * machine's login user's authorized keys; `drain-<director role>`: a real server's drain hook on
 * that director.
 */
export type HostStep = "setup" | "rules" | "ssh" | "access" | "vm" | "host-key" | `drain-${string}`;

/** A child resource of one host: `<cluster>-<role>-<step>`, e.g. `web-rs-a-setup`. */
export function hostResourceName(cluster: string, role: string, step: HostStep): string {
    return `${cluster}-${role}-${step}`;
}

/** A child resource of the cluster as a whole (a network, a security group, ...): `<cluster>-<what>`. */
export function clusterResourceName(cluster: string, what: string): string {
    return `${cluster}-${what}`;
}

/** 32-bit FNV-1a: stable across runs and machines, no crypto needed for naming. */
export function fnv1a(text: string): number {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, "utf8")) {
        hash ^= byte;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash;
}

/**
 * The derived firewall mark of a `ports` service: even, in 0x4c560000-0x4c56fffe ("LV" in the high
 * half, out of the low values firewalls and routing rules usually use), from the VIP, the protocol
 * and the sorted ports, so that reordering the ports keeps the mark. The odd mark above it is the
 * same service's on the IPv6 VIP of a dual-stack cluster.
 */
export function derivedFwmark(vip: string, protocol: string, ports: number[]): number {
    const key = `${vip} ${protocol} ${[...ports].sort((a, b) => a - b).join(",")}`;
    return 0x4c560000 + (fnv1a(key) % 0x8000) * 2;
}

/**
 * A cluster's name where dots and colons are not allowed, `lvs_dr_<vip>`: its VRRP instance, and
 * the director's nftables table (`inet lvs_dr_<vip>`) that marks its firewall-mark services.
 */
export function marksTable(vip: string): string {
    return `lvs_dr_${vip.replace(/[.:]/g, "_")}`;
}

/** The VRRP instance of a cluster: one name per VIP, so clusters on one director never clash. */
export const vrrpInstanceOf = marksTable;

/**
 * A pair director's nftables table that accepts the cluster's VRRP adverts from the peer only,
 * `inet lvs_dr_vrrp_<vip>`: its own table, apart from the marks' (`marksTable`, which the rules
 * replace as a whole). `vrrp` holds letters no VIP has, so the two names never meet.
 */
export function vrrpGuardTable(vip: string): string {
    return `lvs_dr_vrrp_${vip.replace(/[.:]/g, "_")}`;
}

/** Where active-active directors keep their BGP speaker and health gate (`modes/bgp.ts`). */
export interface BgpPaths {
    /** The cluster's BIRD configuration. */
    birdConf: string;
    /** The gate script keepalived's quorum hooks run. */
    gateScript: string;
    /** The gate's state (/run: a reboot starts with the gate closed). */
    gateDir: string;
    /** The BIRD unit's runtime directory (its control socket is `bird.ctl` there). */
    socketDir: string;
    birdSocket: string;
    unitName: string;
    unitFile: string;
    unitWantsLink: string;
    /** keepalived's drop-in that closes the gate when keepalived stops. */
    keepalivedDropIn: string;
}

export function bgpPaths(vip: string): BgpPaths {
    const configDir = hostPaths(vip, "director").configDir;
    const unitName = `lvs-dr-bgp-${vip}.service`;
    const socketDir = `/run/lvs-dr-bgp-${vip}`;
    return {
        birdConf: `${configDir}/director-bird.conf`,
        gateScript: `${configDir}/director-bgp-gate.sh`,
        gateDir: `/run/lvs-dr-bgp-gate-${vip}`,
        socketDir,
        birdSocket: `${socketDir}/bird.ctl`,
        unitName,
        unitFile: `/etc/systemd/system/${unitName}`,
        unitWantsLink: `/etc/systemd/system/multi-user.target.wants/${unitName}`,
        keepalivedDropIn: `/etc/systemd/system/keepalived.service.d/lvs-dr-bgp-${vip}.conf`,
    };
}

/** The two kinds of host the scripts configure. */
export type HostKind = "director" | "realserver";

/**
 * Where the scripts keep things on a host. Files of one cluster are keyed by its VIP, so clusters
 * with different VIPs can share a machine and teardown knows exactly which files are its own.
 * Writes go only under /etc and /var/lib (the namespace tests rely on this to sandbox them).
 */
export interface HostPaths {
    /** Generated scripts and the saved IPVS table of this cluster. */
    configDir: string;
    /** The kernel-state script run by setup and at every boot. */
    upScript: string;
    /** A pair whose network needs a takeover hook: keepalived runs it on becoming master. */
    takeVipScript: string;
    /** Host-wide state of every cluster of this kind. */
    stateDir: string;
    /** Values of sysctls before the first setup on this host, restored by the last teardown. */
    originalSysctls: string;
    /** Where lvs-dr 0.1.0 kept them, per cluster (adopted by setup). */
    legacyOriginalSysctls: string;
    /** The sysctl.d file of this cluster; those of the other clusters share its directory and prefix. */
    sysctlConf: string;
    sysctlConfDir: string;
    sysctlConfPrefix: string;
    unitName: string;
    unitFile: string;
    /** The symlink `systemctl enable` would create; made by hand so it also works without systemd running. */
    unitWantsLink: string;
    /** Director only: the cluster's IPVS entries as `ipvsadm -S` lines, restored at boot. */
    rulesFile: string;
    /** Director only: loads ip_vs early at boot, so that systemd-sysctl finds net/ipv4/vs. */
    modulesLoadConf: string;
    /** Director only: the nftables script that marks the firewall-mark services (rules write it, boot loads it). */
    marksNft: string;
    /** Directories the files live in that teardown removes once empty, deepest first. */
    ownDirs: string[];
}

/**
 * Where keepalived's configuration lives on a director: the main file (the operator's, or written
 * by lvs-dr when there was none) includes one file per cluster from lvs-dr's own directory.
 */
export interface KeepalivedPaths {
    mainConf: string;
    /** The line lvs-dr adds to the main file, and the only one it ever touches there. */
    includeLine: string;
    /** Where a package's sample main file is set aside while lvs-dr's own main file is in its place. */
    sampleConf: string;
    clusterDir: string;
    /** This cluster's file. */
    clusterConf: string;
    /** Where the rules write the next version of it, for `keepalived -t` before it replaces it. */
    nextConf: string;
    /** The drain step's version of it (leaving servers, or all of them, at weight 0). */
    drainConf: string;
    /**
     * The rules' configuration before held real servers are set to weight 0: what a real server's
     * drain hook re-applies when it holds or releases one (not included: it does not end in .conf).
     */
    desiredConf: string;
    /** The real servers held at weight 0 by their drain hook (one address a line) until released. */
    heldList: string;
    /**
     * The firewall marks of the cluster's services (one a line): how the table readers, the drain
     * hooks' too, find the cluster's firewall-mark services, which ipvsadm lists by mark, not VIP.
     */
    marksList: string;
}

export function keepalivedPaths(vip: string): KeepalivedPaths {
    const clusterDir = "/etc/keepalived/lvs-dr";
    return {
        mainConf: "/etc/keepalived/keepalived.conf",
        includeLine: `include ${clusterDir}/*.conf`,
        sampleConf: "/etc/keepalived/keepalived.conf.lvs-dr-sample",
        clusterDir,
        clusterConf: `${clusterDir}/${vip}.conf`,
        nextConf: `${clusterDir}/${vip}.conf.next`,
        drainConf: `${clusterDir}/${vip}.conf.drain`,
        desiredConf: `${clusterDir}/${vip}.conf.desired`,
        heldList: `${clusterDir}/${vip}.held`,
        marksList: `${clusterDir}/${vip}.marks`,
    };
}

export function hostPaths(vip: string, kind: HostKind): HostPaths {
    const configDir = `/etc/lvs-dr/${vip}`;
    const stateDir = "/var/lib/lvs-dr";
    const unitName = `lvs-dr-${kind}-${vip}.service`;
    const sysctlConfDir = "/etc/sysctl.d";
    const sysctlConfPrefix = `90-lvs-dr-${kind}-`;
    return {
        configDir,
        upScript: `${configDir}/${kind}-up.sh`,
        takeVipScript: `${configDir}/${kind}-take-vip.sh`,
        stateDir,
        originalSysctls: `${stateDir}/${kind}-sysctl.orig`,
        legacyOriginalSysctls: `${stateDir}/${vip}/${kind}-sysctl.orig`,
        sysctlConf: `${sysctlConfDir}/${sysctlConfPrefix}${vip}.conf`,
        sysctlConfDir,
        sysctlConfPrefix,
        unitName,
        unitFile: `/etc/systemd/system/${unitName}`,
        unitWantsLink: `/etc/systemd/system/multi-user.target.wants/${unitName}`,
        rulesFile: `${configDir}/ipvs.rules`,
        modulesLoadConf: `/etc/modules-load.d/lvs-dr-${kind}-${vip}.conf`,
        marksNft: `${configDir}/${kind}-marks.nft`,
        ownDirs: [configDir, "/etc/lvs-dr", stateDir],
    };
}
