import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as yaml from "js-yaml";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import type { LibvirtPlatformPlan } from "../../src/platforms/libvirt/plan";
import { validateClusterArgs } from "../../src/component/validate";
import { renderNetworkConfig, renderUserData } from "../../src/platforms/vm/cloud-init";
import { renderDomainXml, renderNetworkXml, vmSpec, xmlEscape } from "../../src/platforms/libvirt/xml";
import { PUBLIC_KEY, validLibvirtArgs } from "../support/fixtures";
import { createdNetworkOf, libvirtOf } from "../../lab/harness/plans";

/** Well-formedness by libxml2's own parser; a missing xmllint fails the test. */
function xmllint(xml: string): void {
    const r = spawnSync("xmllint", ["--noout", "-"], { input: xml, encoding: "utf8" });
    if (r.error) {
        throw new Error(`xmllint could not be run (${r.error.message}): install libxml2-utils`);
    }
    assert.equal(r.status, 0, `xmllint: ${r.stderr}\n${xml}`);
}

function plan(mutate?: (l: LibvirtPlatformPlan) => void): LibvirtPlatformPlan {
    const l = libvirtOf(validateClusterArgs(validLibvirtArgs(), "demo"));
    mutate?.(l);
    return l;
}

describe("libvirt XML and cloud-init", () => {
    it("network: a bridge with the host address and no <forward> (isolated), well-formed", () => {
        const xml = renderNetworkXml(createdNetworkOf(plan()));
        xmllint(xml);
        assert.match(xml, /<name>demo-net<\/name>/);
        assert.match(xml, /<bridge name='lvsdr[0-9a-f]{8}' stp='off' delay='0'\/>/);
        assert.match(xml, /<ip address='192\.168\.77\.1' netmask='255\.255\.255\.0'\/>/);
        assert.doesNotMatch(xml, /forward|dhcp/);
    });

    it("network with libvirt.subnet6: the hypervisor's side gets the IPv6 subnet's first address too", () => {
        const args = validLibvirtArgs();
        args.libvirt!.subnet6 = "fd77::/64";
        const xml = renderNetworkXml(createdNetworkOf(libvirtOf(validateClusterArgs(args, "demo"))));
        xmllint(xml);
        assert.match(xml, /<ip address='192\.168\.77\.1' netmask='255\.255\.255\.0'\/>\n {2}<ip family='ipv6' address='fd77::1' prefix='64'\/>\n<\/network>/);
        assert.doesNotMatch(xml, /forward|dhcp/);
        // IPv4 only, the network is what it was before IPv6 existed (no existing network is replaced).
        assert.doesNotMatch(renderNetworkXml(createdNetworkOf(plan())), /ipv6/);
    });

    it("domain: type, memory, overlay + seed volumes, NIC with the planned MAC; direct kernel boot when asked", () => {
        const xml = renderDomainXml(plan(), "demo-rs-0", "52:54:00:01:02:03", "d.qcow2", "s.iso");
        xmllint(xml);
        assert.match(xml, /^<domain type='qemu'>/);
        assert.match(xml, /<memory unit='MiB'>512<\/memory>/);
        assert.match(xml, /<source pool='default' volume='d\.qcow2'\/>\s*<target dev='vda' bus='virtio'\/>/);
        assert.match(xml, /<source pool='default' volume='s\.iso'\/>\s*<target dev='vdb' bus='virtio'\/>\s*<readonly\/>/);
        assert.match(xml, /<interface type='network'>\s*<source network='demo-net'\/>\s*<mac address='52:54:00:01:02:03'\/>/);
        assert.doesNotMatch(xml, /<kernel>/);

        const direct = renderDomainXml(plan((l) => {
            l.kernel = { path: "/lab/vmlinuz", initrd: "/lab/initrd.img", cmdline: "root=/dev/vda1 console=ttyS0" };
        }), "x", "52:54:00:01:02:03", "d", "s");
        xmllint(direct);
        assert.match(direct, /<kernel>\/lab\/vmlinuz<\/kernel>\s*<initrd>\/lab\/initrd\.img<\/initrd>\s*<cmdline>root=\/dev\/vda1 console=ttyS0<\/cmdline>/);

        const bridged = renderDomainXml(plan((l) => { l.network = { kind: "bridge", name: "br0" }; }), "x", "52:54:00:01:02:03", "d", "s");
        assert.match(bridged, /<interface type='bridge'>\s*<source bridge='br0'\/>/);
    });

    it("escapes XML even though validation already refuses such values", () => {
        assert.equal(xmlEscape(`a<b>&'"`), "a&lt;b&gt;&amp;&apos;&quot;");
        const xml = renderDomainXml(plan((l) => { l.pool = "p'/><evil/"; }), "n<", "52:54:00:01:02:03", "d&", "s\"");
        xmllint(xml);
        assert.doesNotMatch(xml, /<evil/);
    });

    it("user-data: the SSH user with the key (sudo for non-root, root login by key only)", () => {
        const root = yaml.load(renderUserData("demo-director", "root", PUBLIC_KEY)) as Record<string, unknown>;
        assert.deepEqual(root, {
            hostname: "demo-director", manage_etc_hosts: true, ssh_pwauth: false, disable_root: false,
            users: [{ name: "root", lock_passwd: true, ssh_authorized_keys: [PUBLIC_KEY] }],
        });
        assert.ok(renderUserData("h", "root", PUBLIC_KEY).startsWith("#cloud-config\n"));
        const admin = yaml.load(renderUserData("h", "admin", PUBLIC_KEY)) as { users: Record<string, unknown>[] };
        assert.deepEqual(admin.users, [{
            name: "admin", sudo: "ALL=(ALL) NOPASSWD:ALL", shell: "/bin/sh", lock_passwd: true, ssh_authorized_keys: [PUBLIC_KEY],
        }]);
    });

    it("network-config: static address on the NIC renamed eth0 by MAC, default route only with a gateway", () => {
        assert.deepEqual(yaml.load(renderNetworkConfig("52:54:00:aa:bb:cc", "192.168.77.10", 24, "192.168.77.1")), {
            version: 2,
            ethernets: { eth0: {
                match: { macaddress: "52:54:00:aa:bb:cc" }, "set-name": "eth0", addresses: ["192.168.77.10/24"],
                routes: [{ to: "0.0.0.0/0", via: "192.168.77.1" }],
            } },
        });
        const noGateway = yaml.load(renderNetworkConfig("52:54:00:aa:bb:cc", "10.0.0.5", 16, undefined)) as
            { ethernets: { eth0: Record<string, unknown> } };
        assert.equal(noGateway.ethernets.eth0.routes, undefined);
    });

    it("network-config with an IPv6 address: both addresses, router advertisements ignored", () => {
        assert.deepEqual(yaml.load(renderNetworkConfig("52:54:00:aa:bb:cc", "192.168.77.10", 24, undefined, { address: "fd77::a", prefixLength: 64 })), {
            version: 2,
            ethernets: { eth0: {
                match: { macaddress: "52:54:00:aa:bb:cc" }, "set-name": "eth0", "accept-ra": false, addresses: ["192.168.77.10/24", "fd77::a/64"],
            } },
        });
    });

    it("vmSpec: stable names, MAC and instance id; the id changes with the seed", () => {
        const p = validateClusterArgs(validLibvirtArgs(), "demo");
        const rs = p.realServers[0];
        const a = vmSpec(libvirtOf(p), "demo-rs-0", rs);
        const b = vmSpec(libvirtOf(p), "demo-rs-0", rs);
        assert.deepEqual(a, b);
        assert.match(a.userData, /ssh-ed25519 AAAA/);
        assert.equal(a.mac, libvirtNames.mac("demo-rs-0"));
        assert.match(a.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
        assert.equal(a.diskVolume, "demo-rs-0-disk.qcow2");
        assert.equal(a.seedVolume, "demo-rs-0-seed.iso");
        assert.match(a.networkConfig, /"192\.168\.77\.11\/24"/);
        const meta = yaml.load(a.metaData) as Record<string, string>;
        assert.equal(meta["local-hostname"], "demo-rs-0");
        const other = vmSpec(libvirtOf(p), "demo-rs-0", { ...rs, ssh: { ...rs.ssh, user: "admin" } });
        assert.notEqual((yaml.load(other.metaData) as Record<string, string>)["instance-id"], meta["instance-id"]);
        assert.notEqual(libvirtNames.mac("demo-rs-1"), a.mac);
        assert.ok(libvirtNames.bridge("demo-net").length <= 15);
    });
});
