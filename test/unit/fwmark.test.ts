/**
 * Firewall-mark services: the derived marks, the director's table and keepalived file, the nftables
 * script (checked and loaded by the real nft in a network namespace of its own), and the table
 * readers with fwmark entries.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { derivedFwmark, hostPaths, marksTable } from "../../src/core/names";
import { type ClusterPlan, marksOf } from "../../src/core/plan";
import { desiredIpvsRules, renderDirectorRules, renderDirectorRulesRemoval, renderDirectorTeardown, renderDirectorUp } from "../../src/core/scripts/director";
import { renderKeepalivedConfig } from "../../src/core/scripts/keepalived/config";
import { library } from "../../src/core/scripts/library";
import { renderMarksNft } from "../../src/core/scripts/director/marks";
import { shq } from "../../src/core/scripts/render";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs } from "../support/fixtures";

const MARK = derivedFwmark("192.168.77.100", "tcp", [80, 443]);

function plan(dual = false, mutate: (a: LvsDrClusterArgs) => void = () => undefined): ClusterPlan {
    const args = validArgs();
    args.services = [{ ports: [443, 80], scheduler: "rr", persistenceSeconds: 300 }, { port: 53, protocol: "udp" }];
    if (dual) {
        args.vip6 = "fd77::100";
        args.hosts!.subnet6 = "fd77::/64";
        args.hosts!.director!.address6 = "fd77::a";
        args.hosts!.realServers.forEach((rs, i) => (rs.address6 = `fd77::${(11 + i).toString(16)}`));
    }
    mutate(args);
    return validateClusterArgs(args);
}

/** Runs `body` as root in a network namespace of its own (nft acts on that namespace only). */
function inOwnNetns(body: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("unshare", ["--net", "sh", "-c", body], { encoding: "utf8" });
    if (r.error) {
        throw new Error(`unshare could not run (${r.error.message}): the nft checks need util-linux's unshare and root`);
    }
    return r;
}

