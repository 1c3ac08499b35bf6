/**
 * A created machine's first login is told from its boot: `<cluster>-<role>-ssh-banner` waits (no
 * key, no login) until the machine's SSH port sends an identification line, for up to the boot
 * timeout; the login after it (`<cluster>-<role>-ssh`) has a finite dial error limit, so a refused
 * login (wrong user or key) fails within about a minute instead of retrying for 20 minutes.
 * The wait runs here against TCP servers on 127.0.0.1 (short timeouts); the wiring under mocks.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FAKE_KEY, validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { byName, deploy, type Deployment, reveal } from "../support/mocks";
import { BOOT_TIMEOUT_SECONDS, LOGIN_DIAL_ERROR_LIMIT } from "../../src/platforms/vm/created-host";
import { endpointOf, tryBanner, waitForSshBanner } from "../../src/platforms/vm/ssh-banner";
import { sshBannerProvider, type SshBannerInputs } from "../../src/platforms/vm/ssh-banner-resource";

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

/** A TCP server on 127.0.0.1 (port 0: any free one) that hands each connection to `serve`. */
function listen(serve: (socket: net.Socket) => void, port = 0): Promise<net.Server> {
    return new Promise((ok, fail) => {
        const server = net.createServer((socket) => {
            sockets.push(socket);
            socket.on("error", () => undefined);
            serve(socket);
        });
        servers.push(server);
        server.once("error", fail);
        server.listen(port, "127.0.0.1", () => ok(server));
    });
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

/** A port on 127.0.0.1 that nothing listens on (one the kernel just gave out and took back). */
async function closedPort(): Promise<number> {
    const server = await listen(() => undefined);
    const port = portOf(server);
    await new Promise((ok) => server.close(ok));
    return port;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await Promise.all(servers.splice(0).map((s) => new Promise((ok) => s.close(ok))));
});

