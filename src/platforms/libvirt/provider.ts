/**
 * Pulumi dynamic providers for libvirt networks and VMs, driving `virsh` (libvirt-clients).
 *
 * Dynamic providers are serialized into the state with everything their methods capture, and run
 * in another process. So this file's functions use nothing but each other and `require`d Node
 * built-ins, required inside the functions; all XML and cloud-init text arrives ready-made in the
 * inputs (rendered and tested in src/core/libvirt-xml.ts). virsh runs without a shell, each value
 * one argument, XML through a private temporary file.
 */
import type * as pulumi from "@pulumi/pulumi";
import { withoutAuthorizedKeys } from "../vm/cloud-init";
import { hostKeyCloudConfig, newHostKey } from "../vm/host-key";
import type { VmSpec } from "./xml";

export interface NetworkInputs {
    uri: string;
    name: string;
    xml: string;
    autostart: boolean;
}

/** A VM's spec (rendered in the core) plus where and how big to make it. */
export interface VmInputs extends Omit<VmSpec, "domain" | "mac"> {
    uri: string;
    pool: string;
    name: string;
    /** Absolute path, or a volume name in `pool`. */
    baseImage: string;
    diskBytes: number;
    autostart: boolean;
}

/** Errors virsh reports for things already gone: deleting them again is success. */
const GONE = /failed to get (domain|network|vol) |not found|no domain with matching|no network with matching|no storage vol|network is not active|domain is not running/i;

export function runVirsh(uri: string, args: string[], stdinFile?: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const r = spawnSync("virsh", ["-c", uri, ...args, ...(stdinFile ? [stdinFile] : [])], { encoding: "utf8" });
    if (r.error) {
        const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
        throw new Error(missing ? "virsh not found: install libvirt-clients on the machine that runs Pulumi" : String(r.error));
    }
    if (r.status !== 0) {
        const error = new Error(`virsh ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`);
        (error as Error & { gone?: boolean }).gone = GONE.test(r.stderr);
        throw error;
    }
    return r.stdout;
}

/** Runs virsh, treating "already gone" as done. */
export function virshIfPresent(uri: string, args: string[]): void {
    try {
        runVirsh(uri, args);
    } catch (e) {
        if (!(e as { gone?: boolean }).gone) {
            throw e;
        }
    }
}

/** Runs `virsh <command> <file>` with `text` in a private temporary file. */
export function virshWithFile(uri: string, args: string[], text: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const os = require("os") as typeof import("os");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-virsh-"));
    try {
        const file = path.join(dir, "input.xml");
        fs.writeFileSync(file, text, { mode: 0o600 });
        return runVirsh(uri, args, file);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Builds the NoCloud seed (ISO 9660, volume id "cidata") and returns its bytes' path in `dir`. */
export function buildSeedIso(dir: string, userData: string, metaData: string, networkConfig: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const files = { "user-data": userData, "meta-data": metaData, "network-config": networkConfig };
    for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    }
    const iso = path.join(dir, "seed.iso");
    for (const tool of ["genisoimage", "xorrisofs", "mkisofs"]) {
        const r = spawnSync(tool, ["-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock",
            ...Object.keys(files).map((f) => path.join(dir, f))], { encoding: "utf8" });
        if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
            continue;
        }
        if (r.status !== 0) {
            throw new Error(`${tool} failed to build the cloud-init seed: ${r.stderr}`);
        }
        return iso;
    }
    throw new Error("no ISO 9660 tool found to build the cloud-init seed: install genisoimage (or xorriso)");
}

