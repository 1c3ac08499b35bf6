/**
 * A stand-in for virsh that keeps networks, volumes and domains in a JSON file, answers with
 * libvirt's error wording for missing objects, logs every call, and can be told to fail one
 * command (LVSDR_FAKE_VIRSH_FAIL=start). It checks what it is given: XML files must exist and be
 * non-empty, uploads must be real ISO 9660 images. The real libvirtd is used in test/libvirt.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = `#!/usr/bin/env node
"use strict";
const fs = require("fs");
const STATE = process.env.LVSDR_FAKE_VIRSH_STATE;
const LOG = process.env.LVSDR_FAKE_VIRSH_LOG;
const s = fs.existsSync(STATE) ? JSON.parse(fs.readFileSync(STATE, "utf8")) : { networks: {}, volumes: {}, domains: {} };
let argv = process.argv.slice(2);
if (argv[0] !== "-c" || !argv[1]) { process.stderr.write("fake virsh: expected -c URI first\\n"); process.exit(2); }
argv = argv.slice(2);
fs.appendFileSync(LOG, argv.map((a) => a.startsWith("/") && a.includes("lvsdr-") ? "<file>" : a).join(" ") + "\\n");
const die = (msg) => { process.stderr.write("error: " + msg + "\\n"); process.exit(1); };
const save = () => fs.writeFileSync(STATE, JSON.stringify(s, null, 1));
if (process.env.LVSDR_FAKE_VIRSH_FAIL === argv[0]) die("injected failure of " + argv[0]);
const flag = (name) => { const i = argv.indexOf(name); if (i < 0) return undefined; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const disable = argv.includes("--disable"); argv = argv.filter((a) => a !== "--disable");
const readXml = (file) => { const x = fs.readFileSync(file, "utf8"); if (!x.trim().startsWith("<")) die("not XML"); return x; };
const nameOf = (xml) => /<name>([^<]+)<\\/name>/.exec(xml)[1];
const cmd = argv[0];
const pool = flag("--pool");
const a = argv[1];
const net = () => s.networks[a] || die("failed to get network '" + a + "'\\nerror: Network not found: no network with matching name '" + a + "'");
// libvirt 9 says only this much about a missing domain.
const dom = () => s.domains[a] || die("failed to get domain '" + a + "'");
const vol = (name) => s.volumes[pool + "/" + name] || die("failed to get vol '" + name + "'\\nerror: Storage volume not found: no storage vol with matching path '" + name + "'");
switch (cmd) {
  case "net-define": { const x = readXml(a); s.networks[nameOf(x)] = { xml: x, active: false, autostart: false }; break; }
  case "net-start": net().active = true; break;
  case "net-autostart": net().autostart = !disable; break;
  case "net-destroy": if (!net().active) die("network is not active"); net().active = false; break;
  case "net-undefine": net(); delete s.networks[a]; break;
  case "vol-create": { const x = readXml(a); const n = nameOf(x); if (s.volumes[pool + "/" + n]) die("storage volume name '" + n + "' already in use."); s.volumes[pool + "/" + n] = { xml: x }; break; }
  case "vol-upload": { const v = vol(a); const data = fs.readFileSync(argv[2]); if (data.toString("latin1", 32769, 32774) !== "CD001") die("fake virsh: upload is not an ISO 9660 image"); v.uploaded = data.length; v.volid = data.toString("latin1", 32808, 32840).trim(); v.file = STATE + "." + pool + "." + a; fs.writeFileSync(v.file, data); break; }
  case "vol-delete": vol(a); delete s.volumes[pool + "/" + a]; break;
  case "vol-path": vol(a); process.stdout.write("/var/lib/libvirt/images/" + a + "\\n"); break;
  case "define": { const x = readXml(a); s.domains[nameOf(x)] = { xml: x, active: false, autostart: false }; break; }
  case "start": dom().active = true; break;
  case "autostart": dom().autostart = !disable; break;
  case "destroy": if (!dom().active) die("Requested operation is not valid: domain is not running"); dom().active = false; break;
  case "undefine": dom(); delete s.domains[a]; break;
  default: die("fake virsh: unsupported command " + cmd);
}
save();
`;

interface VirshState {
    networks: Record<string, { xml: string; active: boolean; autostart: boolean }>;
    /** `file`: a copy of what was uploaded. */
    volumes: Record<string, { xml: string; uploaded?: number; volid?: string; file?: string }>;
    domains: Record<string, { xml: string; active: boolean; autostart: boolean }>;
}

export interface FakeVirsh {
    dir: string;
    state(): VirshState;
    /** Puts a volume in a pool, as a base image would be. */
    addVolume(pool: string, name: string): void;
    /** The calls since the last `calls()`, file arguments shown as <file>. */
    calls(): string[];
    restore(): void;
}

/** Puts the fake first on PATH for this process (the provider runs in-process in unit tests). */
export function installFakeVirsh(): FakeVirsh {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-fake-virsh-"));
    fs.writeFileSync(path.join(dir, "virsh"), SCRIPT, { mode: 0o755 });
    const saved = { PATH: process.env.PATH, state: process.env.LVSDR_FAKE_VIRSH_STATE, log: process.env.LVSDR_FAKE_VIRSH_LOG };
    process.env.PATH = `${dir}:${process.env.PATH}`;
    process.env.LVSDR_FAKE_VIRSH_STATE = path.join(dir, "state.json");
    process.env.LVSDR_FAKE_VIRSH_LOG = path.join(dir, "log");
    return {
        dir,
        state: () => fs.existsSync(path.join(dir, "state.json"))
            ? JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as VirshState : { networks: {}, volumes: {}, domains: {} },
        addVolume(pool, name) {
            const state = this.state();
            state.volumes[`${pool}/${name}`] = { xml: `<volume><name>${name}</name></volume>` };
            fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(state));
        },
        calls: () => {
            const file = path.join(dir, "log");
            const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
            fs.rmSync(file, { force: true });
            return lines;
        },
        restore: () => {
            process.env.PATH = saved.PATH;
            for (const [k, v] of [["LVSDR_FAKE_VIRSH_STATE", saved.state], ["LVSDR_FAKE_VIRSH_LOG", saved.log]] as const) {
                if (v === undefined) {
                    delete process.env[k];
                } else {
                    process.env[k] = v;
                }
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
