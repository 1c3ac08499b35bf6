/**
 * Active-active directors on the shared lab's VMs, deployed through the real Pulumi engine (the
 * root project on the `hosts` platform): directors `director`, `c` and `director-1`, real servers a
 * and b, behind the lab's router (./router.ts) with a client network behind it. Used by the VM
 * suite's active-active checks and by the benchmark's active-active part.
 */
import * as fs from "fs";
import type { LvsDrBgpDirectorState } from "../../src/component/cluster";
import { derivedGateTable } from "../../src/core/validation/bgp";
import { until } from "./figures";
import type { Lab } from "./lab";
import { CLIENT_NET, Router, ROUTER_ADDRESS, ROUTER_ASN } from "./router";
import { type EngineEvent, requireToolchain, type Stack } from "./stack";

export const CLUSTER = "lvsdr-aa";
/** Outside the lab subnet: the router reaches it through BGP alone. */
export const VIP = "10.77.0.100";
/** The long-lived connections' service (a line server on the real servers); 80 is the lab image's web server (the benchmark's). */
export const PORT = 7000;
export const HTTP_PORT = 80;
export const ASN = 65010;
/** The directors: the first two from the start, the third joins. */
export const DIRECTORS = ["director", "c", "director-1"];
export const REAL_SERVERS = ["a", "b"];
/** What every director's bgpStates says while it announces. */
export const ANNOUNCING = `${ROUTER_ADDRESS} Established; announces true`;

/** A one-process server on a real server: each line in, its host name back (python3 is in the lab image for cloud-init). */
export const NAME_SERVER = `import asyncio, socket
NAME = socket.gethostname().encode() + b"\\n"
async def serve(reader, writer):
    try:
        while await reader.readline():
            writer.write(NAME)
            await writer.drain()
    except Exception:
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(serve, host="0.0.0.0", port=${PORT}, backlog=1024)
    await server.serve_forever()
asyncio.run(main())
`;

export class ActiveActiveLab {
    readonly router: Router;

    constructor(readonly lab: Lab, readonly stack: Stack) {
        this.router = new Router({ bridge: lab.bridge, directorsAsn: ASN, bfd: true, hashPolicy: 1 });
    }

    /** The router and client namespaces, the hosts' routes to the client, the line servers, an empty stack with the cluster's config. */
    async start(): Promise<void> {
        requireToolchain();
        const lab = this.lab;
        this.router.start();
        // The hosts' way to the client is the router, as a real network's default gateway: the real
        // servers' replies, and a director's own packets (a reset from its stack) take it.
        await Promise.all(DIRECTORS.map((d) => lab.mustSshAsync(d, `ip route replace ${CLIENT_NET} via ${ROUTER_ADDRESS}`)));
        await Promise.all(REAL_SERVERS.map((rs) => lab.mustSshAsync(rs, {
            command: `ip route replace ${CLIENT_NET} via ${ROUTER_ADDRESS} && cat > /run/lvsdr-names.py && ` +
                "systemd-run --quiet --unit=lvsdr-names python3 /run/lvsdr-names.py",
            stdin: NAME_SERVER,
        })));
        await this.stack.reset();
        await this.stack.must(["stack", "init"], false);
        await this.stack.must(["config", "set", "--secret", "sshPrivateKey"], false, fs.readFileSync(lab.key, "utf8"));
        for (const [k, v] of [
            ["clusterName", CLUSTER], ["vip", VIP],
            ["services", JSON.stringify([{ port: PORT, scheduler: "mh" }, { port: HTTP_PORT, scheduler: "mh" }])],
            ["bgp", JSON.stringify({ asn: ASN, peers: [{ address: ROUTER_ADDRESS, asn: ROUTER_ASN }] })],
        ]) {
            await this.stack.must(["config", "set", k, v], false);
        }
    }

    /** `pulumi up` with these directors (`gone`: marked gone): the engine's events and how long it took. */
    async deploy(directors: string[], gone: string[] = []): Promise<{ events: EngineEvent[]; ms: number }> {
        const hosts = {
            subnet: "192.168.77.0/24",
            directors: directors.map((name) => ({ name, address: this.lab.address(name), ...(gone.includes(name) ? { gone: true } : {}) })),
            realServers: REAL_SERVERS.map((name) => ({ name, address: this.lab.address(name) })),
        };
        await this.stack.must(["config", "set", "hosts", JSON.stringify(hosts)], false);
        const t0 = Date.now();
        const events = await this.stack.apply("up");
        return { events, ms: Date.now() - t0 };
    }

    /** The stack's bgpStates output by director name: "<peer> <state>; announces <bool>". */
    async bgpStates(): Promise<Record<string, string>> {
        const states = await this.stack.output("bgpStates") as LvsDrBgpDirectorState[];
        return Object.fromEntries(states.map((s) => [DIRECTORS.find((d) => this.lab.address(d) === s.director) ?? s.director,
            `${s.sessions.map((x) => `${x.peer} ${x.state}`).join(", ")}; announces ${s.announces}`]));
    }

    /** The lab addresses of these hosts, sorted (as the router lists its next hops). */
    addresses(names: string[]): string[] {
        return names.map((n) => this.lab.address(n)).sort();
    }

    /** Waits until the router's route to the VIP is via exactly `directors`; how long it took. */
    async untilHops(directors: string[], ms: number): Promise<number> {
        const want = this.addresses(directors).join(", ");
        return until(`the router's route to ${VIP} (want: via ${want || "nothing"})`, () => this.router.nextHops(VIP).join(", "),
            (v) => v === want, ms, 20, () => this.router.sessions());
    }

    /**
     * A director's health gate closed or opened by hand, as its quorum hooks do when its real
     * servers fail or come back (the route in the gate table: BIRD withdraws or announces the VIP,
     * its session stays up); returns once the router's paths show it. `all`: the directors of the
     * cluster now.
     */
    async announce(director: string, on: boolean, all: string[]): Promise<void> {
        const running = this.router.nextHops(VIP).includes(this.lab.address(director));
        if (running === on) {
            return;
        }
        const route = `blackhole ${VIP}/32 table ${derivedGateTable(VIP)}`;
        await this.lab.mustSshAsync(director, on ? `ip route replace ${route}` : `ip route del ${route}`);
        const now = this.router.nextHops(VIP).map((a) => all.find((d) => this.lab.address(d) === a)!).filter((d) => d !== director);
        await this.untilHops(on ? [...now, director] : now, 20000);
    }

    cleanup(): void {
        this.router.cleanup();
    }
}
