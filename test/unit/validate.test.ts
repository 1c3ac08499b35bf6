import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../../src/args";
import { directorRole, realServerRole } from "../../src/core/names";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import { LvsDrArgsError, validateClusterArgs } from "../../src/component/validate";
import { FAKE_KEY, validArgs, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { type Loose, refusal } from "../support/problems";
import { awsOf, libvirtOf } from "../../lab/harness/plans";

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- the cases build deliberately ill-typed input */

interface Case {
    title: string;
    mutate: (args: Loose) => void;
    /** The cluster's name (the constructor's first argument), when the case is about it. */
    name?: string;
    /** Field path the error must name. */
    field: string;
    /** Text the problem or fix must contain. */
    says: string;
}

const rs = (a: Loose, i: number): Loose => a.hosts.realServers[i];
/** Dual stack: an IPv6 VIP and subnet, an address6 on every host. */
const dual = (a: Loose): void => {
    a.vip6 = "fd77::100";
    a.hosts.subnet6 = "fd77::/64";
    a.hosts.director.address6 = "fd77::a";
    rs(a, 0).address6 = "fd77::b";
    rs(a, 1).address6 = "fd77::c";
};
/** IPv6 only: the VIP, the subnet and every address. */
const v6only = (a: Loose): void => {
    a.vip = "fd77::100";
    a.hosts.subnet = "fd77::/64";
    a.hosts.director.address = "fd77::a";
    rs(a, 0).address = "fd77::b";
    rs(a, 1).address = "fd77::c";
};
/** Without hosts.subnet no containment check can catch a nonsensical address: these must be caught anyway. */
const noSubnet = (a: Loose): void => { delete a.hosts.subnet; };

const CASES: Case[] = [
    { title: "VIP missing", mutate: (a) => delete a.vip, field: "vip", says: "IPv4" },
    { title: "VIP not an IP address", mutate: (a) => (a.vip = "192.168.77.300"), field: "vip", says: "not an IPv4 or IPv6 address" },
    { title: "VIP a hostname", mutate: (a) => (a.vip = "vip.example.com"), field: "vip", says: "not an IPv4 or IPv6 address" },
    { title: "VIP with a prefix", mutate: (a) => (a.vip = "192.168.77.100/32"), field: "vip", says: "no prefix" },
    { title: "VIP with leading zeros", mutate: (a) => (a.vip = "192.168.077.100"), field: "vip", says: "leading zeros" },
    { title: "VIP IPv6 while the hosts have IPv4 addresses only", mutate: (a) => (a.vip = "fd77::100"), field: "hosts.director.address6", says: "IPv6 VIP fd77::100" },
    { title: "VIP IPv6 with a zone id", mutate: (a) => (a.vip = "fe80::1%eth0"), field: "vip", says: "zone id" },
    { title: "VIP IPv6 link-local", mutate: (a) => { noSubnet(a); a.vip = "fe80::100"; }, field: "vip", says: "link-local" },
    { title: "VIP IPv6 multicast", mutate: (a) => { noSubnet(a); a.vip = "ff02::1"; }, field: "vip", says: "multicast" },
    { title: "VIP IPv6 loopback", mutate: (a) => { noSubnet(a); a.vip = "::1"; }, field: "vip", says: "loopback" },
    { title: "VIP IPv4-mapped IPv6", mutate: (a) => { noSubnet(a); a.vip = "::ffff:192.168.77.100"; }, field: "vip", says: "IPv4-mapped" },
    { title: "VIP IPv6 malformed", mutate: (a) => (a.vip = "fd77::100::1"), field: "vip", says: "not an IPv4 or IPv6 address" },
    { title: "vip6 IPv4", mutate: (a) => (a.vip6 = "192.168.77.101"), field: "vip6", says: "is IPv4; this field takes an IPv6 address" },
    { title: "vip6 beside an IPv6 vip", mutate: (a) => { dual(a); a.vip = "fd77::101"; }, field: "vip6", says: "vip fd77::101 is IPv6 already" },
    { title: "vip6 without address6 on the hosts", mutate: (a) => (a.vip6 = "fd77::100"), field: "hosts.realServers[1].address6", says: "is required" },
    { title: "vip6 outside subnet6", mutate: (a) => { dual(a); a.vip6 = "fd78::100"; }, field: "vip6", says: "outside hosts.subnet6 fd77::/64" },
    { title: "vip6 on the subnet-router anycast address", mutate: (a) => { dual(a); a.vip6 = "fd77::"; }, field: "vip6", says: "subnet-router anycast" },
    { title: "vip6 equal to a real server's address6", mutate: (a) => { dual(a); a.vip6 = "fd77::c"; }, field: "vip6", says: "equals real server 1's address" },
    { title: "address6 on a host whose address is IPv6", mutate: (a) => { v6only(a); rs(a, 0).address6 = "fd77::1b"; }, field: "hosts.realServers[0].address6", says: "only for a host whose address is IPv4" },
    { title: "address6 duplicate", mutate: (a) => { dual(a); rs(a, 1).address6 = "fd77::b"; }, field: "hosts.realServers[1].address6", says: "is also hosts.realServers[0].address6" },
    { title: "address6 outside subnet6", mutate: (a) => { dual(a); rs(a, 1).address6 = "fd78::c"; }, field: "hosts.realServers[1].address6", says: "outside hosts.subnet6" },
    { title: "address6 equal to the IPv6 VIP", mutate: (a) => { dual(a); rs(a, 1).address6 = "fd77::100"; }, field: "hosts.realServers[1].address6", says: "is the VIP (vip6)" },
    { title: "subnet6 with host bits", mutate: (a) => { dual(a); a.hosts.subnet6 = "fd77::1/64"; }, field: "hosts.subnet6", says: "did you mean fd77::/64" },
    { title: "subnet6 /127", mutate: (a) => { dual(a); a.hosts.subnet6 = "fd77::/127"; }, field: "hosts.subnet6", says: "between /48 and /126" },
    { title: "subnet6 link-local", mutate: (a) => { dual(a); a.hosts.subnet6 = "fe80::/64"; }, field: "hosts.subnet6", says: "not unicast address space" },
    { title: "subnet6 beside an IPv6 subnet", mutate: (a) => { v6only(a); a.hosts.subnet6 = "fd78::/64"; }, field: "hosts.subnet6", says: "hosts.subnet is IPv6" },
    { title: "IPv4 VIP on IPv6-only hosts", mutate: (a) => { v6only(a); a.vip = "192.168.77.100"; delete a.hosts.subnet; }, field: "hosts.director.address", says: "is IPv6, and the cluster serves the IPv4 VIP" },
    { title: "udp check on a TCP service", mutate: (a) => (a.services[0].healthCheck = { kind: "udp" }), field: "services[0].healthCheck.kind", says: "cannot check a TCP service" },
    { title: "tcp check on a UDP service", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "tcp" } }), field: "services[0].healthCheck.kind", says: 'use kind "udp"' },
    { title: "udp payload of an odd digit count", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "udp", payload: "abc" } }), field: "services[0].healthCheck.payload", says: "even number of hexadecimal digits" },
    { title: "udp payload with shell syntax", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "udp", payload: "00;reboot" } }), field: "services[0].healthCheck.payload", says: "hexadecimal" },
    { title: "udp payload over 512 bytes", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "udp", payload: "00".repeat(513) } }), field: "services[0].healthCheck.payload", says: "at most 1,024" },
    { title: "udp check with weight0", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "udp", failureAction: "weight0" } }), field: "services[0].healthCheck.failureAction", says: "pinned to its failed real server" },
    { title: "payload on a tcp check", mutate: (a) => (a.services[0].healthCheck = { kind: "tcp", payload: "00" }), field: "services[0].healthCheck.payload", says: "only used by udp checks" },
    { title: "requireReply not a boolean", mutate: (a) => (a.services[0] = { port: 53, protocol: "udp", healthCheck: { kind: "udp", requireReply: "yes" } }), field: "services[0].healthCheck.requireReply", says: "true or false" },
    { title: "sorry server of no VIP's family", mutate: (a) => (a.services[0].sorryServer = "fd77::200"), field: "services[0].sorryServer", says: "is IPv6 and no VIP is" },
    { title: "sorry server on a host's address6", mutate: (a) => { dual(a); a.services[0].sorryServer = "fd77::b"; }, field: "services[0].sorryServer", says: "host of this cluster" },
    { title: "VIP equal to the director", mutate: (a) => (a.vip = "192.168.77.10"), field: "vip", says: "equals the director's address" },
    { title: "VIP equal to a real server", mutate: (a) => (a.vip = "192.168.77.12"), field: "vip", says: "equals real server 1's address" },
    { title: "VIP outside the subnet", mutate: (a) => (a.vip = "10.0.0.100"), field: "vip", says: "outside hosts.subnet 192.168.77.0/24" },
    { title: "VIP is the broadcast address", mutate: (a) => (a.vip = "192.168.77.255"), field: "vip", says: "network or broadcast" },
    { title: "subnet malformed", mutate: (a) => (a.hosts.subnet = "192.168.77.0/33"), field: "hosts.subnet", says: "prefix length" },
    { title: "subnet with host bits", mutate: (a) => (a.hosts.subnet = "192.168.77.9/24"), field: "hosts.subnet", says: "did you mean 192.168.77.0/24" },
    { title: "host outside the subnet", mutate: (a) => (rs(a, 1).address = "192.168.78.12"), field: "hosts.realServers[1].address", says: "outside hosts.subnet" },
    { title: "duplicate real server address", mutate: (a) => (rs(a, 1).address = "192.168.77.11"), field: "hosts.realServers[1].address", says: "is also hosts.realServers[0].address" },
    { title: "real server on the director's address", mutate: (a) => (rs(a, 0).address = "192.168.77.10"), field: "hosts.realServers[0].address", says: "is also hosts.director.address" },
    { title: "host address not an IP", mutate: (a) => (a.hosts.director.address = "director.lan"), field: "hosts.director.address", says: "not an IPv4 or IPv6 address" },
    { title: "no real servers", mutate: (a) => (a.hosts.realServers = []), field: "hosts.realServers", says: "non-empty list" },
    { title: "real servers not a list", mutate: (a) => (a.hosts.realServers = { address: "192.168.77.11" }), field: "hosts.realServers", says: "non-empty list" },
    { title: "no director", mutate: (a) => delete a.hosts.director, field: "hosts.director", says: "must be an object" },
    { title: "no services", mutate: (a) => (a.services = []), field: "services", says: "non-empty list" },
    { title: "port 0", mutate: (a) => (a.services[0].port = 0), field: "services[0].port", says: "integer in 1-65535" },
    { title: "port 65536", mutate: (a) => (a.services[0].port = 65536), field: "services[0].port", says: "integer in 1-65535" },
    { title: "port as a string", mutate: (a) => (a.services[0].port = "80"), field: "services[0].port", says: "integer in 1-65535" },
    { title: "fractional port", mutate: (a) => (a.services[0].port = 80.5), field: "services[0].port", says: "integer in 1-65535" },
    { title: "duplicate protocol+port", mutate: (a) => a.services.push({ port: 80, protocol: "tcp" }), field: "services[1].port", says: "duplicates services[0] (tcp/80)" },
    { title: "port and ports both", mutate: (a) => (a.services[0].ports = [80, 443]), field: "services[0].port", says: "not both" },
    { title: "ports with one port", mutate: (a) => (a.services[0] = { ports: [80] }), field: "services[0].ports", says: "2-16 ports" },
    { title: "ports with 17 ports", mutate: (a) => (a.services[0] = { ports: Array.from({ length: 17 }, (_, i) => 8000 + i) }), field: "services[0].ports", says: "2-16 ports" },
    { title: "ports not a list", mutate: (a) => (a.services[0] = { ports: "80,443" }), field: "services[0].ports", says: "2-16 ports" },
    { title: "ports with a port out of range", mutate: (a) => (a.services[0] = { ports: [80, 70000] }), field: "services[0].ports[1]", says: "integer in 1-65535" },
    { title: "ports listing a port twice", mutate: (a) => (a.services[0] = { ports: [443, 80, 443] }), field: "services[0].ports[2]", says: "listed twice" },
    { title: "ports overlapping a port service", mutate: (a) => a.services.push({ ports: [443, 80] }), field: "services[1].ports", says: "duplicates services[0] (tcp/80)" },
    { title: "fwmark on a port service", mutate: (a) => (a.services[0].fwmark = 7), field: "services[0].fwmark", says: "only for a firewall-mark service" },
    { title: "fwmark 0", mutate: (a) => (a.services[0] = { ports: [80, 443], fwmark: 0 }), field: "services[0].fwmark", says: "integer in 1-4294967294" },
    { title: "fwmark too large", mutate: (a) => (a.services[0] = { ports: [80, 443], fwmark: 2 ** 32 - 1 }), field: "services[0].fwmark", says: "integer in 1-4294967294" },
    { title: "fwmark shared by two services", mutate: (a) => { a.services = [{ ports: [80, 443], fwmark: 9 }, { ports: [53, 853], protocol: "udp", fwmark: 9 }]; }, field: "services[1].fwmark", says: "uses mark 9, which services[0] uses" },
    { title: "fwmarks adjacent in dual stack (the IPv6 VIP takes fwmark + 1)", mutate: (a) => { dual(a); a.services = [{ ports: [80, 443], fwmark: 9 }, { ports: [53, 853], protocol: "udp", fwmark: 10 }]; }, field: "services[1].fwmark", says: "fwmark and fwmark + 1" },
    { title: "sorry server for a firewall-mark service", mutate: (a) => (a.services[0] = { ports: [80, 443], sorryServer: "192.168.77.200" }), field: "services[0].sorryServer", says: "not offered for a firewall-mark service" },
    { title: "unknown protocol", mutate: (a) => (a.services[0].protocol = "sctp"), field: "services[0].protocol", says: "one of tcp, udp" },
    { title: "unknown scheduler", mutate: (a) => (a.services[0].scheduler = "roundrobin"), field: "services[0].scheduler", says: "rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh" },
    { title: "negative persistence", mutate: (a) => (a.services[0].persistenceSeconds = -1), field: "services[0].persistenceSeconds", says: "integer in 0-2678400" },
    { title: "persistence beyond keepalived's 31 days", mutate: (a) => (a.services[0].persistenceSeconds = 2678401), field: "services[0].persistenceSeconds", says: "keepalived's limit" },
    { title: "DR sorry server off the hosts' subnet", mutate: (a) => (a.services[0].sorryServer = "10.9.9.9"), field: "services[0].sorryServer", says: "DR forwards only there" },
    { title: "DR IPv6 sorry server off the hosts' subnet6", mutate: (a) => { dual(a); a.services[0].sorryServer = "fd78::200"; }, field: "services[0].sorryServer", says: "DR forwards only there" },
    { title: "fractional persistence", mutate: (a) => (a.services[0].persistenceSeconds = 1.5), field: "services[0].persistenceSeconds", says: "integer" },
    { title: "weight not an integer", mutate: (a) => (rs(a, 0).weight = 1.5), field: "hosts.realServers[0].weight", says: "integer in 0-65535" },
    { title: "weight negative", mutate: (a) => (rs(a, 0).weight = -1), field: "hosts.realServers[0].weight", says: "integer in 0-65535" },
    { title: "weight too large", mutate: (a) => (rs(a, 0).weight = 65536), field: "hosts.realServers[0].weight", says: "integer in 0-65535" },
    { title: "weight on the director", mutate: (a) => (a.hosts.director.weight = 2), field: "hosts.director.weight", says: "not a known argument" },
    { title: "no platform", mutate: (a) => delete a.hosts, field: "hosts", says: "exactly one platform must be set, found 0" },
    { title: "two platforms", mutate: (a) => (a.libvirt = { uri: "qemu:///system" }), field: "hosts + libvirt", says: "found 2" },
    { title: "public key given for existing hosts", mutate: (a) => (a.ssh.publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"), field: "ssh.publicKey", says: "only used for VMs" },
    { title: "authorized keys given for existing hosts", mutate: (a) => (a.ssh.authorizedKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"]), field: "ssh.authorizedKeys", says: "does not manage the keys of existing machines" },
    { title: "forwarding nat", mutate: (a) => (a.forwarding = "nat"), field: "forwarding", says: "one of dr, tun" },
    { title: "forwarding in capitals", mutate: (a) => (a.forwarding = "DR"), field: "forwarding", says: "one of dr, tun" },
    { title: "interface injection", mutate: (a) => (rs(a, 0).interface = "eth0; reboot"), field: "hosts.realServers[0].interface", says: "Linux interface name" },
    { title: "interface with command substitution", mutate: (a) => (a.hosts.director.interface = "$(reboot)"), field: "hosts.director.interface", says: "Linux interface name" },
    { title: "interface too long", mutate: (a) => (rs(a, 0).interface = "averyveryverylongname"), field: "hosts.realServers[0].interface", says: "1-15" },
    { title: "interface lo", mutate: (a) => (rs(a, 0).interface = "lo"), field: "hosts.realServers[0].interface", says: "loopback" },
    { title: "interface all (a sysctl pseudo-interface)", mutate: (a) => (a.hosts.director.interface = "all"), field: "hosts.director.interface", says: "pseudo-interface" },
    { title: "ssh user injection", mutate: (a) => (a.ssh.user = "root; reboot"), field: "ssh.user", says: "valid login name" },
    { title: "ssh user empty", mutate: (a) => (a.ssh.user = ""), field: "ssh.user", says: "valid login name" },
    { title: "ssh private key missing", mutate: (a) => delete a.ssh.privateKey, field: "ssh.privateKey", says: "is required" },
    { title: "ssh port out of range", mutate: (a) => (a.ssh.port = 70000), field: "ssh.port", says: "integer in 1-65535" },
    { title: "ssh sudo not a boolean", mutate: (a) => (a.ssh.sudo = "yes"), field: "ssh.sudo", says: "boolean" },
    { title: "per-host ssh host injection", mutate: (a) => (rs(a, 0).ssh = { host: "h`reboot`" }), field: "hosts.realServers[0].ssh.host", says: "DNS name" },
    { title: "per-host ssh host invalid IP", mutate: (a) => (rs(a, 0).ssh = { host: "10.0.0.256" }), field: "hosts.realServers[0].ssh.host", says: "not an IPv4 address" },
    { title: "per-host host key malformed", mutate: (a) => (a.hosts.director.ssh = { hostKey: "ssh-ed25519 $(reboot)" }), field: "hosts.director.ssh.hostKey", says: "SSH public host key" },
    { title: "real server name with spaces", mutate: (a) => (rs(a, 0).name = "web 1"), field: "hosts.realServers[0].name", says: "lower-case letters" },
    { title: "duplicate real server names", mutate: (a) => { rs(a, 0).name = "web"; rs(a, 1).name = "web"; }, field: "hosts.realServers[1].name", says: "unique name" },
    { title: "name clashing with a default index", mutate: (a) => (rs(a, 1).name = "0"), field: "hosts.realServers[1].name", says: "unique name" },
    { title: "unknown top-level argument (typo)", mutate: (a) => (a.service = [{ port: 443 }]), field: "service", says: "not a known argument" },
    { title: "unknown service argument", mutate: (a) => (a.services[0].targetPort = 8080), field: "services[0].targetPort", says: "not a known argument" },
    // Special-purpose addresses, refused even when no subnet is given.
    { title: "VIP loopback", mutate: (a) => { noSubnet(a); a.vip = "127.0.0.1"; }, field: "vip", says: "loopback" },
    { title: "VIP unspecified", mutate: (a) => { noSubnet(a); a.vip = "0.0.0.0"; }, field: "vip", says: "unspecified address" },
    { title: "VIP multicast", mutate: (a) => { noSubnet(a); a.vip = "224.0.0.18"; }, field: "vip", says: "multicast" },
    { title: "VIP broadcast", mutate: (a) => { noSubnet(a); a.vip = "255.255.255.255"; }, field: "vip", says: "broadcast" },
    { title: "VIP link-local", mutate: (a) => { noSubnet(a); a.vip = "169.254.10.1"; }, field: "vip", says: "link-local" },
    { title: "director address loopback", mutate: (a) => { noSubnet(a); a.hosts.director.address = "127.0.0.2"; }, field: "hosts.director.address", says: "loopback" },
    { title: "director address unspecified", mutate: (a) => { noSubnet(a); a.hosts.director.address = "0.0.0.0"; }, field: "hosts.director.address", says: "unspecified" },
    { title: "real server address multicast", mutate: (a) => { noSubnet(a); rs(a, 0).address = "239.1.2.3"; }, field: "hosts.realServers[0].address", says: "multicast" },
    { title: "real server address broadcast", mutate: (a) => { noSubnet(a); rs(a, 1).address = "255.255.255.255"; }, field: "hosts.realServers[1].address", says: "broadcast" },
    { title: "real server address link-local", mutate: (a) => { noSubnet(a); rs(a, 1).address = "169.254.0.7"; }, field: "hosts.realServers[1].address", says: "link-local" },
    { title: "subnet /0", mutate: (a) => (a.hosts.subnet = "0.0.0.0/0"), field: "hosts.subnet", says: "prefix length /0" },
    { title: "subnet /31", mutate: (a) => (a.hosts.subnet = "192.168.77.10/31"), field: "hosts.subnet", says: "between /8 and /30" },
    { title: "subnet of loopback space", mutate: (a) => (a.hosts.subnet = "127.0.0.0/8"), field: "hosts.subnet", says: "not unicast address space" },
    { title: "real server address equal to the VIP", mutate: (a) => (rs(a, 1).address = "192.168.77.100"), field: "hosts.realServers[1].address", says: "is the VIP" },
    { title: "director address equal to the VIP", mutate: (a) => (a.hosts.director.address = "192.168.77.100"), field: "hosts.director.address", says: "is the VIP" },
    // The cluster's name reaches resource names, VM names and tags on every platform.
    { title: "cluster name with shell syntax", mutate: () => undefined, name: "\";touch /tmp/x;\"", field: "name", says: "first argument" },
    { title: "cluster name with a newline", mutate: () => undefined, name: "web\nprod", field: "name", says: "1-40 letters" },
    { title: "cluster name of 10,000 characters", mutate: () => undefined, name: "w".repeat(10000), field: "name", says: "1-40 letters" },
];

/** Refusals specific to the platforms that create VMs; `base` picks the valid starting point. */
const VM_CASES: (Case & { base: () => LvsDrClusterArgs })[] = [
    { base: validLibvirtArgs, title: "libvirt without a public key", mutate: (a) => delete a.ssh.publicKey, field: "ssh.publicKey", says: "required with the libvirt platform" },
    { base: validLibvirtArgs, title: "libvirt public key with a newline (YAML injection)", mutate: (a) => (a.ssh.publicKey += "\nruncmd: [reboot]"), field: "ssh.publicKey", says: "OpenSSH public key" },
    { base: validLibvirtArgs, title: "libvirt public key with options", mutate: (a) => (a.ssh.publicKey = `command="id" ${a.ssh.publicKey}`), field: "ssh.publicKey", says: "options before the key type" },
    { base: validLibvirtArgs, title: "libvirt authorized keys not a list", mutate: (a) => (a.ssh.authorizedKeys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"), field: "ssh.authorizedKeys", says: "list of OpenSSH public keys" },
    { base: validLibvirtArgs, title: "libvirt authorized key with a newline (a second line)", mutate: (a) => (a.ssh.authorizedKeys = [`${a.ssh.publicKey}\nssh-rsa AAAAB3NzaC1yc2EAAAADAQAB evil`]), field: "ssh.authorizedKeys[0]", says: "holds a line break" },
    { base: validLibvirtArgs, title: "libvirt authorized key with a carriage return", mutate: (a) => (a.ssh.authorizedKeys = [`${a.ssh.publicKey}\r`]), field: "ssh.authorizedKeys[0]", says: "each further key as its own entry" },
    { base: validAwsArgs, title: "aws authorized key with options (from=)", mutate: (a) => (a.ssh.authorizedKeys = [a.ssh.publicKey, `from="10.0.0.1",no-pty ${a.ssh.publicKey}`]), field: "ssh.authorizedKeys[1]", says: "remove everything before the key type" },
    { base: validAwsArgs, title: "aws authorized key of no known type", mutate: (a) => (a.ssh.authorizedKeys = ["ssh-dss AAAAB3NzaC1kc3MAAACBAP"]), field: "ssh.authorizedKeys[0]", says: "not an OpenSSH public key" },
    { base: validAwsArgs, title: "aws authorized key not a string", mutate: (a) => (a.ssh.authorizedKeys = [42]), field: "ssh.authorizedKeys[0]", says: "one line of a .pub file" },
    { base: validAwsArgs, title: "aws 65 authorized keys", mutate: (a) => (a.ssh.authorizedKeys = Array.from({ length: 65 }, () => a.ssh.publicKey)), field: "ssh.authorizedKeys", says: "more than 64 keys" },
    { base: validLibvirtArgs, title: "libvirt without a subnet", mutate: (a) => delete a.libvirt.subnet, field: "libvirt.subnet", says: "CIDR" },
    { base: validLibvirtArgs, title: "libvirt network and bridge both set", mutate: (a) => { a.libvirt.network = "default"; a.libvirt.bridge = "br0"; }, field: "libvirt.bridge", says: "cannot be combined" },
    { base: validLibvirtArgs, title: "libvirt URI that is an option", mutate: (a) => (a.libvirt.uri = "--help"), field: "libvirt.uri", says: "libvirt URI" },
    { base: validLibvirtArgs, title: "libvirt base image with XML in it", mutate: (a) => (a.libvirt.baseImage = "/x/'/><disk"), field: "libvirt.baseImage", says: "absolute path or a volume name" },
    { base: validLibvirtArgs, title: "libvirt domain type unknown", mutate: (a) => (a.libvirt.domainType = "xen"), field: "libvirt.domainType", says: "kvm, qemu" },
    { base: validLibvirtArgs, title: "libvirt memory too small", mutate: (a) => (a.libvirt.memoryMiB = 64), field: "libvirt.memoryMiB", says: "128-1048576" },
    { base: validLibvirtArgs, title: "libvirt initrd without kernel", mutate: (a) => (a.libvirt.initrd = "/boot/initrd.img"), field: "libvirt.initrd", says: "direct kernel boot" },
    { base: validLibvirtArgs, title: "libvirt VIP on the network's host side", mutate: (a) => (a.vip = "192.168.77.1"), field: "vip", says: "host-side address" },
    { base: validLibvirtArgs, title: "libvirt VM address on the gateway", mutate: (a) => (a.libvirt.realServers[0].address = "192.168.77.1"), field: "libvirt.realServers[0].address", says: "host-side address" },
    { base: validLibvirtArgs, title: "libvirt subnet too small", mutate: (a) => (a.libvirt.subnet = "192.168.77.96/29"), field: "libvirt.subnet", says: "no room for 3 hosts" },
    { base: validLibvirtArgs, title: "libvirt weight on the director", mutate: (a) => (a.libvirt.director = { weight: 2 }), field: "libvirt.director.weight", says: "not a known argument" },
    { base: validAwsArgs, title: "aws without admin CIDRs", mutate: (a) => delete a.aws.adminCidrs, field: "aws.adminCidrs", says: "no open default" },
    { base: validAwsArgs, title: "aws admin CIDR malformed", mutate: (a) => (a.aws.adminCidrs = ["203.0.113.7"]), field: "aws.adminCidrs[0]", says: "CIDR form" },
    { base: validAwsArgs, title: "aws subnet id without its CIDR", mutate: (a) => (a.aws.subnetId = "subnet-0123456789abcdef0"), field: "aws.subnetCidr", says: "required with aws.subnetId" },
    { base: validAwsArgs, title: "aws VPC CIDR with an existing subnet", mutate: (a) => { a.aws.subnetId = "subnet-0123456789abcdef0"; a.aws.subnetCidr = "10.77.1.0/24"; a.aws.vpcCidr = "10.0.0.0/16"; }, field: "aws.vpcCidr", says: "only applies" },
    { base: validAwsArgs, title: "aws subnet id malformed", mutate: (a) => { a.aws.subnetId = "subnet-xyz; reboot"; a.aws.subnetCidr = "10.77.1.0/24"; }, field: "aws.subnetId", says: "subnet ID" },
    { base: validAwsArgs, title: "aws subnet outside the VPC", mutate: (a) => (a.aws.subnetCidr = "10.78.1.0/24"), field: "aws.subnetCidr", says: "not inside aws.vpcCidr" },
    { base: validAwsArgs, title: "aws VIP on an AWS-reserved address", mutate: (a) => (a.vip = "10.77.1.2"), field: "vip", says: "reserved by AWS" },
    { base: validAwsArgs, title: "aws AMI malformed", mutate: (a) => (a.aws.ami = "debian-12"), field: "aws.ami", says: "AMI ID" },
    { base: validLibvirtArgs, title: "libvirt subnet /0", mutate: (a) => (a.libvirt.subnet = "0.0.0.0/0"), field: "libvirt.subnet", says: "prefix length /0" },
    { base: validLibvirtArgs, title: "libvirt VM address loopback", mutate: (a) => (a.libvirt.realServers[0].address = "127.0.0.1"), field: "libvirt.realServers[0].address", says: "loopback" },
    { base: validLibvirtArgs, title: "libvirt gateway multicast", mutate: (a) => (a.libvirt.gateway = "224.0.0.1"), field: "libvirt.gateway", says: "multicast" },
    { base: validLibvirtArgs, title: "libvirt VM address equal to the VIP", mutate: (a) => (a.libvirt.director = { address: "192.168.77.100" }), field: "libvirt.director.address", says: "is the VIP" },
    { base: validLibvirtArgs, title: "libvirt cluster name with shell syntax", mutate: () => undefined, name: "$(reboot)", field: "name", says: "first argument" },
    { base: validLibvirtArgs, title: "libvirt cluster name that makes no hostname (_)", mutate: () => undefined, name: "web_1", field: "name", says: "makes the VM hostname web_1-director, which is not a hostname" },
    { base: validLibvirtArgs, title: "libvirt cluster name that makes no hostname (..)", mutate: () => undefined, name: "a..b", field: "name", says: "not a hostname" },
    { base: validLibvirtArgs, title: "libvirt VM hostname over 63 characters", mutate: (a) => (a.libvirt.realServers[0].name = "r".repeat(40)), name: "c".repeat(30), field: "name", says: "characters, at most 63" },
    { base: validLibvirtArgs, title: "libvirt VM user that is a system account", mutate: (a) => (a.ssh.user = "nobody"), field: "ssh.user", says: "system account" },
    { base: validAwsArgs, title: "aws VM user that is a system account", mutate: (a) => (a.ssh.user = "daemon"), field: "ssh.user", says: "system account" },
    { base: validLibvirtArgs, title: "libvirt VM user systemd-*", mutate: (a) => (a.ssh.user = "systemd-network"), field: "ssh.user", says: "system account" },
    { base: validLibvirtArgs, title: "libvirt URI host that ssh takes for an option", mutate: (a) => (a.libvirt.uri = "qemu+ssh://-oProxyCommand=x/system"), field: "libvirt.uri", says: "beginning with '-'" },
    { base: validLibvirtArgs, title: "libvirt URI user that ssh takes for an option", mutate: (a) => (a.libvirt.uri = "qemu+ssh://-F@host/system"), field: "libvirt.uri", says: "beginning with '-'" },
    { base: validLibvirtArgs, title: "libvirt URI turning verification off (no_verify)", mutate: (a) => (a.libvirt.uri = "qemu+ssh://root@kvm1/system?no_verify=1"), field: "libvirt.uri", says: "no_verify" },
    { base: validLibvirtArgs, title: "libvirt URI running a command (netcat)", mutate: (a) => (a.libvirt.uri = "qemu+ssh://root@kvm1/system?netcat=/tmp/x"), field: "libvirt.uri", says: "netcat" },
    { base: validLibvirtArgs, title: "libvirt URI with a socket of its own", mutate: (a) => (a.libvirt.uri = "qemu+ssh://root@kvm1/system?socket=/tmp/s"), field: "libvirt.uri", says: "socket" },
    { base: validLibvirtArgs, title: "libvirt URI ignoring known hosts", mutate: (a) => (a.libvirt.uri = "qemu+ssh://root@kvm1/system?known_hosts_verify=ignore"), field: "libvirt.uri", says: "known_hosts_verify" },
    { base: validAwsArgs, title: "aws VPC larger than /16", mutate: (a) => (a.aws.vpcCidr = "10.0.0.0/8"), field: "aws.vpcCidr", says: "AWS VPCs are /16 to /28" },
    { base: validAwsArgs, title: "aws VPC smaller than /28", mutate: (a) => { a.aws.vpcCidr = "10.77.1.0/29"; a.aws.subnetCidr = "10.77.1.0/29"; }, field: "aws.vpcCidr", says: "AWS VPCs are /16 to /28" },
    { base: validAwsArgs, title: "aws subnet /0", mutate: (a) => (a.aws.subnetCidr = "0.0.0.0/0"), field: "aws.subnetCidr", says: "AWS subnets are /16 to /28" },
    { base: validAwsArgs, title: "aws AMI given a subnet ID", mutate: (a) => (a.aws.ami = "subnet-0123456789abcdef0"), field: "aws.ami", says: "AMI ID" },
    { base: validAwsArgs, title: "aws AMI of the wrong length", mutate: (a) => (a.aws.ami = "ami-0123456789"), field: "aws.ami", says: "AMI ID" },
    { base: validAwsArgs, title: "aws subnet ID given an AMI ID", mutate: (a) => { a.aws.subnetId = "ami-0123456789abcdef0"; a.aws.subnetCidr = "10.77.1.0/24"; }, field: "aws.subnetId", says: "subnet ID" },
    { base: validAwsArgs, title: "aws subnet ID as a plain object", mutate: (a) => { a.aws.subnetId = { id: "subnet-0123456789abcdef0" }; a.aws.subnetCidr = "10.77.1.0/24"; }, field: "aws.subnetId", says: "subnet ID" },
    { base: validAwsArgs, title: "aws subnet ID as a list", mutate: (a) => { a.aws.subnetId = ["subnet-0123456789abcdef0"]; a.aws.subnetCidr = "10.77.1.0/24"; }, field: "aws.subnetId", says: "subnet ID" },
    { base: validAwsArgs, title: "aws VM address link-local", mutate: (a) => (a.aws.realServers[0].address = "169.254.169.254"), field: "aws.realServers[0].address", says: "link-local" },
    { base: validAwsArgs, title: "aws cluster name with a newline", mutate: () => undefined, name: "web\n", field: "name", says: "1-40 letters" },
    { base: validAwsArgs, title: "aws IPv6 VIP (not offered there)", mutate: (a) => (a.vip = "fd77::100"), field: "vip", says: "aws platform does not offer" },
    { base: validAwsArgs, title: "aws dual stack (not offered there)", mutate: (a) => (a.vip6 = "fd77::100"), field: "vip6", says: "aws platform does not offer" },
    { base: validAwsArgs, title: "aws VM address6", mutate: (a) => (a.aws.realServers[0].address6 = "fd77::b"), field: "aws.realServers[0].address6", says: "not offered on the aws platform" },
    { base: validLibvirtArgs, title: "libvirt IPv6 VIP without subnet6", mutate: (a) => (a.vip = "fd77::100"), field: "libvirt.director.address6", says: "set libvirt.subnet6" },
    { base: validLibvirtArgs, title: "libvirt address6 without subnet6", mutate: (a) => (a.libvirt.realServers[0].address6 = "fd77::b"), field: "libvirt.realServers[0].address6", says: "requires libvirt.subnet6" },
    { base: validLibvirtArgs, title: "libvirt address6 on the network's host side", mutate: (a) => { a.libvirt.subnet6 = "fd77::/64"; a.libvirt.realServers[0].address6 = "fd77::1"; }, field: "libvirt.realServers[0].address6", says: "host-side IPv6 address" },
    { base: validLibvirtArgs, title: "libvirt planned address6 on the IPv6 VIP", mutate: (a) => { a.libvirt.subnet6 = "fd77::/64"; a.vip6 = "fd77::b"; }, field: "libvirt.realServers[0].address6", says: "is also the VIP" },
    { base: validLibvirtArgs, title: "libvirt subnet6 too small to plan", mutate: (a) => { a.libvirt.subnet6 = "fd77::/126"; a.vip6 = "fd77::2"; }, field: "libvirt.director.address6", says: "smaller than libvirt.subnet" },
    { base: validAwsArgs, title: "aws instance type malformed", mutate: (a) => (a.aws.directorInstanceType = "t3 small"), field: "aws.directorInstanceType", says: "instance type" },
];

/** The arguments' refusal: fails the test when they are accepted. */
function refused(mutate: (args: Loose) => void, base: () => LvsDrClusterArgs = validArgs, name?: string): LvsDrArgsError {
    return refusal(mutate, base, name) ?? assert.fail("expected the arguments to be refused");
}

describe("validateClusterArgs", () => {
    for (const c of CASES) {
        it(`refuses: ${c.title}`, () => {
            const error = refused(c.mutate, validArgs, c.name);
            const problem = error.problems.find((p) => p.field === c.field);
            assert.ok(problem, `no problem for field ${c.field}; got:\n${error.message}`);
            assert.ok(`${problem.problem} ${problem.fix}`.includes(c.says),
                `problem for ${c.field} does not say "${c.says}":\n${error.message}`);
            // The message names the field, shows the value and says how to fix it.
            assert.ok(error.message.includes(`${c.field} = `), error.message);
            assert.ok(error.message.includes("Fix: "), error.message);
        });
    }

    for (const c of VM_CASES) {
        it(`refuses: ${c.title}`, () => {
            const error = refused(c.mutate, c.base, c.name);
            const problem = error.problems.find((p) => p.field === c.field);
            assert.ok(problem, `no problem for field ${c.field}; got:\n${error.message}`);
            assert.ok(`${problem.problem} ${problem.fix}`.includes(c.says), `"${c.says}" not in:\n${error.message}`);
        });
    }

    it("accepts what the refusals above stop short of: a TUN sorry server anywhere, a URI with a key, persistence of 31 days", () => {
        const tun = validArgs();
        tun.forwarding = "tun";
        tun.services[0].sorryServer = "10.9.9.9";
        tun.services[0].persistenceSeconds = 2678400;
        assert.equal(validateClusterArgs(tun).services[0].sorryServer, "10.9.9.9");
        const onSubnet = validArgs();
        onSubnet.services[0].sorryServer = "192.168.77.200";
        assert.equal(validateClusterArgs(onSubnet).services[0].sorryServer, "192.168.77.200");
        const remote = validLibvirtArgs();
        remote.libvirt!.uri = "qemu+ssh://root@kvm1/system?keyfile=/root/.ssh/id_ed25519&known_hosts_verify=normal";
        remote.ssh.user = "debian";
        const plan = validateClusterArgs(remote, "web-1");
        assert.equal(libvirtOf(plan).uri, remote.libvirt!.uri);
        assert.equal(validateClusterArgs(validLibvirtArgs(), "c".repeat(40)).realServers.length, 2);
    });

    it("libvirt: plans addresses from the subnet, creates an isolated network, names domains", () => {
        const args = validLibvirtArgs();
        args.libvirt!.realServers = [{}, { name: "web-b", weight: 3, address: "192.168.77.12" }, {}];
        const plan = validateClusterArgs(args, "demo");
        assert.equal(plan.platform.kind, "libvirt");
        // .10 director, .11 first RS, .12 taken explicitly, so the third RS gets .13.
        assert.deepEqual([...plan.directors, ...plan.realServers].map((h) => h.address),
            ["192.168.77.10", "192.168.77.11", "192.168.77.12", "192.168.77.13"]);
        assert.deepEqual(plan.realServers.map((r) => [r.name, r.weight, r.interface]), [["0", 1, "eth0"], ["web-b", 3, "eth0"], ["2", 1, "eth0"]]);
        assert.equal(plan.directors[0].ssh.host, "192.168.77.10");
        const l = libvirtOf(plan);
        assert.equal(l.network.kind, "create");
        assert.deepEqual(l.network, { kind: "create", name: "demo-net", bridge: libvirtNames.bridge("demo-net"), hostAddress: "192.168.77.1", prefixLength: 24 });
        assert.match(libvirtNames.bridge("demo-net"), /^lvsdr[0-9a-f]{8}$/);
        assert.equal(l.gateway, "192.168.77.1");
        assert.equal(l.uri, "qemu:///system");
        assert.equal(l.domainType, "qemu");
        assert.deepEqual([directorRole(0), ...plan.realServers.map((rs) => realServerRole(rs.name))].map((r) => libvirtNames.domain(plan.name, r)),
            ["demo-director", "demo-rs-0", "demo-rs-web-b", "demo-rs-2"]);
        assert.equal(l.sshPublicKey, args.ssh.publicKey);
    });

    it("libvirt: skips the VIP when planning and attaches to an existing network without a gateway", () => {
        const args = validLibvirtArgs();
        args.vip = "192.168.77.11";
        args.libvirt!.network = "lab";
        const plan = validateClusterArgs(args);
        assert.deepEqual(plan.realServers.map((r) => r.address), ["192.168.77.12", "192.168.77.13"]);
        assert.deepEqual(libvirtOf(plan).network, { kind: "network", name: "lab" });
        assert.equal(libvirtOf(plan).gateway, undefined);
    });

    it("aws: defaults a VPC and subnet, plans addresses off AWS-reserved ones", () => {
        const args = validAwsArgs();
        const plan = validateClusterArgs(args);
        assert.deepEqual(awsOf(plan), {
            kind: "aws", network: { kind: "create", vpcCidr: "10.77.0.0/16" }, subnetCidr: "10.77.1.0/24",
            adminCidrs: ["203.0.113.7/32"],
            directorInstanceType: "t3.small", realServerInstanceType: "t3.small", sshViaPrivateIp: false, sshPublicKey: args.ssh.publicKey,
            sshAuthorizedKeys: [args.ssh.publicKey],
        });
        assert.deepEqual([...plan.directors, ...plan.realServers].map((h) => h.address), ["10.77.1.10", "10.77.1.11", "10.77.1.12"]);
        assert.deepEqual(plan.realServers.map((r) => [r.name, r.weight, r.interface]), [["a", 1, "ens5"], ["b", 2, "ens5"]]);
        assert.equal(plan.directors[0].ssh.sudo, true);
    });

    it("lists every problem at once", () => {
        const error = refused((a) => {
            a.vip = "nope";
            a.services[0].port = 0;
            a.hosts.realServers[0].interface = "eth0;id";
        });
        assert.deepEqual(error.problems.map((p) => p.field).sort(),
            ["hosts.realServers[0].interface", "services[0].port", "vip"]);
        assert.match(error.message, /^Invalid LvsDrCluster arguments \(3 problems\):/);
    });

    it("refuses as Pulumi's input-property error: one entry per problem with its property path, the message as the list, no stack", () => {
        const error = refused((a) => {
            a.vip = "nope";
            a.hosts.realServers[0].interface = "eth0;id";
        });
        assert.ok(pulumi.InputPropertiesError.isInstance(error), "not a pulumi.InputPropertiesError: the provider's construct would not report it per property");
        assert.deepEqual(error.errors.map((e) => e.propertyPath).sort(), ["hosts.realServers[0].interface", "vip"]);
        for (const e of error.errors) {
            const problem = error.problems.find((p) => p.field === e.propertyPath)!;
            assert.ok(e.reason.includes(problem.problem) && e.reason.includes(`Fix: ${problem.fix}.`), e.reason);
            assert.ok(error.message.includes(`  - ${e.propertyPath} = ${e.reason}`), `the message does not list ${e.propertyPath}:\n${error.message}`);
        }
        assert.match(error.message, /^Invalid LvsDrCluster arguments \(2 problems\):\n {2}- /);
        // What the nodejs runtime prints for an unhandled error: the message, neither frames nor the lists.
        assert.equal(error.stack, undefined);
        assert.deepEqual(Object.keys(error).filter((k) => k === "errors" || k === "problems"), []);
    });

    it("refuses a non-object", () => {
        assert.throws(() => validateClusterArgs(undefined as unknown as LvsDrClusterArgs), LvsDrArgsError);
    });

    it("applies every default", () => {
        const plan = validateClusterArgs(validArgs());
        assert.deepEqual(plan.services, [{
            protocol: "tcp", port: 80, scheduler: "wlc", persistenceSeconds: 0,
            healthCheck: { kind: "tcp", intervalSeconds: 1, timeoutSeconds: 1, retries: 2, failureAction: "weight0" },
        }]);
        assert.equal(plan.drainSeconds, 60);
        assert.deepEqual(plan.mode, { kind: "single" });
        assert.deepEqual(plan.network, {
            vipAnnouncement: "gratuitous-arp", vipTakeover: { kind: "address" }, vrrpPeerFilter: "host-firewall", activeActive: { supported: true },
        });
        assert.equal(plan.forwarding, "dr");
        assert.equal(plan.subnet, "192.168.77.0/24");
        assert.deepEqual(plan.directors, [{
            address: "192.168.77.10", interface: "eth0", interfaceFix: "set hosts.director.interface to the NIC that faces the real servers",
            ssh: { host: "192.168.77.10", user: "root", port: 22, sudo: false, privateKey: FAKE_KEY },
        }]);
        assert.deepEqual(plan.platform, { kind: "hosts" });
        assert.deepEqual(plan.realServers.map((r) => [r.name, r.address, r.weight, r.interface]),
            [["0", "192.168.77.11", 1, "eth0"], ["1", "192.168.77.12", 1, "eth0"]]);
    });

    it("keeps explicit settings and per-host SSH overrides", () => {
        const args = validArgs();
        args.forwarding = "tun";
        args.services = [{ port: 53, protocol: "udp", scheduler: "sh", persistenceSeconds: 600 }];
        args.ssh = { user: "debian", privateKey: "k", port: 2222 };
        args.hosts!.realServers[1] = {
            address: "192.168.77.12", interface: "ens3.100", weight: 0, name: "web-b",
            ssh: { host: "rs-b.mgmt.example.org", user: "admin", port: 22, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB" },
        };
        const plan = validateClusterArgs(args);
        assert.equal(plan.forwarding, "tun");
        assert.deepEqual(plan.services, [{
            protocol: "udp", port: 53, scheduler: "sh", persistenceSeconds: 600,
            healthCheck: { kind: "none", intervalSeconds: 1, timeoutSeconds: 1, retries: 2, failureAction: "remove" },
        }]);
        assert.deepEqual(plan.directors[0].ssh, { host: "192.168.77.10", user: "debian", port: 2222, sudo: true, privateKey: "k" });
        assert.deepEqual(plan.realServers[1], {
            name: "web-b", address: "192.168.77.12", interface: "ens3.100", weight: 0,
            interfaceFix: "set the interface of the hosts.realServers entry named \"web-b\" to the NIC that faces the director",
            ssh: { host: "rs-b.mgmt.example.org", user: "admin", port: 22, sudo: true, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", privateKey: "k" },
        });
    });

    it("dual stack on existing hosts: both VIPs, every host's address6, canonical IPv6 text", () => {
        const args = validArgs() as unknown as Loose;
        dual(args);
        args.vip6 = "FD77:0::0100";
        args.hosts.director.address6 = "fd77:0:0:0::a";
        const plan = validateClusterArgs(args as LvsDrClusterArgs);
        assert.equal(plan.vip, "192.168.77.100");
        assert.equal(plan.vip6, "fd77::100");
        assert.equal(plan.subnet6, "fd77::/64");
        assert.deepEqual([...plan.directors, ...plan.realServers].map((h) => [h.address, h.address6]),
            [["192.168.77.10", "fd77::a"], ["192.168.77.11", "fd77::b"], ["192.168.77.12", "fd77::c"]]);
    });

    it("IPv6 only on existing hosts: an IPv6 VIP, subnet and addresses (the SSH target too)", () => {
        const args = validArgs() as unknown as Loose;
        v6only(args);
        const plan = validateClusterArgs(args as LvsDrClusterArgs);
        assert.equal(plan.vip, "fd77::100");
        assert.equal(plan.vip6, undefined);
        assert.equal(plan.subnet6, "fd77::/64");
        assert.equal(plan.subnet, undefined);
        assert.equal(plan.directors[0].ssh.host, "fd77::a");
        assert.deepEqual(plan.realServers.map((r) => r.address), ["fd77::b", "fd77::c"]);
    });

    it("libvirt dual stack: address6 at each VM's IPv4 offset, the network's IPv6 host side, an explicit address6 kept", () => {
        const args = validLibvirtArgs();
        args.vip6 = "fd77::100";
        args.libvirt!.subnet6 = "fd77::/64";
        args.libvirt!.backupDirector = {};
        args.libvirt!.realServers = [{}, { address6: "fd77::beef" }];
        const plan = validateClusterArgs(args, "demo");
        assert.deepEqual([...plan.directors, ...plan.realServers].map((h) => [h.address, h.address6]), [
            ["192.168.77.10", "fd77::a"], ["192.168.77.9", "fd77::9"], ["192.168.77.11", "fd77::b"], ["192.168.77.12", "fd77::beef"],
        ]);
        const l = libvirtOf(plan);
        assert.equal(l.prefixLength6, 64);
        assert.deepEqual(l.network, {
            kind: "create", name: "demo-net", bridge: libvirtNames.bridge("demo-net"), hostAddress: "192.168.77.1", prefixLength: 24,
            ipv6: { hostAddress: "fd77::1", prefixLength: 64 },
        });
    });

    it("accepts a cluster without a known subnet (no containment check possible)", () => {
        const args = validArgs();
        delete args.hosts!.subnet;
        args.vip = "10.9.9.9";
        assert.equal(validateClusterArgs(args).subnet, undefined);
    });
});
