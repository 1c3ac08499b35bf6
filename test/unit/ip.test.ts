import { strict as assert } from "assert";
import {
    broadcastOf, cidrContains, formatIpv4, looksLikeIpv6, parseIpv4, parseIpv4Cidr,
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

    it("recognises IPv6 text so it can be refused by name", () => {
        assert.ok(looksLikeIpv6("fd00::1"));
        assert.ok(looksLikeIpv6("::ffff:10.0.0.1"));
        assert.ok(!looksLikeIpv6("10.0.0.1"));
        assert.ok(!looksLikeIpv6("eth0:1;x"));
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