describe("firewall-mark services", () => {
    it("derive an even mark in 0x4c560000-0x4c56fffe from the VIP, protocol and ports, whatever their order", () => {
        assert.equal(MARK % 2, 0);
        assert.ok(MARK >= 0x4c560000 && MARK <= 0x4c56fffe, MARK.toString(16));
        assert.equal(derivedFwmark("192.168.77.100", "tcp", [443, 80]), MARK);
        assert.notEqual(derivedFwmark("192.168.77.101", "tcp", [80, 443]), MARK);
        assert.notEqual(derivedFwmark("192.168.77.100", "udp", [80, 443]), MARK);
        const p = plan();
        assert.deepEqual(p.services[0].fwmark, { ports: [443, 80], mark: MARK });
        assert.equal(p.services[0].port, 443, "the first port listed (http/https checks ask it)");
        assert.deepEqual(marksOf(plan(true)), [MARK, MARK + 1], "the IPv6 VIP's service takes the next mark");
        assert.deepEqual(plan(false, (a) => (a.services[0].fwmark = 77)).services[0].fwmark?.mark, 77);
    });

    it("are one IPVS fwmark service per VIP, real servers at port 0, shared persistence", () => {
        assert.deepEqual(desiredIpvsRules(plan(true)).filter((l) => l.includes(" -f ")), [
            `-A -f ${MARK} -s rr -p 300`,
            `-a -f ${MARK} -r 192.168.77.11:0 -g -w 1`,
            `-a -f ${MARK} -r 192.168.77.12:0 -g -w 1`,
            `-A -f ${MARK + 1} -s rr -p 300`,
            `-a -f ${MARK + 1} -r [fd77::b]:0 -g -w 1`,
            `-a -f ${MARK + 1} -r [fd77::c]:0 -g -w 1`,
        ]);
    });

    it("keepalived: virtual_server fwmark, no protocol, the IPv6 family said, a check of every port", () => {
        const p = plan(true);
        const conf = renderKeepalivedConfig(p, p.directors[0]);
        const v4 = conf.slice(conf.indexOf(`virtual_server fwmark ${MARK} {`), conf.indexOf(`# lvs-dr drain fwmark ${MARK}\n`));
        assert.ok(v4.length > 0, conf);
        assert.doesNotMatch(v4, /protocol|ip_family/);
        assert.match(v4, /persistence_timeout 300/);
        assert.match(v4, /real_server 192\.168\.77\.11 0 \{/);
        assert.deepEqual([...v4.matchAll(/connect_port (\d+)/g)].map((m) => m[1]), ["443", "80", "443", "80"], "each real server: both ports");
        const v6 = conf.slice(conf.indexOf(`virtual_server fwmark ${MARK + 1} {`));
        assert.match(v6, /ip_family inet6/);
        assert.match(v6, /real_server fd77::b 0 \{/);
        assert.match(conf, /virtual_server 192\.168\.77\.100 53 \{[^}]*protocol UDP/, "the port service is unchanged");
        const http = plan(false, (a) => (a.services[0].healthCheck = { kind: "http" }));
        assert.deepEqual([...renderKeepalivedConfig(http, http.directors[0]).matchAll(/connect_port (\d+)/g)].map((m) => m[1]), ["443", "443"],
            "an http check asks the first port listed");
    });

    it("the nft script marks each VIP's ports, passes nft's own check, replaces the table atomically and is removed exactly", () => {
        const p = plan(true);
        const nft = renderMarksNft(p)!;
        assert.equal(renderMarksNft(plan(false, (a) => (a.services = [{ port: 80 }]))), undefined, "no fwmark service, no table");
        assert.match(nft, new RegExp(`ip daddr 192\\.168\\.77\\.100 tcp dport \\{ 80, 443 \\} meta mark set 0x${MARK.toString(16)}`));
        assert.match(nft, new RegExp(`ip6 daddr fd77::100 tcp dport \\{ 80, 443 \\} meta mark set 0x${(MARK + 1).toString(16)}`));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-nft-"));
        try {
            const file = path.join(dir, "marks.nft");
            fs.writeFileSync(file, nft);
            const table = marksTable(p.vip);
            const other = "add table inet someone_else";
            const r = inOwnNetns([library("common"), library("marks"), "set -eu",
                `nft ${shq(other)}`,
                `nft -c -f ${shq(file)}`,
                `apply_marks ${shq(file)}`, `apply_marks ${shq(file)}`,
                `echo "tables: $(nft list tables | tr '\\n' ' ')"`,
                `nft list table inet ${table} | grep -c 'meta mark set'`,
                `remove_marks ${table}`, `remove_marks ${table}`,
                `echo "after: $(nft list tables | tr '\\n' ' ')"`].join("\n"));
            assert.equal(r.status, 0, r.stderr + r.stdout);
            assert.match(r.stdout, new RegExp(`tables: table inet someone_else table inet ${table} \\n`), "loaded twice: one table");
            assert.match(r.stdout, /^2$/m, "both VIPs' rules");
            assert.match(r.stdout, /after: table inet someone_else \n/, "only its own table removed");
            const refused = inOwnNetns([library("common"), library("marks"), `printf 'table inet x { chain c { bogus; } }\\n' > ${shq(file)}`,
                `apply_marks ${shq(file)}`].join("\n"));
            assert.notEqual(refused.status, 0);
            assert.match(refused.stderr, /nft refused .*nothing was changed/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the rules load the marks after keepalived's check and before its reload, the removal and teardown delete them, boot loads them", () => {
        const p = plan();
        const d = p.directors[0];
        const nftFile = hostPaths(p.vip, "director").marksNft;
        const rules = renderDirectorRules(p, d);
        // The marks are loaded once keepalived has accepted the file (a refused file changes nothing),
        // and before keepalived gets it (its fwmark services find their packets marked).
        assert.ok(rules.indexOf("keepalived_check '") < rules.indexOf(`apply_marks '${nftFile}'`), "checked before the marks");
        assert.ok(rules.indexOf(`apply_marks '${nftFile}'`) < rules.indexOf("apply_config '"), "marks before keepalived applies the file");
        assert.ok(rules.indexOf(`marks_free '${MARK}'`) < rules.indexOf("write_file '"), "another cluster's marks refused before anything is written");
        assert.match(rules, new RegExp(`expect_marks '${MARK}'`));
        assert.match(rules, new RegExp(`set_marks '${MARK}'\\n`));
        assert.match(rules, /install_tool 'nft' 'nftables'/);
        const none = plan(false, (a) => (a.services = [{ port: 80 }]));
        assert.match(renderDirectorRules(none, none.directors[0]), new RegExp(`remove_marks '${marksTable(p.vip)}'`), "a table left by a removed fwmark service goes");
        assert.match(renderDirectorRulesRemoval(p, d), new RegExp(`remove_marks '${marksTable(p.vip)}'`));
        assert.match(renderDirectorTeardown(p, d), new RegExp(`remove_marks '${marksTable(p.vip)}'`));
        assert.match(renderDirectorUp(p, d), new RegExp(`if \\[ -e '${nftFile}' \\]; then\\n  apply_marks '${nftFile}'`));
    });

    describe("table readers", () => {
        const table = [
            "-A -t 10.0.0.100:80 -s rr", "-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1",
            `-A -f ${MARK} -s rr -p 300`, `-a -f ${MARK} -r 10.0.0.11:0 -g -w 1`, `-a -f ${MARK} -r 10.0.0.12:0 -g -w 0`,
            `-A -f ${MARK + 1} -6 -s rr -p 300`, `-a -f ${MARK + 1} -6 -r [fd77::b]:0 -g -w 1`,
            "-A -f 7 -s rr", "-a -f 7 -r 10.0.0.11:0 -g -w 1",
        ];
        const listing = [
            "IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn",
            `FWM  ${MARK} rr persistent 300`, "  -> 10.0.0.11:0                  Route   1      3          1", "  -> 10.0.0.12:0                  Route   0      2          0",
            `FWM  ${MARK + 1} IPv6 rr persistent 300`, "  -> [fd77::b]:0                  Route   1      4          0",
            "FWM  7 rr", "  -> 10.0.0.11:0                  Route   1      100        0",
        ];
        const conns = [
            "IPVS connection entries", "pro expire state       source             virtual            destination",
            "TCP 14:59  ESTABLISHED 10.0.0.50:40000    10.0.0.100:443     10.0.0.12:443",
            "TCP 01:59  FIN_WAIT    10.0.0.50:40001    10.0.0.100:80      10.0.0.12:80",
            "TCP 14:59  ESTABLISHED 10.0.0.50:40002    10.0.0.100:80      10.0.0.11:80",
        ];
        function run(calls: string): string {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-readers-"));
            try {
                const body = [library("common"), library("ipvs"), library("keepalived"), library("table"), library("held"), library("drain"), library("marks"),
                    `ipvsadm() { case "$*" in -Sn) printf '%s\\n' ${table.map(shq).join(" ")} ;; -Ln) printf '%s\\n' ${listing.map(shq).join(" ")} ;;`
                    + ` -Lnc) printf '%s\\n' ${conns.map(shq).join(" ")} ;; esac; }`,
                    "VIP=10.0.0.100", "VIP6=fd77::100", "SORRY=''", `MARKS=${shq(path.join(dir, "marks"))}`, `D=${shq(dir)}`, calls].join("\n");
                const r = spawnSync("sh", ["-c", body], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                return r.stdout;
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }

        it("see the cluster's fwmark services by the marks listed (the IPv6 flag dropped), nobody else's", () => {
            assert.equal(run("cluster_rules"), table.slice(0, 2).join("\n") + "\n", "no marks listed: port services only");
            assert.equal(run(`set_marks ${MARK} ${MARK + 1} >/dev/null; cluster_rules`), [...table.slice(0, 5),
                `-A -f ${MARK + 1} -s rr -p 300`, `-a -f ${MARK + 1} -r [fd77::b]:0 -g -w 1`].join("\n") + "\n");
            assert.equal(run(`set_marks ${MARK} >/dev/null; expect_marks ${MARK + 1} 5 >/dev/null; cat "$MARKS"; clear_marks >/dev/null; [ ! -e "$MARKS" ] && echo gone`),
                `5\n${MARK}\n${MARK + 1}\ngone\n`);
        });

        it("drain them: servers_at, with_draining at the mark's marker, active and still-open connections by real server", () => {
            const leaving = `-f ${MARK} 10.0.0.12:0`;
            assert.equal(run(`set_marks ${MARK} >/dev/null; servers_at 10.0.0.12`), `-f ${MARK} 10.0.0.12:0\n`);
            assert.equal(run(`printf '    # lvs-dr drain fwmark ${MARK}\\n' > "$D/f"; with_draining "$D/f" ${shq(leaving)}`),
                `    # lvs-dr drain fwmark ${MARK}\n    real_server 10.0.0.12 0 {\n        weight 0\n    }\n`);
            assert.equal(run(`draining_rules ${shq(leaving)} -g`), `-a -f ${MARK} -r 10.0.0.12:0 -g -w 0\n`);
            assert.equal(run(`active_conns ${shq(leaving)}`), "2\n");
            assert.equal(run(`active_conns ${shq(`-f ${MARK + 1} [fd77::b]:0`)}`), "4\n");
            assert.equal(run(`still_active ${shq(leaving)}`), `${conns[2]}\n`, "the open connection to the leaving server, not the closing one");
        });

        it("drain_wait says every 10 s how many active connections are left, on which servers, until its time is up", () => {
            const leaving = `-f ${MARK} 10.0.0.11:0\n-f ${MARK} 10.0.0.12:0`;
            // A clock that moves one second per sleep; logger kept off this machine's journal.
            const clock = 'date() { cat "$D/t" 2>/dev/null || echo 0; }; sleep() { echo $(($(date) + 1)) > "$D/t"; }; logger() { :; }';
            const out = run(`${clock}; drain_wait ${shq(leaving)} 25 2>&1`);
            assert.deepEqual(out.split("\n").filter(Boolean), [
                `lvs-dr: draining VIP 10.0.0.100: 5 active connections left (10.0.0.11:0 3, 10.0.0.12:0 2), 10 s of 25 s`,
                `lvs-dr: draining VIP 10.0.0.100: 5 active connections left (10.0.0.11:0 3, 10.0.0.12:0 2), 20 s of 25 s`,
                "lvs-dr: drain time (25 s) is up with 5 active connections: removing anyway; the ones still open are listed in this director's journal (journalctl -t lvs-dr)",
            ]);
            assert.equal(run(`active_by_server ${shq(`-f ${MARK} 10.0.0.12:0\n-f 7 10.0.0.11:0`)}`), "10.0.0.12:0 2, 10.0.0.11:0 100");
            assert.equal(run(`${clock}; drain_wait ${shq(`-f ${MARK + 1} [fd77::c]:0`)} 25 2>&1`), "lvs-dr: drained: no active connection left after 0 s\n",
                "a server without connections: drained at once, no report");
        });
    });
});
