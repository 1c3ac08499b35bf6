/**
 * Every text the package renders for a host or a VM, by name: the command lines of every remote
 * command (create and delete, with the scripts, keepalived files and up-scripts inside them) for
 * the whole variant matrix and for each platform, and the libvirt VMs' XML and cloud-init seeds.
 * `test/unit/snapshot.test.ts` holds their SHA-256 against `test/snapshots/rendered.sha256`, so a
 * change to any rendered byte is seen and must be accepted on purpose:
 *   npm run build:test && node build/test/support/snapshot.js --update     rewrite the manifest
 *   node build/test/support/snapshot.js DIR                                write every file into DIR
 * (render two commits into two folders and `diff -r` them to see what a change did).
 */
import { createHash } from "crypto";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import type { LvsDrClusterArgs } from "../../src/args";
import { directorRole, libvirtNames, realServerRole } from "../../src/core/names";
import type { ClusterPlan } from "../../src/core/plan";
import { directorRulesCommand, directorSetupCommand, realServerSetupCommand, waitForBootCommand } from "../../src/core/scripts/command-lines";
import { validateClusterArgs } from "../../src/core/validate";
import { networkInputs, vmInputs } from "../../src/platforms/libvirt/inputs";
import { validArgs, validAwsArgs, validLibvirtArgs } from "./fixtures";
import { commandLines, planFor, variantTitle, VARIANTS } from "./variants";

export const MANIFEST = path.join(__dirname, "..", "..", "..", "test", "snapshots", "rendered.sha256");

/** The platforms' own variants, beside the matrix (which runs on `hosts`). */
function platformArgs(): Record<string, LvsDrClusterArgs> {
    const sudo = validArgs();
    sudo.ssh.user = "debian";
    sudo.hosts!.director.ssh = { host: "10.0.0.10", port: 2222, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKeyHost" };
    const awsPair = validAwsArgs();
    awsPair.aws!.backupDirector = {};
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
    return {
        "hosts sudo host key": sudo, "aws single": validAwsArgs(), "aws pair": awsPair, "aws tun": awsTun,
        "libvirt single": validLibvirtArgs(), "libvirt pair dual stack": libvirtPair, "libvirt attached kernel": libvirtAttached,
    };
}

/** What a created machine's commands carry beside the plain command lines. */
function machineTexts(plan: ClusterPlan): Record<string, string> {
    const files: Record<string, string> = {};
    const machine = "i-0123456789abcdef0";
    plan.directors.forEach((d, i) => {
        files[`director ${i} setup create on a machine`] = directorSetupCommand(plan, d, machine).create;
        files[`director ${i} rules create on a machine`] = directorRulesCommand(plan, d, machine).create;
    });
    for (const rs of plan.realServers) {
        files[`real server ${rs.name} setup create on a machine`] = realServerSetupCommand(plan, rs, machine).create;
    }
    files["wait for boot"] = waitForBootCommand(machine);
    const l = plan.platform;
    if (l.kind === "libvirt") {
        const net = networkInputs(l);
        if (net) {
            files["libvirt network xml"] = net.xml;
        }
        const hosts = [
            ...plan.directors.map((d, i) => ({ role: directorRole(i), host: d })),
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

if (require.main === module) {
    const arg = process.argv[2];
    const files = renderedFiles();
    if (arg === "--update") {
        writeFileSync(MANIFEST, manifestOf(files));
        console.log(`${files.size} rendered files -> ${MANIFEST}`);
    } else if (arg !== undefined) {
        for (const [name, text] of files) {
            mkdirSync(path.dirname(path.join(arg, name)), { recursive: true });
            writeFileSync(path.join(arg, name), text);
        }
        console.log(`${files.size} rendered files -> ${arg}`);
    } else {
        console.error("usage: node build/test/support/snapshot.js --update | DIR");
        process.exit(2);
    }
}
