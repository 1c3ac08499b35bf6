/**
 * Every text the package renders for a host or a VM, by name: the command lines of every remote
 * command (create and delete, with the scripts, keepalived files and up-scripts inside them) for
 * the whole variant matrix and for each platform, and the libvirt VMs' XML and cloud-init seeds.
 * `test/unit/snapshot.test.ts` holds their SHA-256 against `test/snapshots/rendered.sha256`, so a
 * change to any rendered byte is seen and must be accepted on purpose:
 *   npm run build:test && node build/test/support/snapshot.js --update     rewrite the manifest
 *   node build/test/support/snapshot.js DIR                                write every file into DIR
 *   node build/test/support/snapshot.js --compare OLD NEW OLD_SH... -- NEW_SH...
 * Render two commits into two folders and `diff -r` them to see what a change did; `--compare`
 * tells a change of the shell libraries (given as the two versions' .sh files) from a change of
 * what TypeScript renders: per file, what remains once every library text is taken out must be
 * equal, and it lists the shell functions each file gained, lost or changed.
 */
import { createHash } from "crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import type { LvsDrClusterArgs } from "../../src/args";
import { realServerRole, roleOf } from "../../src/core/names";
import { libvirtNames } from "../../src/platforms/libvirt/names";
import type { ClusterPlan } from "../../src/core/plan";
import type { PlatformPlan } from "../../src/platforms";
import {
    authorizedKeysCommand, directorRulesCommand, directorSetupCommand, realServerSetupCommand, waitForBootCommand,
} from "../../src/core/scripts/command-lines";
import { validateClusterArgs } from "../../src/component/validate";
import { networkInputs, vmInputs } from "../../src/platforms/libvirt/inputs";
import { validArgs, validAwsArgs, validLibvirtArgs } from "./fixtures";
import { commandLines, planFor, variantTitle, VARIANTS } from "./variants";

export const MANIFEST = path.join(__dirname, "..", "..", "..", "test", "snapshots", "rendered.sha256");

/** The platforms' own variants, beside the matrix (which runs on `hosts`). */
function platformArgs(): Record<string, LvsDrClusterArgs> {
    const sudo = validArgs();
    sudo.ssh.user = "debian";
    sudo.hosts!.director!.ssh = { host: "10.0.0.10", port: 2222, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKeyHost" };
    const awsPair = validAwsArgs();
    awsPair.aws!.backupDirector = {};
    awsPair.ssh.authorizedKeys = ["ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= ops@example.org"];
    const awsTun = validAwsArgs();
    awsTun.forwarding = "tun";
    const libvirtPair = validLibvirtArgs();
    libvirtPair.libvirt!.backupDirector = {};
    libvirtPair.libvirt!.subnet6 = "fd77::/64";
    libvirtPair.vip6 = "fd77::100";
    libvirtPair.ssh.user = "debian";
    const libvirtAttached = validLibvirtArgs();
    libvirtAttached.libvirt!.network = "default";
    libvirtAttached.libvirt!.gateway = "192.168.77.1";
    libvirtAttached.libvirt!.kernel = "/var/lib/lvsdr-lab/images/vmlinuz";
    libvirtAttached.libvirt!.initrd = "/var/lib/lvsdr-lab/images/initrd.img";
    const libvirtActive = validLibvirtArgs();
    libvirtActive.services = [{ port: 80, scheduler: "mh" }];
    libvirtActive.libvirt!.directors = [{ name: "a" }, { name: "b" }, { name: "c", address: "192.168.77.50" }];
    libvirtActive.bgp = { asn: 65010, peers: [{ address: "192.168.77.1", asn: 65000 }] };
    return {
        "hosts sudo host key": sudo, "aws single": validAwsArgs(), "aws pair": awsPair, "aws tun": awsTun,
        "libvirt single": validLibvirtArgs(), "libvirt pair dual stack": libvirtPair, "libvirt attached kernel": libvirtAttached,
        "libvirt active-active": libvirtActive,
    };
}

/** What a created machine's commands carry beside the plain command lines. */
function machineTexts(plan: ClusterPlan): Record<string, string> {
    const files: Record<string, string> = {};
    const machine = "i-0123456789abcdef0";
    plan.directors.forEach((d, i) => {
        files[`director ${i} setup create on a machine`] = directorSetupCommand(plan, d, machine).create.stdin;
        files[`director ${i} rules create on a machine`] = directorRulesCommand(plan, d, machine).create.stdin;
    });
    for (const rs of plan.realServers) {
        files[`real server ${rs.name} setup create on a machine`] = realServerSetupCommand(plan, rs, machine).create.stdin;
    }
    files["wait for boot"] = waitForBootCommand(machine).stdin;
    const l = plan.platform as PlatformPlan;
    if (l.kind === "libvirt" || l.kind === "aws") {
        files["authorized keys"] = authorizedKeysCommand(l.sshAuthorizedKeys, machine).stdin;
    }
    if (l.kind === "libvirt") {
        const net = networkInputs(l);
        if (net) {
            files["libvirt network xml"] = net.xml;
        }
        const hosts = [
            ...plan.directors.map((d) => ({ role: roleOf(plan, d), host: d })),
            ...plan.realServers.map((rs) => ({ role: realServerRole(rs.name), host: rs })),
        ];
        for (const { role, host } of hosts) {
            const vm = vmInputs(l, libvirtNames.domain(plan.name, role), host);
            files[`libvirt ${role} domain xml`] = vm.domainXml;
            files[`libvirt ${role} user-data`] = vm.userData;
            files[`libvirt ${role} meta-data`] = vm.metaData;
            files[`libvirt ${role} network-config`] = vm.networkConfig;
        }
    }
    return files;
}

/** Every rendered text, keyed `<variant>/<file>`. */
export function renderedFiles(): Map<string, string> {
    const files = new Map<string, string>();
    const add = (variant: string, texts: Record<string, string>) => {
        for (const [name, text] of Object.entries(texts)) {
            files.set(`${variant}/${name}`.replace(/[^\w./+-]+/g, "_"), text);
        }
    };
    for (const v of VARIANTS) {
        add(variantTitle(v), commandLines(planFor(v)));
    }
    for (const [variant, args] of Object.entries(platformArgs())) {
        const plan = validateClusterArgs(args, "snap");
        add(variant, { ...commandLines(plan), ...machineTexts(plan) });
    }
    return files;
}

export function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/** `sha256  name` lines, sorted by name. */
export function manifestOf(files: Map<string, string>): string {
    return [...files.keys()].sort().map((name) => `${sha256(files.get(name)!)}  ${name}`).join("\n") + "\n";
}

/** The committed manifest as name -> hash. */
export function readManifest(file = MANIFEST): Map<string, string> {
    return new Map(readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => {
        const [hash, name] = l.split("  ");
        return [name, hash];
    }));
}

