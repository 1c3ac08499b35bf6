/**
 * Clusters of one program on a shared director: a VIP, a VRRP router id (on one interface) or a
 * firewall mark that another cluster of the program claims there is refused at preview, before
 * anything is registered. (The host scripts refuse the same on the director for other stacks:
 * test/netns, "two clusters on one director".)
 */
import { strict as assert } from "assert";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { claimsOf, sharedDirectorProblems } from "../../src/core/validation/shared-directors";
import { validArgs } from "../support/fixtures";
import { deploy, lvsdr } from "../support/mocks";

/** A pair on 192.168.77.10/.9 serving `vip` with router id `id` and a firewall-mark service. */
function pair(vip: string, id: number, mark: number, iface = "eth0"): LvsDrClusterArgs {
    const a = validArgs();
    a.vip = vip;
    a.services = [{ port: 80 }, { ports: [8080, 8443], fwmark: mark }];
    a.hosts!.director!.interface = iface;
    a.hosts!.backupDirector = { address: "192.168.77.9", interface: iface };
    a.vrrp = { virtualRouterId: id };
    return a;
}

describe("clusters sharing a director in one program", () => {
    it("a VIP, a router id on the same interface, a firewall mark: each is named with its field and the other cluster", () => {
        const first = claimsOf(validateClusterArgs(pair("192.168.77.100", 51, 100), "a"));
        const clash = claimsOf(validateClusterArgs(pair("192.168.77.100", 51, 100), "b"));
        const problems = sharedDirectorProblems(clash, [first]);
        assert.deepEqual(problems.map((p) => [p.field, p.value]), [["vip", "192.168.77.100"], ["vrrp.virtualRouterId", 51], ["services[1]", 100]]);
        for (const p of problems) {
            assert.match(p.problem, /director 192\.168\.77\.(10|9) with cluster "a"/);
        }
        const apart = claimsOf(validateClusterArgs(pair("192.168.77.101", 52, 101), "b"));
        assert.deepEqual(sharedDirectorProblems(apart, [first]), [], "another VIP, router id and mark share the directors fine");
        const otherNic = claimsOf(validateClusterArgs(pair("192.168.77.101", 51, 101, "eth1"), "b"));
        assert.deepEqual(sharedDirectorProblems(otherNic, [first]), [], "keepalived keeps router ids per interface");
        const elsewhere = validArgs();
        elsewhere.hosts!.director!.address = "192.168.77.20";
        assert.deepEqual(sharedDirectorProblems(claimsOf(validateClusterArgs(elsewhere, "c")), [first]), [], "no shared director, nothing to refuse");
    });

    it("the component refuses the second cluster before registering anything", async () => {
        await deploy(pair("192.168.77.100", 51, 100), "a");
        assert.throws(() => new lvsdr.LvsDrCluster("b", pair("192.168.77.101", 51, 101)),
            (e: unknown) => e instanceof lvsdr.LvsDrArgsError && /vrrp\.virtualRouterId = 51: is also the VRRP router id of director 192\.168\.77\.10 with cluster "a" on eth0/.test(e.message));
        assert.doesNotThrow(() => new lvsdr.LvsDrCluster("c", pair("192.168.77.102", 53, 102)));
    });
});
