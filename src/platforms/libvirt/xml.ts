/**
 * What the libvirt platform hands to libvirt and to cloud-init: network and domain XML, and the
 * NoCloud seed documents (rendered by `../vm/cloud-init.ts`). (Volume XML is written by the provider: it needs the base image's path
 * and the seed's size, known only when the VM is created.) Pure text rendering; every value was
 * validated, and is escaped (XML) or JSON-quoted (YAML) anyway.
 */
import { netmaskOf } from "../../core/addresses";
import type { HostPlan } from "../../core/plan";
import { renderNetworkConfig, renderUserData } from "../vm/cloud-init";
import { libvirtNames } from "./names";
import type { LibvirtNetworkPlan, LibvirtPlatformPlan } from "./plan";

type CreatedNetwork = Extract<LibvirtNetworkPlan, { kind: "create" }>;

export function xmlEscape(value: string | number): string {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/**
 * An isolated network: a bridge with the host's address (and IPv6 address) on it, no <forward>
 * (nothing is routed out), no DHCP. libvirt's dnsmasq advertises an IPv6 prefix; the VMs ignore
 * router advertisements (their network-config), so their addresses and routes are only the static ones.
 */
export function renderNetworkXml(net: CreatedNetwork): string {
    const ipv6 = net.ipv6 ? `  <ip family='ipv6' address='${xmlEscape(net.ipv6.hostAddress)}' prefix='${xmlEscape(net.ipv6.prefixLength)}'/>\n` : "";
    return `<network>
  <name>${xmlEscape(net.name)}</name>
  <bridge name='${xmlEscape(net.bridge)}' stp='off' delay='0'/>
  <ip address='${xmlEscape(net.hostAddress)}' netmask='${xmlEscape(netmaskOf(net.prefixLength))}'/>
${ipv6}</network>
`;
}

/** The per-VM names and documents the provider needs. */
export interface VmSpec {
    domain: string;
    mac: string;
    diskVolume: string;
    seedVolume: string;
    domainXml: string;
    userData: string;
    metaData: string;
    networkConfig: string;
}

function nicXml(plan: LibvirtPlatformPlan, mac: string): string {
    const source = plan.network.kind === "bridge" ? `type='bridge'>\n      <source bridge='${xmlEscape(plan.network.name)}'/>`
        : `type='network'>\n      <source network='${xmlEscape(plan.network.name)}'/>`;
    return `<interface ${source}
      <mac address='${xmlEscape(mac)}'/>
      <model type='virtio'/>
    </interface>`;
}

function osXml(plan: LibvirtPlatformPlan): string {
    const k = plan.kernel;
    const kernel = k ? [
        `    <kernel>${xmlEscape(k.path)}</kernel>`,
        ...(k.initrd ? [`    <initrd>${xmlEscape(k.initrd)}</initrd>`] : []),
        `    <cmdline>${xmlEscape(k.cmdline)}</cmdline>`,
    ] : [];
    return ["  <os>", "    <type arch='x86_64'>hvm</type>", ...kernel, "    <boot dev='hd'/>", "  </os>"].join("\n");
}

export function renderDomainXml(plan: LibvirtPlatformPlan, domain: string, mac: string, diskVolume: string, seedVolume: string): string {
    const pool = xmlEscape(plan.pool);
    return `<domain type='${plan.domainType}'>
  <name>${xmlEscape(domain)}</name>
  <memory unit='MiB'>${plan.memoryMiB}</memory>
  <vcpu>${plan.vcpus}</vcpu>
${osXml(plan)}
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='${pool}' volume='${xmlEscape(diskVolume)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='${pool}' volume='${xmlEscape(seedVolume)}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
    ${nicXml(plan, mac)}
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>
`;
}

/** YAML scalars (the seed's meta-data) are written as JSON strings: JSON is YAML. */
const q = JSON.stringify;

/**
 * Everything the provider needs for one VM. The instance id changes with the seed's content, so
 * cloud-init applies a changed seed on a new VM and never half-applies it to an old one.
 */
export function vmSpec(plan: LibvirtPlatformPlan, domain: string, host: HostPlan): VmSpec {
    const mac = libvirtNames.mac(domain);
    const diskVolume = libvirtNames.disk(domain);
    const seedVolume = libvirtNames.seed(domain);
    const userData = renderUserData(domain, host.ssh.user, plan.sshPublicKey);
    const networkConfig = renderNetworkConfig(mac, host.address, plan.prefixLength, plan.gateway,
        host.address6 && plan.prefixLength6 ? { address: host.address6, prefixLength: plan.prefixLength6 } : undefined);
    const instanceId = libvirtNames.instanceId(domain, userData + networkConfig);
    return {
        domain, mac, diskVolume, seedVolume,
        domainXml: renderDomainXml(plan, domain, mac, diskVolume, seedVolume),
        userData,
        metaData: `instance-id: ${q(instanceId)}\nlocal-hostname: ${q(domain)}\n`,
        networkConfig,
    };
}
