/**
 * The root project's program: an LVS-DR cluster whose platform and settings come from stack config.
 *
 * With none of `hosts`, `libvirt` or `aws` set it deploys on the embedded lab (see DEVELOPMENT.md, "The
 * root project and `npm run demo`"): libvirt VMs from the lab image on an isolated 192.168.78.0/24 network, a director pair
 * (`directors`: 2, the default, or 1) and `realServers` (default 3) real servers serving HTTP on the
 * VIP 192.168.78.100. `npm run demo` does exactly that. Otherwise exactly one of the objects `hosts`, `libvirt`, `aws` (the component's args
 * of the same name) selects the platform, e.g. for machines that already exist:
 *
 *   pulumi config set vip 192.168.77.100
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"
 *   pulumi config set --path 'hosts.director.address' 192.168.77.10
 *   pulumi config set --path 'hosts.realServers[0].address' 192.168.77.11
 *   pulumi config set --path 'hosts.realServers[1].address' 192.168.77.12
 *
 * Config keys: vip, vip6 (an IPv6 VIP beside an IPv4 vip: dual stack), sshUser (default root),
 * sshPrivateKey (secret, required), sshPublicKey (required for VMs), sshPort, services (default one TCP service on 80), scheduler (default for
 * services that set none; default wlc), forwarding (dr|tun), clusterName (default lvsdr: names
 * resources and VMs), drainSeconds, and on the lab: directors (1 or 2, default 2), realServers
 * (count), weights (one per real server), labSubnet (a /24, default 192.168.78.0/24; the VIP
 * defaults to its .100), gone (VMs marked gone: ["director", "backupDirector", "rs-<i>"]),
 * keepMachine (VMs kept as they are, same names), memoryMiB (every VM's), labSubnet6 (an IPv6
 * subnet, e.g. fd78::/64: every lab VM then gets an IPv6 address too, at its IPv4 offset, and
 * vip6 can be served), composed (with hosts: each host's address comes from a resource of the
 * program, program/machine.ts, as machines another resource makes do), bgp (active-active
 * directors, with hosts.directors: the component's `bgp` argument; output bgpStates), activeActive
 * (on the lab: three active-active directors a, b, c, VIP 10.78.0.100, services 80 and 7000 with
 * mh, peering with the router of `npm run demo -- --active-active`).
 */
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as path from "path";
import {
    type Forwarding, type LvsDrAwsArgs, type LvsDrBgpArgs, LvsDrCluster, type LvsDrExistingHostsArgs, type LvsDrHostArgs, type LvsDrLibvirtArgs, type LvsDrServiceArgs,
    type Scheduler,
} from "../src";
import { Machine } from "./machine";
import { labImageFiles, labLibvirtArgs } from "../lab/lab-libvirt";

const LAB_SUBNET = "192.168.78.0/24";
/** The lab's active-active directors (`activeActive`), their VIP (outside the subnet: the lab's router reaches it by BGP) and ASNs. */
const ACTIVE_ACTIVE_DIRECTORS = ["a", "b", "c"];
const ACTIVE_ACTIVE_VIP = "10.78.0.100";
const ACTIVE_ACTIVE_ASN = 65010;
const ROUTER_ASN = 65000;

/** The libvirt args of the embedded lab, with the image lab/image.sh built. */
function labLibvirt(config: pulumi.Config, subnet: string, subnet6: string | undefined, activeActive: boolean): LvsDrLibvirtArgs {
    // This file runs from program/ (nodejs language host, ts-node) or from build/program/ (compiled,
    // hosted by lab/pulumi.ts); the repository root is one or two levels up.
    const repo = path.resolve(__dirname, "..", ...(path.basename(path.dirname(__dirname)) === "build" ? [".."] : []));
    let image: string;
    try {
        image = execFileSync("bash", [path.join(repo, "lab", "image.sh"), "path"], { encoding: "utf8" }).trim();
    } catch {
        throw new Error("no platform is configured (hosts, libvirt or aws) and the lab image is missing: run `bash lab/lab.sh up`");
    }
    const count = config.getNumber("realServers", { min: 1, max: 50 }) ?? 3;
    const weights = config.getObject<number[]>("weights") ?? [];
    const directors = config.getNumber("directors", { min: 1, max: 2 }) ?? 2;
    // Lab VMs marked gone (LvsDrVmArgs.gone): "director", "backupDirector", "rs-<i>".
    const gone = new Set(config.getObject<string[]>("gone") ?? []);
    // Lab VMs kept as they are through a change of memoryMiB (LvsDrVmArgs.keepMachine): the same names.
    const kept = new Set(config.getObject<string[]>("keepMachine") ?? []);
    const flag = (role: string) => ({ ...(gone.has(role) ? { gone: true } : {}), ...(kept.has(role) ? { keepMachine: true } : {}) });
    const args = labLibvirtArgs(labImageFiles(image), subnet,
        Array.from({ length: count }, (_, i) => ({ weight: weights[i], ...flag(`rs-${i}`) })), !activeActive && directors === 2, subnet6);
    if (activeActive) {
        // Three active-active directors, VMs <cluster>-director-a, -b, -c (gone and keepMachine: "director-a", ...).
        return { ...args, directors: ACTIVE_ACTIVE_DIRECTORS.map((name) => ({ name, ...flag(`director-${name}`) })) };
    }
    const memoryMiB = config.getNumber("memoryMiB");
    return {
        ...args,
        ...(memoryMiB ? { memoryMiB } : {}),
        ...(gone.has("director") || kept.has("director") ? { director: flag("director") } : {}),
        ...(args.backupDirector ? { backupDirector: { ...args.backupDirector, ...flag("backupDirector") } } : {}),
    };
}

