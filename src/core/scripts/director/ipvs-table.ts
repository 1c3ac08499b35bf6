/**
 * The director's table as ipvsadm writes it (`ipvsadm -Sn` lines): what the rules wait for
 * keepalived to reach after a reload, and what tells them which live real servers are leaving.
 */
import { withPort } from "../../ip";
import { addressFor, type ClusterPlan, markOf, realServerPort, type ServicePlan, sorryServerFor, virtualServices } from "../../plan";

const PROTOCOL_FLAG = { tcp: "-t", udp: "-u" } as const;

/**
 * `ipvsadm` service selector words, e.g. `["-t", "192.168.77.100:80"]`, `["-t", "[fd77::100]:80"]`,
 * `["-f", "1280706562"]` for a firewall-mark service.
 */
export function serviceSelector(plan: ClusterPlan, svc: ServicePlan, vip = plan.vip): [string, string] {
    const mark = markOf(plan, svc, vip);
    return mark === undefined ? [PROTOCOL_FLAG[svc.protocol], withPort(vip, svc.port)] : ["-f", String(mark)];
}

/** The IPVS forwarding flag: `-g` gatewaying (DR) or `-i` IPIP tunnelling. */
export function forwardingFlag(plan: ClusterPlan): string {
    return plan.forwarding === "dr" ? "-g" : "-i";
}

/** The desired table in `ipvsadm -Sn` syntax; `allWeightsZero` for the drain before the cluster's removal. */
export function desiredIpvsRules(plan: ClusterPlan, allWeightsZero = false): string[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const [flag, addr] = serviceSelector(plan, svc, vip);
        const persistence = svc.persistenceSeconds > 0 ? ` -p ${svc.persistenceSeconds}` : "";
        return [
            `-A ${flag} ${addr} -s ${svc.scheduler}${persistence}`,
            ...plan.realServers.map((rs) =>
                `-a ${flag} ${addr} -r ${withPort(addressFor(rs, vip), realServerPort(svc))} ${forwardingFlag(plan)} -w ${allWeightsZero ? 0 : rs.weight}`),
        ];
    });
}

/** Sorry servers as the real-server keys keepalived gives them in the table. */
export function sorryKeys(plan: ClusterPlan): string[] {
    return virtualServices(plan).flatMap(({ vip, svc }) => {
        const [flag, addr] = serviceSelector(plan, svc, vip);
        const sorry = sorryServerFor(svc, vip);
        return sorry ? [`${flag} ${addr} ${withPort(sorry, svc.port)}`] : [];
    });
}

/**
 * The rules hand the desired table to awk through its environment, and Linux refuses one
 * environment string over 128 KiB (MAX_ARG_STRLEN): about 2,500 entries, 1,250 real servers x 2
 * services. Validation refuses a larger table, before any resource exists.
 */
export const TABLE_LIMIT = 120 * 1024;

/** The desired table's size as the rules pass it. */
export function tableBytes(plan: ClusterPlan): number {
    return Buffer.byteLength(desiredIpvsRules(plan).join("\n"));
}