function xmlText(value: string): string {
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Creates overlay disk, seed, domain; starts it. Undoes what it did if a step fails. The seed
 * carries a host key made here (see ../vm/host-key.ts): its public half is returned for the
 * connections to pin; the private half is in the seed volume alone, never in the state.
 */
export function createVm(inputs: VmInputs): { hostKey: string } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const os = require("os") as typeof import("os");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    const { uri, pool } = inputs;
    const undo: string[][] = [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-seed-"));
    try {
        const backing = inputs.baseImage.startsWith("/") ? inputs.baseImage
            : runVirsh(uri, ["vol-path", "--pool", pool, inputs.baseImage]).trim();
        virshWithFile(uri, ["vol-create", "--pool", pool], `<volume>
  <name>${xmlText(inputs.diskVolume)}</name>
  <capacity unit='bytes'>${inputs.diskBytes}</capacity>
  <target><format type='qcow2'/></target>
  <backingStore><path>${xmlText(backing)}</path><format type='qcow2'/></backingStore>
</volume>
`);
        undo.push(["vol-delete", "--pool", pool, inputs.diskVolume]);

        const hostKey = newHostKey(`${inputs.name} (lvs-dr)`);
        const iso = buildSeedIso(dir, `${inputs.userData.replace(/\n*$/, "\n")}${hostKeyCloudConfig(hostKey)}`, inputs.metaData, inputs.networkConfig);
        virshWithFile(uri, ["vol-create", "--pool", pool], `<volume>
  <name>${xmlText(inputs.seedVolume)}</name>
  <capacity unit='bytes'>${fs.statSync(iso).size}</capacity>
  <target><format type='raw'/></target>
</volume>
`);
        undo.push(["vol-delete", "--pool", pool, inputs.seedVolume]);
        runVirsh(uri, ["vol-upload", "--pool", pool, inputs.seedVolume, iso]);

        virshWithFile(uri, ["define"], inputs.domainXml);
        undo.push(["undefine", inputs.name]);
        runVirsh(uri, ["start", inputs.name]);
        undo.push(["destroy", inputs.name]);
        if (inputs.autostart) {
            runVirsh(uri, ["autostart", inputs.name]);
        }
        return { hostKey: hostKey.publicKey };
    } catch (e) {
        for (const step of undo.reverse()) {
            try {
                virshIfPresent(uri, step);
            } catch {
                // the original error matters more; what is left is named in it below
            }
        }
        throw new Error(`creating VM ${inputs.name} failed (partial work undone): ${(e as Error).message}`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Stops and removes the domain, its disk and its seed. Anything already gone is fine. */
export function deleteVm(props: Pick<VmInputs, "uri" | "pool" | "name" | "diskVolume" | "seedVolume">): void {
    virshIfPresent(props.uri, ["destroy", props.name]);
    virshIfPresent(props.uri, ["undefine", props.name]);
    virshIfPresent(props.uri, ["vol-delete", "--pool", props.pool, props.diskVolume]);
    virshIfPresent(props.uri, ["vol-delete", "--pool", props.pool, props.seedVolume]);
}

export function createNetwork(inputs: NetworkInputs): void {
    virshWithFile(inputs.uri, ["net-define"], inputs.xml);
    try {
        runVirsh(inputs.uri, ["net-start", inputs.name]);
        if (inputs.autostart) {
            runVirsh(inputs.uri, ["net-autostart", inputs.name]);
        }
    } catch (e) {
        virshIfPresent(inputs.uri, ["net-destroy", inputs.name]);
        virshIfPresent(inputs.uri, ["net-undefine", inputs.name]);
        throw e;
    }
}

export function deleteNetwork(props: Pick<NetworkInputs, "uri" | "name">): void {
    virshIfPresent(props.uri, ["net-destroy", props.name]);
    virshIfPresent(props.uri, ["net-undefine", props.name]);
}

/** What the providers add to their inputs in the state: never a difference to act on. */
const OUTPUTS = ["instanceId", "hostKey"];

/** What of an input `diffInputs` compares: the user data without the keys, the meta data without its instance id. */
function comparable(k: string, v: unknown): string {
    return JSON.stringify(typeof v !== "string" ? v
        : k === "userData" ? withoutAuthorizedKeys(v)
            : k === "metaData" ? v.split("\n").filter((line) => !line.startsWith("instance-id:")).join("\n") : v);
}

/** Inputs that change in place: every other change of a VM's replaces it. */
const IN_PLACE = ["autostart"];

/** The inputs whose change replaces a VM: what a kept VM ignores (`keepMachine`). */
export function replacingInputs(inputs: VmInputs): string[] {
    return Object.keys(inputs).filter((k) => !IN_PLACE.includes(k)).sort();
}

/** Those inputs as `diffInputs` compares them, as one string: what the machine guard compares across updates (../vm/machine-guard.ts). */
export function replacingSpec(inputs: VmInputs): string {
    return JSON.stringify(replacingInputs(inputs).map((k) => [k, comparable(k, (inputs as unknown as Record<string, unknown>)[k])]));
}

/**
 * Every input change replaces, except `autostart`, which is updated in place. Replacements delete
 * first: names, MACs and addresses are fixed, so old and new cannot coexist.
 *
 * The user's public key in `userData` is no difference at all: it is first-boot data, which the VM
 * keeps (its user's authorized_keys is kept in place by the host's `-access` command, see
 * ../vm/authorized-keys.ts), and a new key would otherwise replace every VM at once, both
 * directors included. So `userData` is compared without its keys, and `metaData` without its
 * instance id: that is a hash of the user data and the network config (xml.ts, vmSpec), each
 * compared on its own, so it differs when they do, and for a new key alone. No field was added
 * for this: the state of a VM made by an earlier lvs-dr (its user data with the key it was made
 * with) compares the same way. The state keeps the user data the VM was made with.
 */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>): pulumi.dynamic.DiffResult {
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])]
        .filter((k) => !k.startsWith("__") && !OUTPUTS.includes(k) && comparable(k, olds[k]) !== comparable(k, news[k]));
    const replaces = keys.filter((k) => !IN_PLACE.includes(k));
    return { changes: keys.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

export function setAutostart(uri: string, kind: "domain" | "network", name: string, on: boolean): void {
    runVirsh(uri, kind === "domain" ? ["autostart", ...(on ? [] : ["--disable"]), name]
        : ["net-autostart", ...(on ? [] : ["--disable"]), name]);
}

/**
 * A provider for one kind of libvirt object: create and delete as given, every change but
 * `autostart` (and a VM's new key, which is no change) a replacement (see {@link diffInputs}),
 * `autostart` toggled in place.
 * The functions it closes over must not share a name with a method: the engine's closure
 * serializer then leaves them out ("create is not defined" at `pulumi up`).
 */
function virshProvider<T extends { uri: string; name: string; autostart: boolean }>(
    kind: "domain" | "network", make: (inputs: T) => Record<string, string> | void, unmake: (props: T) => void,
): pulumi.dynamic.ResourceProvider {
    return {
        async check(_olds: T, news: T) {
            return { inputs: news };
        },
        async diff(_id, olds: Record<string, unknown>, news: Record<string, unknown>) {
            return diffInputs(olds, news);
        },
        async create(inputs: T) {
            const made = make(inputs);
            // A domain's name is fixed; what tells a replaced VM from the one before is this.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { randomUUID } = require("crypto") as typeof import("crypto");
            return { id: inputs.name, outs: kind === "domain" ? { ...inputs, ...made, instanceId: randomUUID() } : inputs };
        },
        async update(_id, olds: T & Record<string, unknown>, news: T) {
            if (olds.autostart !== news.autostart) {
                setAutostart(news.uri, kind, news.name, news.autostart);
            }
            // What create made (instanceId, hostKey) stays true of the same machine, and so does the
            // seed it first booted with (an update never differs in more than the key there).
            const kept = Object.fromEntries([...OUTPUTS, "userData", "metaData"].filter((k) => olds[k] !== undefined).map((k) => [k, olds[k]]));
            return { outs: { ...news, ...kept } };
        },
        async delete(_id, props: T) {
            unmake(props);
        },
    };
}

export const networkProvider = virshProvider<NetworkInputs>("network", createNetwork, deleteNetwork);
export const vmProvider = virshProvider<VmInputs>("domain", createVm, deleteVm);
