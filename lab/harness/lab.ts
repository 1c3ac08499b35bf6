/**
 * The VM lab: real Debian VMs under QEMU software emulation on libvirt, inside the network
 * namespace that lab/libvirtd.sh made. VMs are created and deleted by the libvirt platform's own
 * providers with the inputs the platform computes; hosts are configured with the exact command
 * texts the component's remote commands run. The namespace is the client: all traffic stays in it.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LAB_POOL, type LabImage, labImageFiles, labLibvirtArgs } from "../lab-libvirt";
import type { Forwarding, LvsDrClusterArgs, LvsDrHealthCheckArgs, LvsDrServiceArgs, Scheduler } from "../../src/args";
import { directorRole, realServerRole } from "../../src/core/names";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import type { HostPlan, RealServerPlan } from "../../src/core/plan";
import type { ClusterPlan } from "../../src/core/plan";
import { type CommandLines, directorRulesCommand, directorSetupCommand, realServerSetupCommand } from "../../src/core/scripts/command-lines";
import type { HostRun } from "../../src/core/scripts/render";
import { validateClusterArgs } from "../../src/component/validate";
import { networkInputs, vmInputs } from "../../src/platforms/libvirt/inputs";
import { createNetwork, createVm, deleteNetwork, deleteVm, type NetworkInputs, type VmInputs } from "../../src/platforms/libvirt/provider";
import { createdNetworkOf, libvirtOf } from "./plans";
import { run } from "./spawn";

export const NETNS = process.env.LVSDR_NETNS ?? "lvsdr-lab";
export const POOL = LAB_POOL;
export const URI = "qemu:///system";
export const CLUSTER = "lvsdr-lab";
export const VIP = "192.168.77.100";
/** The lab's IPv6 VIP: every lab cluster is dual stack (an isolated unique-local /64 beside the IPv4 subnet). */
export const VIP6 = "fd77::100";
export const SUBNET6 = "fd77::/64";
const REPO = path.resolve(__dirname, "../../..");


/** Fails, naming what is missing, unless libvirtd, the pool, the image and the client tools are there. */
export function requireLab(): LabImage {
    const missing: string[] = [];
    if (process.getuid?.() !== 0) {
        missing.push("root");
    }
    for (const [tool, pkg] of [["ssh", "openssh-client"], ["ssh-keygen", "openssh-client"], ["curl", "curl"],
        ["arping", "iputils-arping"], ["ndisc6", "ndisc6"], ["tcpdump", "tcpdump"], ["virsh", "libvirt-clients"], ["bird", "bird2"]]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
            missing.push(`${tool} (apt-get install ${pkg})`);
        }
    }
    if (spawnSync("virsh", ["-c", URI, "pool-info", POOL]).status !== 0) {
        missing.push(`libvirtd with pool ${POOL} (run: bash lab/lab.sh up)`);
    }
    const r = spawnSync("bash", [path.join(REPO, "lab/image.sh"), "path"], { encoding: "utf8" });
    const dir = r.stdout.trim();
    if (r.status !== 0 || !fs.existsSync(path.join(dir, "disk.qcow2"))) {
        missing.push("the lab VM image (run: bash lab/lab.sh up)");
    }
    if (missing.length > 0) {
        throw new Error(`the VM lab cannot run; missing: ${missing.join("; ")}`);
    }
    return labImageFiles(dir);
}

export interface Sh {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a command inside the lab namespace (the client side of the lab network), with `stdin` on its standard input. */
export function inNetns(command: string, timeoutMs = 120000, stdin = ""): Sh {
    const r = spawnSync("ip", ["netns", "exec", NETNS, "sh", "-c", command], { encoding: "utf8", timeout: timeoutMs, input: stdin });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? "") };
}

/** Starts a command inside the namespace in the background; resolves with its result. */
export function inNetnsAsync(command: string, stdin = ""): Promise<Sh> {
    return run("ip", ["netns", "exec", NETNS, "sh", "-c", command], stdin);
}

