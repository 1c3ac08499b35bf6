/**
 * A director pair's VRRP guard on the real kernel and the real nft, in a network namespace: the
 * director's setup (stand-in ipvsadm, modprobe and systemctl, as in ./director.test.ts) loads the
 * cluster's nftables table, then VRRP adverts (IP protocol 112) are sent to the director as frames
 * arriving on its NIC, from the peer and from other addresses, with the cluster's router id and
 * with another, and a raw protocol-112 socket (what keepalived reads adverts with) says which
 * reached it; the guard's drop counter says how many it dropped. All traffic stays inside the
 * namespace the test creates (a veth pair whose both ends are in it).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { validateClusterArgs } from "../../src/component/validate";
import { hostPaths } from "../../src/core/names";
import type { ClusterPlan } from "../../src/core/plan";
import { renderDirectorSetup, renderDirectorTeardown } from "../../src/core/scripts/director";
import { validArgs } from "../support/fixtures";
import { directorSandbox } from "../support/director-sandbox";
import { requireSandboxPrerequisites, type Sandbox } from "../support/sandbox";

/**
 * Sends each advert given as "SRC DST VRID" (IPv4 or IPv6) as an Ethernet frame from the veth end
 * named by argv[1] to its peer end (the director's NIC, MAC argv[2]), and prints "SRC VRID" for
 * every protocol-112 packet a raw socket of the director received.
 */
const SEND_ADVERTS = String.raw`
import socket, struct, sys, time

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def advert(vrid, family, vip):
    # VRRPv3: version 3, type 1 (advertisement), router id, priority 250, one address, 1 s.
    return struct.pack("!BBBBHH", 0x31, vrid, 250, 1, 100, 0) + socket.inet_pton(family, vip)

out_dev, dst_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
send = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
send.bind((out_dev, 0))
src_mac = send.getsockname()[4]
recv4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
recv6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
for s in (recv4, recv6):
    s.setblocking(False)
for spec in sys.argv[3:]:
    src, dst, vrid = spec.split()
    if ":" in src:
        body = advert(int(vrid), socket.AF_INET6, "fd77::100")
        ip = struct.pack("!IHBB", 0x60000000, len(body), 112, 255) + socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        frame = dst_mac + src_mac + b"\x86\xdd" + ip + body
    else:
        body = advert(int(vrid), socket.AF_INET, "192.168.77.100")
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, 255, 112, 0, socket.inet_aton(src), socket.inet_aton(dst))
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        frame = dst_mac + src_mac + b"\x08\x00" + header + body
    send.send(frame)
time.sleep(0.5)
for s, v6 in ((recv4, False), (recv6, True)):
    while True:
        try:
            data, addr = s.recvfrom(2048)
        except BlockingIOError:
            break
        # An IPv4 raw socket gets the IP header, an IPv6 one the payload alone.
        vrrp = data if v6 else data[(data[0] & 0x0f) * 4:]
        print(addr[0], vrrp[1])
`;

const VIP = "192.168.77.100";

/** A pair whose first director (this namespace) is 192.168.77.10 and whose peer is `peer`. */
function pairPlan(vip: string, vrid: number, peer: string, mutate: (a: LvsDrClusterArgs) => void = () => undefined): ClusterPlan {
    const args = validArgs();
    args.vip = vip;
    args.hosts!.backupDirector = { address: peer };
    args.vrrp = { virtualRouterId: vrid };
    mutate(args);
    return validateClusterArgs(args);
}