describe("SSH banner wait: a machine's SSH port, knocked on without logging in", function () {
    this.timeout(20000);

    it("waits for a port that opens late, and returns the server's identification line", async () => {
        const port = await closedPort();
        const started = Date.now();
        const waiting = waitForSshBanner({ host: "127.0.0.1", port, timeoutMs: 10000, retryMs: 100, tryMs: 1000 });
        await sleep(700);
        await listen((s) => s.write("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), port);
        assert.equal(await waiting, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        const took = Date.now() - started;
        assert.ok(took >= 700 && took < 5000, `took ${took} ms`);
    });

    it("reads the identification line after other lines and across packets (RFC 4253 4.2)", async () => {
        const server = await listen((s) => {
            s.write("Welcome\r\nSSH-2.0-Frag");
            setTimeout(() => s.write("mented_1.0 comment\r\n"), 50);
        });
        assert.equal(await waitForSshBanner({ host: "127.0.0.1", port: portOf(server), timeoutMs: 5000 }), "SSH-2.0-Fragmented_1.0 comment");
    });

    it("gives up at its timeout on a port that accepts but never sends an identification line, saying so", async () => {
        let connections = 0;
        const server = await listen(() => connections++);
        const port = portOf(server);
        const started = Date.now();
        await assert.rejects(waitForSshBanner({ host: "127.0.0.1", port, timeoutMs: 1500, retryMs: 200, tryMs: 300 }), (e: Error) => {
            assert.match(e.message, new RegExp(`^lvs-dr: 127\\.0\\.0\\.1:${port} never answered SSH within 2 s \\(\\d+ tries; the last: `
                + "connected, but no SSH identification line within 0\\.3 s\\)"));
            return true;
        });
        const took = Date.now() - started;
        assert.ok(took >= 1200 && took < 3000, `took ${took} ms`);
        assert.ok(connections >= 2, `tried again (${connections} connections)`);
    });

    it("gives up at its timeout on a closed port, naming the refusal", async () => {
        const port = await closedPort();
        const started = Date.now();
        await assert.rejects(waitForSshBanner({ host: "127.0.0.1", port, timeoutMs: 1000, retryMs: 100 }),
            new RegExp(`127\\.0\\.0\\.1:${port} never answered SSH within 1 s \\(\\d+ tries; the last: ECONNREFUSED\\)`));
        assert.ok(Date.now() - started >= 800);
    });

    it("tells a server that is not SSH by what it sent", async () => {
        const server = await listen((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
        const result = await tryBanner("127.0.0.1", portOf(server), 2000);
        assert.deepEqual(result, { failure: "closed the connection after \"HTTP/1.1 400 Bad Request\", without an SSH identification line" });
        const silent = await listen((s) => s.end());
        assert.deepEqual(await tryBanner("127.0.0.1", portOf(silent), 2000), { failure: "closed the connection without an SSH identification line" });
    });

    it("writes IPv6 endpoints in brackets", () => {
        assert.equal(endpointOf("fd00:77::5", 22), "[fd00:77::5]:22");
        assert.equal(endpointOf("10.0.0.5", 2222), "10.0.0.5:2222");
    });
});

describe("SSH banner wait: the dynamic provider", function () {
    this.timeout(20000);
    const inputs = (port: number, more: Partial<SshBannerInputs> = {}): SshBannerInputs =>
        ({ host: "127.0.0.1", port, timeoutSeconds: 5, machine: "vm-1", ...more });

    it("creates once the port answers: outputs the identification line, holds no key", async () => {
        const server = await listen((s) => s.write("SSH-2.0-Test\r\n"));
        const port = portOf(server);
        const r = await sshBannerProvider.create(inputs(port));
        assert.deepEqual(r, { id: `127.0.0.1:${port}`, outs: { ...inputs(port), identification: "SSH-2.0-Test" } });
    });

    it("fails a create whose port never answers, with the wait's message", async () => {
        const port = await closedPort();
        await assert.rejects(sshBannerProvider.create(inputs(port, { timeoutSeconds: 1 })), /never answered SSH within 1 s/);
    });

    it("serializes (as the engine stores it) and knocks from a fresh process without this repository's modules", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => sshBannerProvider, { allowSecrets: false });
        const server = await listen((s) => s.write("SSH-2.0-Fresh\r\n"));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-serialized-"));
        try {
            fs.writeFileSync(path.join(dir, "provider.js"), serialized.text);
            const program = `const p = require(${JSON.stringify(path.join(dir, "provider.js"))}).${serialized.exportName}();
p.create(${JSON.stringify(inputs(portOf(server)))}).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
            const stdout = await new Promise<string>((ok, fail) => execFile(process.execPath, ["-e", program], { cwd: dir, env: { PATH: process.env.PATH } },
                (e, out, err) => (e ? fail(new Error(`${e.message}\n${err}`)) : ok(out))));
            assert.deepEqual(JSON.parse(stdout), { id: `127.0.0.1:${portOf(server)}`, outs: { ...inputs(portOf(server)), identification: "SSH-2.0-Fresh" } });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("knocks again for a new machine, host or port, not for a new timeout", async () => {
        const port = await closedPort();
        const olds = { ...inputs(port), identification: "SSH-2.0-Old" };
        assert.deepEqual(await sshBannerProvider.diff!("id", olds, inputs(port)), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.equal((await sshBannerProvider.diff!("id", olds, inputs(port, { timeoutSeconds: 9 }))).changes, true);
        assert.equal((await sshBannerProvider.diff!("id", olds, inputs(port, { machine: "vm-2" }))).changes, true);
        // Nothing listens on the port: a knock would fail.
        assert.deepEqual(await sshBannerProvider.update!("id", olds, inputs(port, { timeoutSeconds: 1 })),
            { outs: { ...inputs(port, { timeoutSeconds: 1 }), identification: "SSH-2.0-Old" } });
        await assert.rejects(sshBannerProvider.update!("id", olds, inputs(port, { machine: "vm-2", timeoutSeconds: 1 })), /never answered SSH/);
    });
});

/**
 * The pauses pulumi-command 1.2.1 makes between `limit + 1` dials (provider/pkg/provider/remote/
 * connection.go, dialWithRetry, over the Pulumi SDK's retry.Until defaults): 100 ms, times 1.5,
 * at most 5 s.
 */
function dialPauses(limit: number): number[] {
    return Array.from({ length: limit }, (_, k) => Math.min(0.1 * 1.5 ** k, 5));
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("SSH banner wait: wired before each created machine's first login (mocked engine)", () => {
    const connectionOf = (d: Deployment, name: string) => reveal(byName(d.resources, name).inputs.connection) as Record<string, unknown>;

    it("libvirt: each VM's -ssh login waits for its banner, which knocks where the login goes, bounded by the boot timeout", async () => {
        const d = await deploy(validLibvirtArgs(), "lab");
        for (const role of ["director", "rs-0", "rs-1"]) {
            const banner = byName(d.resources, `lab-${role}-ssh-banner`);
            assert.equal(banner.type, "pulumi-nodejs:dynamic/lvs-dr:SshBanner");
            const login = connectionOf(d, `lab-${role}-ssh`);
            // `__provider`: the serialized provider, which the engine stores with the inputs.
            const { __provider: provider, ...knock } = reveal(banner.inputs) as Record<string, unknown>;
            assert.match(String(provider), /waitForSshBanner/);
            assert.deepEqual(knock, {
                host: login.host, port: 22, timeoutSeconds: BOOT_TIMEOUT_SECONDS, machine: `lab-${role}-vm-instance`,
            });
            assert.equal(BOOT_TIMEOUT_SECONDS, 1200);
            assert.deepEqual(d.wired.get(`lab-${role}-ssh-banner`)!.dependsOn, [`lab-${role}-vm`]);
            assert.equal(d.wired.get(`lab-${role}-ssh-banner`)!.parent, "lab");
            assert.deepEqual(d.wired.get(`lab-${role}-ssh`)!.dependsOn.sort(), [`lab-${role}-ssh-banner`, `lab-${role}-vm`]);
            assert.deepEqual(d.wired.get(`lab-${role}-ssh`)!.customTimeouts, { create: "20m" });
            const text = JSON.stringify(banner.inputs);
            assert.ok(!text.includes(FAKE_KEY.split("\n")[1]) && !/PRIVATE KEY|privateKey/.test(text), `no key in ${text}`);
        }
    });

    it("aws: each instance's banner knocks on the address its login uses (its public IP here)", async () => {
        const d = await deploy(validAwsArgs(), "web");
        for (const role of ["director", "rs-a", "rs-b"]) {
            const banner = reveal(byName(d.resources, `web-${role}-ssh-banner`).inputs) as Record<string, unknown>;
            assert.match(String(banner.host), /^198\.51\.100\.\d+$/);
            assert.equal(banner.host, connectionOf(d, `web-${role}-ssh`).host);
            assert.equal(banner.machine, `web-${role}-id`);
            assert.ok(d.wired.get(`web-${role}-ssh`)!.dependsOn.includes(`web-${role}-ssh-banner`));
        }
    });

    it("the login after it has a finite dial error limit: a refused login fails within about a minute", async () => {
        const d = await deploy(validLibvirtArgs(), "lab");
        for (const role of ["director", "rs-0", "rs-1"]) {
            const login = connectionOf(d, `lab-${role}-ssh`);
            assert.equal(login.dialErrorLimit, LOGIN_DIAL_ERROR_LIMIT);
            assert.equal(login.perDialTimeout, 10);
        }
        assert.ok(Number.isInteger(LOGIN_DIAL_ERROR_LIMIT) && LOGIN_DIAL_ERROR_LIMIT >= 0, "-1 would dial until the create timeout");
        const pauses = dialPauses(LOGIN_DIAL_ERROR_LIMIT);
        // 14 dials of up to 2 s each (a refusal on a slow VM) on top of the pauses: within a minute.
        assert.ok(sum(pauses) + (LOGIN_DIAL_ERROR_LIMIT + 1) * 2 <= 60, `pauses ${sum(pauses)} s`);
        // OpenSSH >= 9.8 refuses a source for up to 20 s from its 4th failed login: the pauses from
        // the 4th dial on outlast that, so the last dial reaches authentication and says why.
        assert.ok(sum(pauses.slice(3)) > 20, `pauses after the 4th dial: ${sum(pauses.slice(3))} s`);
    });
});
