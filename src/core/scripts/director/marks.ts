/**
 * The director's nftables table for firewall-mark services: packets to a VIP on one of a
 * service's ports get the service's mark before IPVS sees them (prerouting, at the mangle
 * priority), and IPVS balances them as one fwmark service. One table per cluster, named after its
 * VIP, which the script replaces atomically: `nft -f` runs it as one transaction (create the table
 * if missing, delete it, define it again), so no packet ever sees half a table.
 */
import { hostPaths, marksTable } from "../../names";
import { type ClusterPlan, isIpv6, markOf, marksOf, virtualServices } from "../../plan";
import { call, writeFile } from "../render";

/** The nft script of the cluster's marks, or undefined when it has no firewall-mark service. */
export function renderMarksNft(plan: ClusterPlan): string | undefined {
    const rules = virtualServices(plan).flatMap(({ vip, svc }) => {
        const mark = markOf(plan, svc, vip);
        if (mark === undefined || svc.fwmark === undefined) {
            return [];
        }
        const ports = [...svc.fwmark.ports].sort((a, b) => a - b).join(", ");
        return [`${isIpv6(vip) ? "ip6" : "ip"} daddr ${vip} ${svc.protocol} dport { ${ports} } meta mark set 0x${mark.toString(16).padStart(8, "0")}`];
    });
    if (rules.length === 0) {
        return undefined;
    }
    const table = `inet ${marksTable(plan.vip)}`;
    return [
        `# lvs-dr cluster ${plan.name}: the firewall marks of its firewall-mark services (IPVS balances each mark as one service).`,
        "# Written by lvs-dr on every apply and loaded at boot: edit the Pulumi program, not this file.",
        `table ${table}`,
        `delete table ${table}`,
        `table ${table} {`,
        "\tchain prerouting {",
        "\t\ttype filter hook prerouting priority mangle; policy accept;",
        ...rules.map((r) => `\t\t${r}`),
        "\t}",
        "}",
        "",
    ].join("\n");
}

/** The cluster's nftables table and its file, deleted (nothing else of nftables is touched). */
export function removeMarks(plan: ClusterPlan): string {
    return [call("remove_marks", marksTable(plan.vip)), call("remove_file", hostPaths(plan.vip, "director").marksNft)].join("\n");
}

/**
 * The firewall marks of the rules: the cluster's nftables table loaded (or deleted when it has no
 * firewall-mark service left) before keepalived gets the configuration, and the marks list
 * extended for the table readers until the configuration is applied (then it is set exactly). A
 * marked packet whose fwmark service keepalived has not added yet goes to the VIP's port service,
 * if any: IPVS looks up a mark first, then the address and port.
 */
export function marksStep(plan: ClusterPlan): string {
    const p = hostPaths(plan.vip, "director");
    const nft = renderMarksNft(plan);
    if (nft === undefined) {
        return removeMarks(plan);
    }
    return [
        call("install_tool", "nft", "nftables"),
        writeFile(p.marksNft, "0644", nft),
        call("apply_marks", p.marksNft),
        call("expect_marks", ...marksOf(plan)),
    ].join("\n");
}
