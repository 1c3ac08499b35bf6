/**
 * A director pair's VRRP guard as rendered: where the network leaves VRRP open (the `hosts` and
 * `libvirt` platforms: an L2 segment), each director's up-script (setup and every boot) loads the
 * cluster's nftables table that accepts adverts for its router id from the peer only, setup
 * installs nftables, and teardown deletes the table; on AWS (the security group limits protocol
 * 112 to the directors) and for a single director nothing of it is rendered. The guard on the real
 * kernel: test/netns/vrrp-guard.test.ts.
 */
import { strict as assert } from "assert";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { renderDirectorSetup, renderDirectorTeardown, renderDirectorUp } from "../../src/core/scripts/director";
import { library } from "../../src/core/scripts/library";
import { validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";

function pair(args: LvsDrClusterArgs = validArgs()): LvsDrClusterArgs {
    if (args.hosts) {
        args.hosts.backupDirector = { address: "192.168.77.9" };
    } else {
        (args.libvirt ?? args.aws)!.backupDirector = {};
    }
    args.vrrp = { virtualRouterId: 51 };
    return args;
}

/** The lines of a script that are calls of the guard's functions. */
const guardCalls = (script: string): string[] => script.split("\n").filter((l) => /^(guard_vrrp|remove_vrrp_guard) /.test(l));

describe("a director pair's VRRP guard (rendered)", () => {
    it("on an L2 segment each director accepts the router id's adverts from its peer only, at setup and every boot", () => {
        const plan = validateClusterArgs(pair());
        assert.equal(plan.network.vrrpPeerFilter, "host-firewall");
        const [first, second] = plan.directors;
        assert.deepEqual(guardCalls(renderDirectorUp(plan, first)), ["guard_vrrp 'lvs_dr_vrrp_192_168_77_100' 'eth0' '51' 'ip' '192.168.77.9'"]);
        assert.deepEqual(guardCalls(renderDirectorUp(plan, second)), ["guard_vrrp 'lvs_dr_vrrp_192_168_77_100' 'eth0' '51' 'ip' '192.168.77.10'"]);
        for (const d of plan.directors) {
            const up = renderDirectorUp(plan, d);
            assert.ok(up.includes(library("vrrp-guard")), "the up-script carries the guard's library");
            const setup = renderDirectorSetup(plan, d);
            assert.ok(setup.includes(up), "setup writes (and runs) this up-script, which the boot unit runs");
            assert.match(setup, /^install_tool 'nft' 'nftables'$/m);
            assert.match(setup, /^Description=.*VRRP from the peer only\)$/m);
            const teardown = renderDirectorTeardown(plan, d);
            assert.deepEqual(guardCalls(teardown), ["remove_vrrp_guard 'lvs_dr_vrrp_192_168_77_100'"]);
            assert.ok(teardown.includes(library("vrrp-guard")));
        }
    });

    it("speaks VRRP's family: IPv6 with an IPv6 VIP, IPv4 in dual stack (the IPv6 VIP rides in the IPv4 instance)", () => {
        const v6 = pair();
        v6.vip = "fd77::100";
        Object.assign(v6.hosts!, { subnet: "fd77::/64", director: { address: "fd77::a" }, backupDirector: { address: "fd77::9" },
            realServers: [{ address: "fd77::b" }, { address: "fd77::c" }] });
        const p6 = validateClusterArgs(v6);
        assert.deepEqual(guardCalls(renderDirectorUp(p6, p6.directors[0])), ["guard_vrrp 'lvs_dr_vrrp_fd77__100' 'eth0' '51' 'ip6' 'fd77::9'"]);
        assert.deepEqual(guardCalls(renderDirectorUp(p6, p6.directors[1])), ["guard_vrrp 'lvs_dr_vrrp_fd77__100' 'eth0' '51' 'ip6' 'fd77::a'"]);

        const dual = pair();
        dual.vip6 = "fd77::100";
        Object.assign(dual.hosts!, { subnet6: "fd77::/64" });
        dual.hosts!.director!.address6 = "fd77::a";
        dual.hosts!.backupDirector!.address6 = "fd77::9";
        dual.hosts!.realServers.forEach((r, i) => (r.address6 = `fd77::${(11 + i).toString(16)}`));
        const pd = validateClusterArgs(dual);
        assert.deepEqual(guardCalls(renderDirectorUp(pd, pd.directors[0])), ["guard_vrrp 'lvs_dr_vrrp_192_168_77_100' 'eth0' '51' 'ip' '192.168.77.9'"]);
    });

    it("libvirt's network is an L2 segment too: guarded, on the VMs' interface", () => {
        const plan = validateClusterArgs(pair(validLibvirtArgs()));
        assert.equal(plan.network.vrrpPeerFilter, "host-firewall");
        const [first, second] = plan.directors;
        assert.deepEqual(guardCalls(renderDirectorUp(plan, first)),
            [`guard_vrrp 'lvs_dr_vrrp_192_168_77_100' '${first.interface}' '51' 'ip' '${second.address}'`]);
    });

    it("AWS gets none (its security group admits protocol 112 from the directors only), nor does a single director", () => {
        const aws = validateClusterArgs(pair(validAwsArgs()));
        assert.equal(aws.network.vrrpPeerFilter, "network");
        const single = validateClusterArgs(validArgs());
        for (const plan of [aws, single]) {
            for (const d of plan.directors) {
                for (const s of [renderDirectorSetup(plan, d), renderDirectorTeardown(plan, d)]) {
                    assert.deepEqual(guardCalls(s), []);
                    assert.ok(!s.includes(library("vrrp-guard")), "no guard library");
                    assert.doesNotMatch(s, /install_tool 'nft'/, "no nftables installed for it");
                }
            }
        }
    });
});