describe("a director pair's VRRP guard in a network namespace (real kernel, real nft)", function () {
    let sb: Sandbox;
    const nft = (...args: string[]): string => execFileSync("ip", ["netns", "exec", sb.netns, "nft", ...args], { encoding: "utf8" });
    /** Sends the adverts ("SRC DST VRID") through `dev`'s veth peer; what reached a protocol-112 socket, sorted. */
    const send = (dev: string, ...adverts: string[]): string[] => {
        const script = path.join(sb.dir, "adverts.py");
        fs.writeFileSync(script, SEND_ADVERTS);
        const mac = /link\/ether (\S+)/.exec(sb.ip("-o", "link", "show", dev))![1];
        const out = execFileSync("ip", ["netns", "exec", sb.netns, "python3", script, `${dev}-peer`, mac, ...adverts], { encoding: "utf8" });
        return out.split("\n").filter(Boolean).sort();
    };
    /** The guard's drop counter in `table`. */
    const dropped = (table: string): number => {
        const rules = (JSON.parse(nft("-j", "list", "table", "inet", table)) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] })
            .nftables.flatMap((o) => o.rule ? o.rule.expr : []).filter((e) => e.counter);
        assert.equal(rules.length, 1, "one counted rule");
        return rules[0].counter!.packets;
    };
    const tables = (): string[] => nft("list", "tables").split("\n").filter(Boolean).sort();

    before(requireSandboxPrerequisites);
    beforeEach(() => {
        sb = directorSandbox();
    });
    afterEach(() => sb.destroy());

    it("only the peer's adverts for the cluster's router id pass; other router ids and interfaces are untouched; idempotent; back at boot; teardown removes the table and nothing else", () => {
        sb.addNic("eth1", "10.9.9.1/24");
        // The operator's own nftables, which lvs-dr must leave as they are.
        execFileSync("ip", ["netns", "exec", sb.netns, "nft", "-f", "-"], {
            input: "table inet operator {\n\tchain input {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 22 counter accept\n\t}\n}\n",
        });
        const operator = nft("list", "ruleset");
        const p = pairPlan(VIP, 51, "192.168.77.9");
        const table = "lvs_dr_vrrp_192_168_77_100";

        // Before the setup every advert reaches the socket (what keepalived would read).
        assert.deepEqual(send("eth0", "192.168.77.50 192.168.77.10 51"), ["192.168.77.50 51"]);

        const setup = sb.mustRun(renderDirectorSetup(p, p.directors[0]));
        assert.match(setup.stdout, /VRRP adverts for router id 51 on eth0 are accepted from 192\.168\.77\.9 only \(nftables table inet lvs_dr_vrrp_192_168_77_100\)/);
        assert.deepEqual(tables(), ["table inet lvs_dr_vrrp_192_168_77_100", "table inet operator"]);
        assert.match(nft("list", "table", "inet", table),
            /^\t\tiifname "eth0" ip saddr != 192\.168\.77\.9 meta l4proto vrrp @th,8,8 0x33 counter packets 0 bytes 0 drop comment "lvs-dr: VRRP router id 51 on eth0 from 192\.168\.77\.9 only"$/m);

        const received = send("eth0",
            "192.168.77.50 192.168.77.10 51", // another host on the segment, the cluster's router id: dropped
            "192.168.77.9 192.168.77.10 51", // the peer: passes
            "192.168.77.50 192.168.77.10 52", // another router id (another pair's): passes
            "192.168.77.9 192.168.77.10 52");
        assert.deepEqual(received, ["192.168.77.50 52", "192.168.77.9 51", "192.168.77.9 52"]);
        assert.equal(dropped(table), 1);
        // Another interface is another segment: its adverts are not this cluster's.
        assert.deepEqual(send("eth1", "10.9.9.50 10.9.9.1 51"), ["10.9.9.50 51"]);
        assert.equal(dropped(table), 1);

        // Setup again: nothing changes, the counter included.
        const ruleset = nft("list", "ruleset");
        const again = sb.mustRun(renderDirectorSetup(p, p.directors[0]));
        assert.doesNotMatch(again.stdout, /VRRP adverts|wrote /, again.stdout);
        assert.equal(nft("list", "ruleset"), ruleset);

        // A boot starts with no table: the boot unit's up-script loads it again.
        nft("delete", "table", "inet", table);
        const unit = sb.writtenFiles().get(hostPaths(VIP, "director").unitFile)!;
        sb.mustRun(/^ExecStart=(.*)$/m.exec(unit)![1]);
        assert.deepEqual(tables(), ["table inet lvs_dr_vrrp_192_168_77_100", "table inet operator"]);
        assert.deepEqual(send("eth0", "192.168.77.50 192.168.77.10 51", "192.168.77.9 192.168.77.10 51"), ["192.168.77.9 51"]);

        const teardown = sb.mustRun(renderDirectorTeardown(p, p.directors[0]));
        assert.match(teardown.stdout, /removed the nftables table inet lvs_dr_vrrp_192_168_77_100/);
        assert.equal(nft("list", "ruleset"), operator, "only the cluster's table is gone");
        assert.deepEqual([...sb.writtenFiles().keys()], []);
        sb.mustRun(renderDirectorTeardown(p, p.directors[0]));
        assert.deepEqual(send("eth0", "192.168.77.50 192.168.77.10 51"), ["192.168.77.50 51"]);
    });

    it("two clusters on one director: each table drops only its own router id from sources but its own peer; a new peer replaces the rule", () => {
        const a = pairPlan(VIP, 51, "192.168.77.9");
        const b = pairPlan("192.168.77.101", 52, "192.168.77.8");
        sb.mustRun(renderDirectorSetup(a, a.directors[0]));
        sb.mustRun(renderDirectorSetup(b, b.directors[0]));
        assert.deepEqual(tables(), ["table inet lvs_dr_vrrp_192_168_77_100", "table inet lvs_dr_vrrp_192_168_77_101"]);
        const received = send("eth0",
            "192.168.77.9 192.168.77.10 51", "192.168.77.8 192.168.77.10 51", // a's router id: a's peer only
            "192.168.77.9 192.168.77.10 52", "192.168.77.8 192.168.77.10 52"); // b's: b's peer only
        assert.deepEqual(received, ["192.168.77.8 52", "192.168.77.9 51"]);
        assert.equal(dropped("lvs_dr_vrrp_192_168_77_100"), 1);
        assert.equal(dropped("lvs_dr_vrrp_192_168_77_101"), 1);

        // b's backup director replaced by one at another address: b's setup replaces its rule.
        const b2 = pairPlan("192.168.77.101", 52, "192.168.77.7");
        sb.mustRun(renderDirectorSetup(b2, b2.directors[0]));
        assert.deepEqual(send("eth0", "192.168.77.8 192.168.77.10 52", "192.168.77.7 192.168.77.10 52"), ["192.168.77.7 52"]);

        sb.mustRun(renderDirectorTeardown(b2, b2.directors[0]));
        assert.deepEqual(tables(), ["table inet lvs_dr_vrrp_192_168_77_100"], "b's teardown leaves a's table");
        assert.deepEqual(send("eth0", "192.168.77.8 192.168.77.10 51", "192.168.77.8 192.168.77.10 52"), ["192.168.77.8 52"]);
    });

    it("IPv6: an IPv6 pair's adverts for its router id from its peer only", () => {
        sb.ip("addr", "add", "fd77::a/64", "dev", "eth0", "nodad");
        const p = pairPlan("fd77::100", 51, "fd77::9", (args) => {
            Object.assign(args.hosts!, { subnet: "fd77::/64", director: { address: "fd77::a" }, realServers: [{ address: "fd77::b" }, { address: "fd77::c" }] });
        });
        sb.mustRun(renderDirectorSetup(p, p.directors[0]));
        assert.match(nft("list", "table", "inet", "lvs_dr_vrrp_fd77__100"), /^\t\tiifname "eth0" ip6 saddr != fd77::9 meta l4proto vrrp @th,8,8 0x33 counter/m);
        const received = send("eth0", "fd77::50 fd77::a 51", "fd77::9 fd77::a 51", "fd77::50 fd77::a 52");
        assert.deepEqual(received, ["fd77::50 52", "fd77::9 51"]);
        assert.equal(dropped("lvs_dr_vrrp_fd77__100"), 1);
        sb.mustRun(renderDirectorTeardown(p, p.directors[0]));
        assert.deepEqual(tables(), []);
    });
});
