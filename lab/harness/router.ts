/**
 * What a top-of-rack switch does for active-active directors, in two network namespaces of the
 * lab's own: a router (`lvsdr-rt`) on the lab's L2 network (a veth into its bridge), speaking BGP
 * and BFD with every director (BIRD, dynamic neighbours from the lab subnet), installing the VIP
 * as one multipath route over the directors that announce it, hashing on ports (L4); and a client
 * network behind it (`lvsdr-cl`). Nothing is routed anywhere else: the client's only route is the
 * router, the router's only networks are the lab's and the client's.
 *
 * Two ways to spread the VIP's traffic over the directors: the kernel's multipath route BIRD
 * installs (hash-threshold: each path owns a range of the hash space, and the ranges shift when a
 * path comes or goes), or a resilient next-hop group (Linux 5.13+: a table of buckets, each a
 * path; a path that leaves gives up only its buckets, a path that joins takes only idle ones).
 * BIRD cannot program the latter (nor can FRR for BGP routes: FRRouting/frr#16489), so a small
 * helper here does: it follows BIRD's multipath route and keeps a group of the same paths, whose
 * route (metric 1) the kernel prefers to BIRD's.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NETNS } from "./lab";

export const ROUTER_NS = "lvsdr-rt";
export const CLIENT_NS = "lvsdr-cl";
/** The router's address on the lab subnet: the directors' BGP peer, the real servers' way to the client. */
export const ROUTER_ADDRESS = "192.168.77.254";
export const ROUTER_ASN = 65000;
/** The client's network behind the router: the router is .1, the client .2. */
export const CLIENT_NET = "10.77.1.0/24";
export const CLIENT_ADDRESS = "10.77.1.2";
const CLIENT_GATEWAY = "10.77.1.1";
/** The lab's side of the router's veth (in the lab namespace, a port of the bridge). */
const LAB_VETH = "lvsdr-rt0";
/** The resilient group's id (each path's own next hop is the last byte of its address). */
const GROUP_ID = 1000;
const BUCKETS = 128;