/** The script a command line runs: unquoted from `[sudo -n ]sh -c '...'`, unpacked when sent compressed. */
function unwrap(text: string): string {
    const m = /^(?:#!\/bin\/sh\n)?(?:sudo -n )?sh -c '([\s\S]*)'\n?$/.exec(text);
    if (!m) {
        return text;
    }
    const script = m[1].replace(/'\\''/g, "'");
    const packed = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| gzip -dc/.exec(script);
    return packed ? gunzipSync(Buffer.from(packed[1], "base64")).toString("utf8") : script;
}

/** The shell functions (and quoted constants) a script defines, by name. */
function functionsOf(script: string): Map<string, string> {
    const found = new Map<string, string>();
    for (const m of script.matchAll(/^([A-Za-z_]\w*)\(\) \{\n([\s\S]*?)^\}$/gm)) {
        found.set(m[1], m[2]);
    }
    for (const m of script.matchAll(/^([A-Z_]+)='([\s\S]*?)'$/gm)) {
        found.set(m[1], m[2]);
    }
    return found;
}

/** The script with every library text replaced by one marker. */
function withoutLibraries(script: string, libraries: string[]): string {
    let rest = script;
    for (const text of [...libraries].sort((a, b) => b.length - a.length)) {
        rest = rest.split(`\n\n${text}\n`).join("\n\n<library>\n");
    }
    return rest.replace(/(\n\n<library>)+/g, "\n\n<library>");
}

/** What --compare prints: files identical, and the others grouped by what changed in them. */
export function compareRenders(oldDir: string, newDir: string, oldLibraries: string[], newLibraries: string[]): string[] {
    const lines: string[] = [];
    const groups = new Map<string, string[]>();
    let identical = 0;
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
    for (const file of walk(oldDir)) {
        const name = path.relative(oldDir, file);
        const before = readFileSync(file, "utf8");
        const after = readFileSync(path.join(newDir, name), "utf8");
        if (before === after) {
            identical++;
            continue;
        }
        const [a, b] = [unwrap(before), unwrap(after)];
        const [fa, fb] = [functionsOf(a), functionsOf(b)];
        const key = [
            withoutLibraries(a, oldLibraries) === withoutLibraries(b, newLibraries) ? "rendered part identical" : "RENDERED PART DIFFERS",
            `gained [${[...fb.keys()].filter((k) => !fa.has(k)).join(" ")}]`,
            `lost [${[...fa.keys()].filter((k) => !fb.has(k)).join(" ")}]`,
            `changed [${[...fa.keys()].filter((k) => fb.has(k) && fb.get(k) !== fa.get(k)).join(" ")}]`,
        ].join(", ");
        groups.set(key, [...(groups.get(key) ?? []), name]);
    }
    lines.push(`${identical} files identical`);
    for (const [key, names] of groups) {
        lines.push(`${names.length} files: ${key}; e.g. ${names[0]}`);
    }
    return lines;
}

if (require.main === module) {
    const arg = process.argv[2];
    const files = renderedFiles();
    if (arg === "--update") {
        writeFileSync(MANIFEST, manifestOf(files));
        console.log(`${files.size} rendered files -> ${MANIFEST}`);
    } else if (arg === "--compare") {
        const [oldDir, newDir, ...sh] = process.argv.slice(3);
        const cut = sh.indexOf("--");
        const read = (files: string[]) => files.map((f) => readFileSync(f, "utf8").trimEnd());
        console.log(compareRenders(oldDir, newDir, read(sh.slice(0, cut)), read(sh.slice(cut + 1))).join("\n"));
    } else if (arg !== undefined) {
        for (const [name, text] of files) {
            mkdirSync(path.dirname(path.join(arg, name)), { recursive: true });
            writeFileSync(path.join(arg, name), text);
        }
        console.log(`${files.size} rendered files -> ${arg}`);
    } else {
        console.error("usage: node build/test/support/snapshot.js --update | DIR | --compare OLD NEW OLD_SH... -- NEW_SH...");
        process.exit(2);
    }
}