/** A command for a lab host: a command line, or a product command's run (its loader line and the script on stdin). */
export type LabCommand = string | HostRun;

const runOf = (remote: LabCommand): HostRun => (typeof remote === "string" ? { command: remote, stdin: "" } : remote);

/**
 * A shell command line (for inNetns) that runs `command` as root on `address` over SSH, one exec of
 * the text. Connections are multiplexed: the first command to a host leaves a master connection
 * (a socket beside the key; gone 60 s after its last use) that the next ones open a channel on.
 * Under software emulation a new SSH connection costs a VM about 2.5 s of CPU (key exchange, sshd's
 * re-exec, PAM), a channel on a live one about 0.2 s (measured on a lab VM); the test suites make
 * hundreds. A master notices a vanished peer within ServerAliveInterval x ServerAliveCountMax
 * (10 s); callers that crash, destroy or reboot a VM close its master at once ({@link closeSsh}).
 * What the product's commands do is unchanged: the command provider opens a connection per command.
 */
export function sshCommandLine(key: string, address: string, command: string, connectTimeout = 10): string {
    return ["ssh", ...sshOptions(key), "-o", `ConnectTimeout=${connectTimeout}`, `root@${address}`, shQuote(command)].join(" ");
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The master connections' sockets: beside the key, one per host (ssh expands %C). */
const muxPath = (key: string): string => path.join(path.dirname(key), "mux-%C");

function sshOptions(key: string): string[] {
    return ["-i", shQuote(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
        "-o", "ControlMaster=auto", "-o", `ControlPath=${shQuote(muxPath(key))}`,
        "-o", "ControlPersist=60", "-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=5"];
}

/**
 * Ends the master connection to `address` made by {@link sshCommandLine} with `key`, if any: after
 * its VM was destroyed or told to reboot, a command must dial afresh, not wait on a dead master.
 */
export function closeSsh(key: string, address: string): void {
    spawnSync("ssh", ["-o", `ControlPath=${muxPath(key)}`, "-O", "exit", `root@${address}`], { encoding: "utf8", timeout: 10000 });
}

/** Ends every master connection made with `key` (before its directory is deleted). */
export function closeAllSsh(key: string): void {
    const dir = path.dirname(key);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (f.startsWith("mux-")) {
            spawnSync("ssh", ["-o", `ControlPath=${path.join(dir, f)}`, "-O", "exit", "lab-host"], { encoding: "utf8", timeout: 10000 });
        }
    }
}

/**
 * `n` HTTP requests to `vip` from the namespace, each on a new connection from a port the kernel
 * chooses, as any client's; the answering hostnames (FAILED for a failed request).
 */
export function requestsTo(vip: string, n: number): string[] {
    const r = inNetns(`i=0; while [ $i -lt ${n} ]; do curl -g -s -m 10 -H 'Connection: close' ${urlOf(vip)} || echo FAILED; i=$((i+1)); done`, 600000);
    return r.stdout.split("\n").filter(Boolean);
}

/** `http://VIP/` (`http://[VIP6]/` for IPv6; curl needs -g for the brackets), with `path` after the slash. */
export function urlOf(vip: string, path = ""): string {
    return vip.includes(":") ? `http://[${vip}]/${path}` : `http://${vip}/${path}`;
}

/** One request from a given client port: who answered (FAILED), curl's exit code and the time it took. */
export interface PortRequest {
    port: number;
    host: string;
    exit: number;
    seconds: number;
}

/**
 * One request to `vip` from each of `ports`, in order, each waiting at most `timeout` seconds. For
 * checks about client port reuse: a client behind a NAT gateway, or one that simply cycles through
 * its ports, reuses a port while the director still tracks its previous connection. curl reads to
 * the end of the connection (--ignore-content-length), so the server closes first and the client's
 * port is free again at once, as a NAT gateway's is (had curl closed first, its own TIME_WAIT
 * socket would refuse the next bind: curl exit 45).
 */
export function requestsFromPorts(vip: string, ports: number[], timeout: number): PortRequest[] {
    const r = inNetns(`body=$(mktemp); for p in ${ports.join(" ")}; do
  : > "$body"
  t=$(curl -s -m ${timeout} --local-port $p --ignore-content-length -H 'Connection: close' -o "$body" -w '%{time_total}' http://${vip}/) && rc=0 || rc=$?
  echo "$p $rc $t $(cat "$body")"
done; rm -f "$body"`, 60000 + ports.length * timeout * 1000);
    return r.stdout.split("\n").filter(Boolean).map((line) => {
        const [port, exit, seconds, host] = line.split(/\s+/);
        return { port: Number(port), exit: Number(exit), seconds: Number(seconds), host: exit === "0" && host ? host : "FAILED" };
    });
}

/** Domains, networks and volumes (pool {@link POOL}) of the lab's libvirt whose listing mentions `prefix`. */
export function libvirtObjects(prefix: string): string[] {
    const list = (args: string[]): string[] => execFileSync("virsh", ["-c", URI, ...args], { encoding: "utf8" })
        .split("\n").map((l) => l.trim()).filter((l) => l.includes(prefix));
    return [
        ...list(["list", "--all", "--name"]).map((d) => `domain ${d}`),
        ...list(["net-list", "--all", "--name"]).map((n) => `network ${n}`),
        ...list(["vol-list", "--pool", POOL]).map((v) => `volume ${v.split(/\s+/)[0]}`),
    ];
}

/** A director's commands of a plan (the first director unless `index` says otherwise). */
export function directorCommands(plan: ClusterPlan, index = 0): { setup: CommandLines; rules: CommandLines } {
    return { setup: directorSetupCommand(plan, plan.directors[index]), rules: directorRulesCommand(plan, plan.directors[index]) };
}

/**
 * A command for a director that returns once `vip` is bound on its eth0 (VRRP made it master),
 * polling 10 times a second, or exits 3 after a minute: started before a failover, it times the
 * takeover on the director itself.
 */
export function waitForVipCommand(vip: string): string {
    return `i=0; until ip -o -4 addr show dev eth0 | grep -qF ' ${vip}/32 '; do i=$((i+1)); [ $i -gt 600 ] && exit 3; sleep 0.1; done`;
}

/** The setup commands of the real server `name` of a plan. */
export function realServerSetupCommandFor(plan: ClusterPlan, name: string): CommandLines {
    return realServerSetupCommand(plan, plan.realServers.find((r) => r.name === name) ?? assert.fail(`no real server ${name} in the plan`));
}

/** The lab host name of the director at `index`: `director`, `director-1`. */
export function directorHost(index: number): string {
    return directorRole(index);
}

let shared: { lab: Lab; booted: Promise<Lab> } | undefined;

/**
 * The VMs of this mocha run: a director pair and three real servers, booted once and shared by
 * every VM suite of the run (`npm run test:vms` runs the lab checks and test:ha on one boot: five
 * boots under software emulation cost minutes). Deleted by the run's root hook (the VM suites' hooks.ts).
 */
export function sharedLab(): Promise<Lab> {
    if (!shared) {
        const lab = new Lab({ pair: true });
        shared = { lab, booted: lab.boot().then(() => lab) };
    }
    return shared.booted;
}

/** Deletes the shared lab's VMs and network (what exists, even after a failed boot) and its key. */
export function releaseSharedLab(): void {
    shared?.lab.destroyAll(true);
    shared?.lab.cleanupKey();
    shared = undefined;
}

export class Lab {
    readonly image: LabImage;
    readonly keyDir: string;
    readonly key: string;
    /** All VMs the lab boots: the director (or the pair) and three real servers a, b, c. */
    readonly full: ClusterPlan;

    /** A director pair (`director` and `director-1`) instead of one director. */
    readonly pair: boolean;

    constructor(options: { pair?: boolean } = {}) {
        this.pair = options.pair ?? false;
        this.image = requireLab();
        this.keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-lab-key-"));
        this.key = path.join(this.keyDir, "id_ed25519");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lvsdr-lab", "-f", this.key]);
        this.full = this.plan({ realServers: [{ name: "a" }, { name: "b" }, { name: "c" }] });
    }

    /** A validated plan on the lab's libvirt (same addresses for the same server names). */
    plan(overrides: {
        realServers: { name: string; weight?: number }[]; forwarding?: Forwarding; scheduler?: Scheduler;
        drainSeconds?: number; healthCheck?: LvsDrHealthCheckArgs;
        /** A director pair or one director (default: the lab's). A pair lab serves both. */
        pair?: boolean;
        /** Serve the IPv6 VIP beside the IPv4 one (default true: the lab's VMs always have IPv6 addresses). */
        dual?: boolean;
        /** Services after the HTTP service on port 80. */
        services?: LvsDrServiceArgs[];
    }): ClusterPlan {
        const args: LvsDrClusterArgs = {
            vip: VIP,
            ...(overrides.dual ?? true ? { vip6: VIP6 } : {}),
            services: [{ port: 80, scheduler: overrides.scheduler ?? "rr", ...(overrides.healthCheck ? { healthCheck: overrides.healthCheck } : {}) },
                ...(overrides.services ?? [])],
            ...(overrides.drainSeconds !== undefined ? { drainSeconds: overrides.drainSeconds } : {}),
            forwarding: overrides.forwarding,
            ssh: {
                user: "root",
                privateKey: fs.readFileSync(this.key, "utf8"),
                publicKey: fs.readFileSync(`${this.key}.pub`, "utf8").trim(),
            },
            libvirt: labLibvirtArgs(this.image, "192.168.77.0/24", overrides.realServers, overrides.pair ?? this.pair, SUBNET6),
        };
        return validateClusterArgs(args, CLUSTER);
    }

    get bridge(): string {
        return createdNetworkOf(libvirtOf(this.full)).bridge;
    }

    /** The lab's directors: `director`, and `director-1` in a pair. */
    directors(): string[] {
        return this.full.directors.map((_, i) => directorHost(i));
    }

    private directorIndex(host: string): number {
        return this.directors().indexOf(host);
    }

    /** The libvirt domain of a host of the lab (a director, or a real server's name). */
    domain(host: string): string {
        return libvirtNames.domain(CLUSTER, this.directorIndex(host) >= 0 ? host : realServerRole(host));
    }

    mac(host: string): string {
        return libvirtNames.mac(this.domain(host));
    }

    /** The MAC the client's neighbour entry (in the lab namespace) maps `ip` to, if it has one. */
    clientEntry(ip: string): string | undefined {
        return inNetns(`ip neigh show ${ip} dev ${this.bridge}`).stdout.match(/lladdr (\S+)/)?.[1];
    }

    address(host: string): string {
        return this.hostPlan(host).address;
    }

    /** A lab host's IPv6 address. */
    address6(host: string): string {
        return this.hostPlan(host).address6 ?? assert.fail(`lab host ${host} has no IPv6 address`);
    }

    private hostPlan(host: string): HostPlan {
        const index = this.directorIndex(host);
        const found = index >= 0 ? this.full.directors[index] : this.full.realServers.find((r) => r.name === host);
        return found ?? assert.fail(`no lab host ${host}`);
    }

    /** The network and the VMs the platform would create for the full plan. */
    private libvirtInputs(): { network: NetworkInputs; vms: VmInputs[] } {
        const l = libvirtOf(this.full);
        return {
            network: networkInputs(l) ?? assert.fail("the lab plan creates no network"),
            vms: this.hosts().map((host) => {
                const index = this.directorIndex(host);
                return vmInputs(l, this.domain(host), index >= 0 ? this.full.directors[index] : this.realServer(this.full, host));
            }),
        };
    }

    /** Creates the network and every VM with the platform's providers, then waits until all answer SSH. */
    async boot(): Promise<void> {
        // Leftovers of an interrupted run would make create fail for the wrong reason.
        this.destroyAll(true);
        const { network, vms } = this.libvirtInputs();
        createNetwork(network);
        for (const vm of vms) {
            createVm(vm);
        }
        await Promise.all(this.hosts().map((h) => this.waitForSsh(h)));
        // cloud-init has done its one job (the address and the key of the platform's user data).
        // These VMs stand for the hosts platform's machines: what the suites check across a reboot
        // or a crash is what the cluster's scripts left on a host, and cloud-init's four Python
        // stages at every later boot (about a minute of a boot under TCG, four boots a run) touch
        // none of it. Boots that do run cloud-init are the e2e's: the libvirt platform's VMs made
        // through the engine, a crashed director among them that boots and rejoins (step 9).
        await Promise.all(this.hosts().map((h) => this.mustSshAsync(h, "touch /etc/cloud/cloud-init.disabled")));
    }

    /** Every VM of the lab: the directors, then the real servers. */
    hosts(): string[] {
        return [...this.directors(), ...this.full.realServers.map((r) => r.name)];
    }

    /** What the platform's wait-for-SSH step does: SSH answers, then cloud-init is done. */
    async waitForSsh(host: string, timeoutMs = 600000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const r = await inNetnsAsync(this.sshCommand(host, "cloud-init status --wait >/dev/null 2>&1; hostname", 5));
            if (r.status === 0) {
                return;
            }
            await new Promise((ok) => setTimeout(ok, 3000));
        }
        throw new Error(`${host} (${this.address(host)}) did not answer SSH within ${timeoutMs / 1000} s`);
    }

    /**
     * Reboots a VM and returns once it runs a new boot and systemd has finished starting it (every
     * unit a boot starts, the web server and keepalived among them, has had its chance).
     */
    async reboot(host: string, timeoutMs = 600000): Promise<void> {
        const bootId = this.mustSsh(host, "cat /proc/sys/kernel/random/boot_id").trim();
        const t0 = Date.now();
        this.ssh(host, "systemctl reboot", 30000);
        this.closeSsh(host);
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const r = await inNetnsAsync(this.sshCommand(host, "systemctl is-system-running --wait >/dev/null; cat /proc/sys/kernel/random/boot_id", 5));
            if (r.status === 0 && r.stdout.trim() !== bootId) {
                // Where a reboot's time went (they vary from 1.5 to 6 minutes here): the old boot's
                // last journal entry (the shutdown's end), the new boot's first (its kernel's start;
                // the gap between is the reset, firmware and kernel loading), and the boot's phases.
                const when = this.ssh(host, "journalctl --list-boots --no-pager | tail -n 2 | awk '{ print $5, $6, $9, $10 }' | tr '\\n' ' '; " +
                    "systemd-analyze 2>/dev/null | head -n 1; systemd-analyze blame 2>/dev/null | head -n 3 | tr -s ' ' | tr '\\n' ';'");
                console.log(`      reboot of ${host}: ${Math.round((Date.now() - t0) / 1000)} s from the command ` +
                    `(${new Date(t0).toISOString()}); boots (first, last entry): ${when.stdout.trim().replace(/\n/g, " | ")}`);
                return;
            }
            await new Promise((ok) => setTimeout(ok, 2000));
        }
        throw new Error(`${host} did not come back from its reboot within ${timeoutMs / 1000} s`);
    }

    private sshCommand(host: string, command: string, connectTimeout = 10): string {
        return sshCommandLine(this.key, this.address(host), command, connectTimeout);
    }

    /**
     * Runs a command on a VM over SSH, as the command provider does (one exec of the text, a
     * product command's script on its stdin).
     */
    ssh(host: string, remote: LabCommand, timeoutMs = 300000): Sh {
        const r = runOf(remote);
        return inNetns(this.sshCommand(host, r.command), timeoutMs, r.stdin);
    }

    /** Like ssh, without blocking: for watchers and commands that run while the test acts. */
    sshAsync(host: string, remote: LabCommand): Promise<Sh> {
        const r = runOf(remote);
        return inNetnsAsync(this.sshCommand(host, r.command), r.stdin);
    }

    mustSsh(host: string, remote: LabCommand, timeoutMs = 300000): string {
        return this.must(host, remote, this.ssh(host, remote, timeoutMs));
    }

    /** Like mustSsh, without blocking: for commands the engine would run side by side. */
    async mustSshAsync(host: string, remote: LabCommand): Promise<string> {
        return this.must(host, remote, await this.sshAsync(host, remote));
    }

    private must(host: string, remote: LabCommand, r: Sh): string {
        if (r.status !== 0) {
            const { command, stdin } = runOf(remote);
            throw new Error(`on ${host}: exit ${r.status}\n--- command\n${command.slice(0, 300)}\n${stdin === "" ? "" : `--- stdin\n${stdin.split("\n")[1] ?? ""}\n`}--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
        }
        return r.stdout;
    }

    /**
     * The component's order, hosts side by side as the engine runs them (each VM is its own CPU
     * thread under emulation): every setup at once, then each director's rules. The rules run
     * director by director, the first one first: keepalived waits three adverts before it takes
     * the VIP, so the first director of a pair becomes the master (the HA checks start from that).
     */
    async apply(plan: ClusterPlan): Promise<void> {
        await Promise.all([
            ...plan.realServers.map((rs) => this.mustSshAsync(rs.name, realServerSetupCommand(plan, rs).create)),
            ...plan.directors.map((_, i) => this.mustSshAsync(directorHost(i), directorCommands(plan, i).setup.create)),
        ]);
        for (let i = 0; i < plan.directors.length; i++) {
            await this.mustSshAsync(directorHost(i), directorCommands(plan, i).rules.create);
        }
    }

    /** Each director's rules (all directors at once, as the engine runs them); their output. */
    async rules(plan: ClusterPlan, which: "create" | "delete" = "create"): Promise<Sh[]> {
        const runs = await Promise.all(plan.directors.map((_, i) =>
            this.sshAsync(directorHost(i), directorCommands(plan, i).rules[which])));
        runs.forEach((r, i) => {
            if (r.status !== 0) {
                throw new Error(`rules ${which} on ${directorHost(i)}: exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
            }
        });
        return runs;
    }

    /**
     * The component's delete order, hosts side by side: every director's rules, then every setup.
     * Resolves with what each director's rules removal said (its drain among it).
     */
    async teardown(plan: ClusterPlan): Promise<string[]> {
        const said = (await this.rules(plan, "delete")).map((r) => r.stderr);
        await Promise.all([
            ...plan.directors.map((_, i) => this.mustSshAsync(directorHost(i), directorCommands(plan, i).setup.delete)),
            ...plan.realServers.map((rs) => this.mustSshAsync(rs.name, realServerSetupCommand(plan, rs).delete)),
        ]);
        return said;
    }

    realServer(plan: ClusterPlan, name: string): RealServerPlan {
        return plan.realServers.find((r) => r.name === name) ?? assert.fail(`no real server ${name} in the plan`);
    }

    /** `n` HTTP requests to the lab's VIP: see {@link requestsTo}. */
    requests(n: number): string[] {
        return requestsTo(VIP, n);
    }

    /** Deletes every VM and the network with the providers. `quiet` ignores what does not exist. */
    destroyAll(quiet = false): void {
        const { network, vms } = this.libvirtInputs();
        const errors: string[] = [];
        for (const vm of vms) {
            try {
                deleteVm(vm);
            } catch (e) {
                errors.push(String(e));
            }
        }
        try {
            deleteNetwork(network);
        } catch (e) {
            errors.push(String(e));
        }
        if (errors.length > 0 && !quiet) {
            throw new Error(errors.join("\n"));
        }
    }

    /** Ends the master SSH connection to a host (see {@link closeSsh}): after a crash or a reboot. */
    closeSsh(host: string): void {
        closeSsh(this.key, this.address(host));
    }

    cleanupKey(): void {
        closeAllSsh(this.key);
        fs.rmSync(this.keyDir, { recursive: true, force: true });
    }
}
