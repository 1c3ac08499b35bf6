/**
 * Where the scripts persist state on a host. Everything is keyed by the VIP, so two clusters with
 * different VIPs can share a machine, and teardown knows exactly which files are its own.
 * Writes go only under /etc and /var/lib (the namespace test relies on this to sandbox them).
 */
export type Role = "director" | "realserver";

export interface HostPaths {
    /** Generated scripts and the saved IPVS table. */
    configDir: string;
    /** The kernel-state script run by setup and at every boot. */
    upScript: string;
    /** Values of sysctls before the first setup, restored by teardown. */
    stateDir: string;
    originalSysctls: string;
    sysctlConf: string;
    unitName: string;
    unitFile: string;
    /** The symlink `systemctl enable` would create; made by hand so it also works without systemd running. */
    unitWantsLink: string;
    /** Director only: the cluster's IPVS entries as `ipvsadm -S` lines, restored at boot. */
    rulesFile: string;
    /** Director only: loads ip_vs early at boot, so that systemd-sysctl finds net/ipv4/vs. */
    modulesLoadConf: string;
}

export function hostPaths(vip: string, role: Role): HostPaths {
    const configDir = `/etc/lvs-dr/${vip}`;
    const stateDir = `/var/lib/lvs-dr/${vip}`;
    const unitName = `lvs-dr-${role}-${vip}.service`;
    return {
        configDir,
        upScript: `${configDir}/${role}-up.sh`,
        stateDir,
        originalSysctls: `${stateDir}/${role}-sysctl.orig`,
        sysctlConf: `/etc/sysctl.d/90-lvs-dr-${role}-${vip}.conf`,
        unitName,
        unitFile: `/etc/systemd/system/${unitName}`,
        unitWantsLink: `/etc/systemd/system/multi-user.target.wants/${unitName}`,
        rulesFile: `${configDir}/ipvs.rules`,
        modulesLoadConf: `/etc/modules-load.d/lvs-dr-${role}-${vip}.conf`,
    };
}