function sh(ns: string | undefined, command: string, check = true): string {
    const argv = ns === undefined ? ["sh", "-c", command] : ["ip", "netns", "exec", ns, "sh", "-c", command];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60000 });
    if (check && r.status !== 0) {
        throw new Error(`router: ${ns ?? "host"}: ${command}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    }
    return r.stdout ?? "";
}

export interface RouterOptions {
    /** The lab bridge the router joins. */
    bridge: string;
    /** The directors' AS number. */
    directorsAsn: number;
    /** BFD on the router's side (the directors' must match). */
    bfd: boolean;
    /** `net.ipv4.fib_multipath_hash_policy`: 1 hashes on ports (L4), 0 on addresses only (L3). */
    hashPolicy: 0 | 1;
    /** The directors' subnet the router is on (default the VM lab's, 192.168.77.0/24) and its address there (default its .254). */
    subnet?: string;
    address?: string;
    /** Where BIRD's configuration, socket, pid file and log go (default a new temporary directory): a fixed one lets another process stop it. */
    dir?: string;
}

/** The router's address on `o.subnet`: given, or the subnet's .254. */
function addressOf(o: RouterOptions): string {
    return o.address ?? (o.subnet ? o.subnet.replace(/\.0\/24$/, ".254") : ROUTER_ADDRESS);
}

/** The router's BIRD configuration: every director of the lab subnet may peer; paths merged (ECMP). */
function birdConf(o: RouterOptions, log: string): string {
    return `log "${log}" all;
router id ${addressOf(o)};
protocol device { }
protocol kernel { merge paths on; ipv4 { import none; export all; }; }
${o.bfd ? `protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 5; }; }\n` : ""}protocol bgp directors {
  local ${addressOf(o)} as ${ROUTER_ASN};
  neighbor range ${o.subnet ?? "192.168.77.0/24"} as ${o.directorsAsn};
  direct;
  hold time 9;
  keepalive time 3;
  # A session's error (a BFD flap of a director busy at its setup) keeps BIRD's default 60 s away
  # from that director; a top-of-rack switch is tuned to retry in seconds, as this.
  error wait time 1, 10;
  ${o.bfd ? "bfd on;" : ""}
  ipv4 { import all; export none; };
}
`;
}

/** `ip route show`'s routes, each with its `nexthop` lines. */
function routes(text: string): string[] {
    return text.split(/\n(?=\S)/).filter((r) => r.trim() !== "");
}

export class Router {
    private readonly dir: string;
    readonly socket: string;
    private readonly pidFile: string;
    /** BIRD's log, for a failed check's investigation (the run's temporary directory). */
    readonly logFile: string;

    /** The resilient group's helper: `ip monitor route` while the group carries the VIP. */
    private monitor?: ChildProcess;
    /** The group's members as last set ("" for none): a sync that would change nothing does nothing (its own changes are events too). */
    private members = "";

    constructor(private readonly options: RouterOptions) {
        this.dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-router-"));
        fs.mkdirSync(this.dir, { recursive: true });
        this.socket = path.join(this.dir, "bird.ctl");
        this.pidFile = path.join(this.dir, "bird.pid");
        this.logFile = path.join(this.dir, "bird.log");
    }

    /** Both namespaces, their links and addresses, the router's sysctls, and BIRD. */
    start(): void {
        this.stop();
        for (const ns of [ROUTER_NS, CLIENT_NS]) {
            sh(undefined, `ip netns add ${ns} && ip -n ${ns} link set lo up`);
        }
        // The router's leg on the lab network: a veth whose other end is a port of the lab bridge.
        sh(NETNS, `ip link add ${LAB_VETH} type veth peer name eth0 netns ${ROUTER_NS} && ip link set ${LAB_VETH} master ${this.options.bridge} up`);
        sh(ROUTER_NS, `ip addr add ${addressOf(this.options)}/24 dev eth0 && ip link set eth0 up`);
        // The client's network.
        sh(ROUTER_NS, `ip link add eth1 type veth peer name eth0 netns ${CLIENT_NS} && ip addr add ${CLIENT_GATEWAY}/24 dev eth1 && ip link set eth1 up`);
        sh(CLIENT_NS, `ip addr add ${CLIENT_ADDRESS}/24 dev eth0 && ip link set eth0 up && ip route add default via ${CLIENT_GATEWAY}`);
        // A router forwards; replies come from the VIP through the real servers, not along the
        // path requests took, so no reverse-path filter.
        sh(ROUTER_NS, "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 " +
            `net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0 net.ipv4.fib_multipath_hash_policy=${this.options.hashPolicy}`);
        const conf = path.join(this.dir, "bird.conf");
        fs.writeFileSync(conf, birdConf(this.options, this.logFile));
        // Real-time priority: a router's control plane has its own CPU, while the lab's emulated VMs
        // keep the host's two cores busy (an ordinary BIRD here saw BFD's timers fire a second late).
        sh(ROUTER_NS, `chrt -f 50 bird -c ${conf} -s ${this.socket} -P ${this.pidFile}`);
    }

    /** `net.ipv4.fib_multipath_hash_policy` from now on. */
    setHashPolicy(policy: 0 | 1): void {
        sh(ROUTER_NS, `sysctl -qw net.ipv4.fib_multipath_hash_policy=${policy}`);
    }

    /**
     * From now on the VIP's traffic follows a resilient next-hop group of BUCKETS buckets that the
     * helper keeps equal to BIRD's paths: its route (metric 1) goes before BIRD's.
     */
    useResilientGroup(vip: string): void {
        const sync = (): void => this.syncGroup(vip);
        sync();
        this.monitor = spawn("ip", ["-n", ROUTER_NS, "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
        this.monitor.stdout!.on("data", sync);
    }

    /** Back to BIRD's multipath route (hash-threshold): the group's route, the group and its next hops are removed. */
    useHashThreshold(vip: string): void {
        this.monitor?.kill();
        this.monitor = undefined;
        this.members = "";
        sh(ROUTER_NS, `ip route del ${vip}/32 metric 1 2>/dev/null; ip nexthop flush >/dev/null 2>&1; true`);
    }

    /** The group's members are BIRD's paths; a path that stays keeps its buckets (the kernel's rule for a replaced resilient group). */
    private syncGroup(vip: string): void {
        const bird = routes(sh(ROUTER_NS, `ip -4 route show ${vip}/32`, false)).find((r) => !r.includes(" nhid ")) ?? "";
        const hops = [...bird.matchAll(/via (\d+\.\d+\.\d+\.(\d+))/g)];
        const ids = hops.map((m) => m[2]);
        if (ids.join("/") === this.members) {
            return;
        }
        this.members = ids.join("/");
        if (hops.length === 0) {
            sh(ROUTER_NS, `ip route del ${vip}/32 metric 1 2>/dev/null; true`);
            return;
        }
        sh(ROUTER_NS, [
            ...hops.map((m) => `ip nexthop replace id ${m[2]} via ${m[1]} dev eth0`),
            `ip nexthop replace id ${GROUP_ID} group ${ids.join("/")} type resilient buckets ${BUCKETS}`,
            `ip route replace ${vip}/32 nhid ${GROUP_ID} metric 1`,
        ].join(" && "));
    }

    /** The directors the router sends the VIP's traffic to (its route's next hops), sorted. */
    nextHops(vip: string): string[] {
        // The first route is the one the kernel uses (the lowest metric).
        const route = routes(sh(ROUTER_NS, `ip -4 route show ${vip}/32`, false))[0] ?? "";
        return [...route.matchAll(/via (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]).sort();
    }

    /** The router's BGP sessions: BIRD's protocol lines. */
    sessions(): string {
        return sh(undefined, `birdc -s ${this.socket} show protocols`, false);
    }

    /** BIRD's BFD sessions as the router sees them. */
    bfdSessions(): string {
        return sh(undefined, `birdc -s ${this.socket} show bfd sessions`, false);
    }

    /** Stops BIRD and deletes both namespaces (the veth ends go with them). What is not there is fine. */
    stop(): void {
        this.monitor?.kill();
        this.monitor = undefined;
        if (fs.existsSync(this.pidFile)) {
            const pid = Number(fs.readFileSync(this.pidFile, "utf8").trim());
            if (pid > 0) {
                try {
                    process.kill(pid);
                } catch {
                    // gone already
                }
            }
            fs.rmSync(this.pidFile, { force: true });
        }
        for (const ns of [CLIENT_NS, ROUTER_NS]) {
            spawnSync("ip", ["netns", "del", ns]);
        }
        spawnSync("ip", ["netns", "exec", NETNS, "ip", "link", "del", LAB_VETH]);
    }

    /** Stops everything and removes the router's directory (its configuration and log). */
    cleanup(): void {
        this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /** Runs `argv` in the client namespace. */
    static inClient(argv: string[]): string {
        return execFileSync("ip", ["netns", "exec", CLIENT_NS, ...argv], { encoding: "utf8" });
    }
}
