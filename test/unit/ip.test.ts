import { strict as assert } from "assert";
import {
    broadcastOf, canonicalIpv6, cidrContains, cidrContains6, formatIpv4, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr,
    specialAddress6, withPort,
} from "../../src/core/ip";

describe("ip", () => {
    it("parses dotted quads and formats them back", () => {
        for (const text of ["0.0.0.0", "10.0.0.1", "192.168.77.100", "255.255.255.255"]) {
            const value = parseIpv4(text);
            assert.notEqual(value, undefined, text);
            assert.equal(formatIpv4(value!), text);
        }
        assert.equal(parseIpv4("1.2.3.4"), 0x01020304);
    });

    it("refuses anything that is not a plain dotted quad", () => {
        for (const text of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", "a.b.c.d",
            "1.2.3.4/32", "0x1.2.3.4", "1..3.4", "1.2.3.4;"]) {
            assert.equal(parseIpv4(text), undefined, JSON.stringify(text));
        }
    });

    it("parses every IPv6 text form and writes the canonical one (RFC 5952), as ip and ipvsadm print it", () => {
        const cases: [string, string][] = [
            ["fd77::100", "fd77::100"],
            ["FD77:0:0:0:0:0:0:100", "fd77::100"],
            ["fd77:0000::0100", "fd77::100"],
            ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of two equal runs
            ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero word stays
            ["::", "::"],
            ["::1", "::1"],
            ["1::", "1::"],
            ["::ffff:10.0.0.1", "::ffff:a00:1"],
            ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
            ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
        ];
        for (const [text, canonical] of cases) {
            assert.equal(canonicalIpv6(text), canonical, text);
        }
        assert.equal(parseIpv6("::1"), 1n);
        assert.equal(parseIpv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 2n ** 128n - 1n);
    });

    it("refuses what is not one IPv6 address: zones, prefixes, too many or too few words", () => {
        for (const text of ["", ":", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", "fe80::1%eth0", "fd77::/64",
            "12345::", "g::1", ":1::2", "1::2:", "::1.2.3", "::256.1.1.1", "1.2.3.4", "fd77::1 ", "1:2:3:4:5:6:7::8:9"]) {
            assert.equal(parseIpv6(text), undefined, JSON.stringify(text));
        }
    });

    it("IPv6 CIDRs, special blocks, address:port forms", () => {
        const ok = parseIpv6Cidr("fd77::/64");
        assert.ok("cidr" in ok && ok.cidr.prefixLength === 64);
        assert.ok(cidrContains6(ok.cidr, parseIpv6("fd77::ffff:1")!));
        assert.ok(!cidrContains6(ok.cidr, parseIpv6("fd77:0:0:1::1")!));
        const hostBits = parseIpv6Cidr("fd77::5/64");
        assert.ok("error" in hostBits && hostBits.error.includes("did you mean fd77::/64"));
        assert.ok("error" in parseIpv6Cidr("fd77::/129"));
        assert.match(specialAddress6(parseIpv6("fe80::1")!) ?? "", /link-local/);
        assert.match(specialAddress6(parseIpv6("ff02::1")!) ?? "", /multicast/);
        assert.match(specialAddress6(parseIpv6("::1")!) ?? "", /loopback/);
        assert.match(specialAddress6(parseIpv6("::ffff:10.0.0.1")!) ?? "", /IPv4-mapped/);
        assert.equal(specialAddress6(parseIpv6("2001:db8::1")!), undefined);
        assert.equal(withPort("fd77::100", 80), "[fd77::100]:80");
        assert.equal(withPort("10.0.0.1", 80), "10.0.0.1:80");
    });

    it("parses CIDRs, refusing set host bits with a suggestion", () => {
        const ok = parseIpv4Cidr("192.168.77.0/24");
        assert.ok("cidr" in ok);
        assert.equal(ok.cidr.prefixLength, 24);
        assert.ok(cidrContains(ok.cidr, parseIpv4("192.168.77.255")!));
        assert.ok(!cidrContains(ok.cidr, parseIpv4("192.168.78.1")!));
        assert.equal(formatIpv4(broadcastOf(ok.cidr)), "192.168.77.255");

        const hostBits = parseIpv4Cidr("192.168.77.5/24");
        assert.ok("error" in hostBits && hostBits.error.includes("did you mean 192.168.77.0/24"));
        for (const bad of ["192.168.77.0", "192.168.77.0/33", "192.168.77.0/", "192.168.77.0/024", "x/24"]) {
            assert.ok("error" in parseIpv4Cidr(bad), bad);
        }
        const all = parseIpv4Cidr("0.0.0.0/0");
        assert.ok("cidr" in all && cidrContains(all.cidr, parseIpv4("203.0.113.9")!));
        const single = parseIpv4Cidr("10.1.2.3/32");
        assert.ok("cidr" in single && cidrContains(single.cidr, parseIpv4("10.1.2.3")!));
    });
});