/**
 * `composed`: the hosts' addresses as another resource's outputs (program/machine.ts), as a program
 * whose own resources make the machines gives them.
 */
function composedHosts(hosts: LvsDrExistingHostsArgs, cluster: string): LvsDrExistingHostsArgs {
    const from = (role: string, host: LvsDrHostArgs): LvsDrHostArgs => ({ ...host, address: new Machine(`${cluster}-${role}-machine`, { at: host.address }).address });
    return {
        ...hosts,
        ...(hosts.director ? { director: from("director", hosts.director) } : {}),
        ...(hosts.backupDirector ? { backupDirector: from("director-1", hosts.backupDirector) } : {}),
        realServers: hosts.realServers.map((rs, i) => from(`rs-${rs.name ?? i}`, rs)),
    };
}

export = async () => {
    const config = new pulumi.Config();
    const given = config.getObject<LvsDrExistingHostsArgs>("hosts");
    const hosts = given && config.getBoolean("composed") ? composedHosts(given, config.get("clusterName") ?? "lvsdr") : given;
    const aws = config.getObject<LvsDrAwsArgs>("aws");
    const onLab = !hosts && !aws && config.getObject("libvirt") === undefined;
    const labSubnet = config.get("labSubnet", { pattern: /^\d+\.\d+\.\d+\.0\/24$/ }) ?? LAB_SUBNET;
    const activeActive = onLab && (config.getBoolean("activeActive") ?? false);
    const libvirt = onLab ? labLibvirt(config, labSubnet, config.get("labSubnet6"), activeActive) : config.getObject<LvsDrLibvirtArgs>("libvirt");
    // Active-active directors: with hosts.directors (README, "Active-active directors"), or the
    // lab's three (`activeActive`) peering with the router lab/demo-active-active.ts makes at the subnet's .254.
    const bgp = config.getObject<LvsDrBgpArgs>("bgp") ??
        (activeActive ? { asn: ACTIVE_ACTIVE_ASN, peers: [{ address: labSubnet.replace(/0\/24$/, "254"), asn: ROUTER_ASN }] } : undefined);
    // Config values are plain strings: the component refuses any that is not a scheduler/forwarding.
    const scheduler = config.get<Scheduler>("scheduler");
    const services = (config.getObject<LvsDrServiceArgs[]>("services") ?? [{ port: 80 }, ...(activeActive ? [{ port: 7000 }] : [])])
        .map((s) => ({ ...s, scheduler: s.scheduler ?? scheduler ?? (bgp ? "mh" as const : undefined) }));

    const cluster = new LvsDrCluster(config.get("clusterName") ?? "lvsdr", {
        vip: config.get("vip") ?? (activeActive ? ACTIVE_ACTIVE_VIP : onLab ? labSubnet.replace(/0\/24$/, "100") : config.require("vip")),
        vip6: config.get("vip6"),
        services,
        forwarding: config.get<Forwarding>("forwarding"),
        drainSeconds: config.getNumber("drainSeconds"),
        ssh: {
            user: config.get("sshUser") ?? "root",
            privateKey: config.requireSecret("sshPrivateKey"),
            publicKey: config.get("sshPublicKey"),
            port: config.getNumber("sshPort"),
        },
        bgp,
        hosts,
        libvirt,
        aws,
    });

    return {
        vip: cluster.vip,
        ...(config.get("vip6") ? { vip6: cluster.vip6 } : {}),
        directorAddress: cluster.directorAddress,
        directorAddresses: cluster.directorAddresses,
        realServerAddresses: cluster.realServerAddresses,
        ipvsTable: cluster.ipvsTable,
        ipvsTables: cluster.ipvsTables,
        ...(bgp ? { bgpStates: cluster.bgpStates } : {}),
        ...(libvirt ? { libvirtDomainNames: cluster.libvirtDomainNames, libvirtNetworkName: cluster.libvirtNetworkName } : {}),
        ...(aws ? { awsInstanceIds: cluster.awsInstanceIds } : {}),
    };
};
