/**
 * A stand-in for `systemctl` driving keepalived, for a kernel without IPVS: `reload`/`start` apply
 * the virtual servers of the files the main keepalived configuration includes to the stand-in
 * ipvsadm's table, the way keepalived does on a reload (diffing against what it applied last:
 * unchanged entries untouched, changed ones edited, removed ones deleted), through the stand-in
 * ipvsadm so that every change is logged. `stop` deletes what it applied; `enable` is remembered
 * for `is-enabled`. It parses only what lvs-dr writes; the real keepalived runs in the VM lab.
 */
export function fakeSystemctl(ipvsadm: string, rw: string, logFile: string): string {
    return `#!/usr/bin/env node
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const RUNNING = ${JSON.stringify(`${rw}/keepalived.running`)};
const APPLIED = ${JSON.stringify(`${rw}/keepalived.applied`)};
const ENABLED = ${JSON.stringify(`${rw}/keepalived.enabled`)};
const MAIN = "/etc/keepalived/keepalived.conf";
const [verb, ...rest] = process.argv.slice(2).filter((a) => a !== "--quiet" && a !== "--no-reload");
fs.appendFileSync(${JSON.stringify(logFile)}, [verb, ...rest].join(" ") + "\\n");
const ipvsadm = (...args) => execFileSync(${JSON.stringify(ipvsadm)}, args, { encoding: "utf8" });

function configured() {
  const lines = [];
  if (!fs.existsSync(MAIN)) return lines;
  for (const inc of fs.readFileSync(MAIN, "utf8").split("\\n").filter((l) => l.startsWith("include "))) {
    const dir = path.dirname(inc.slice(8));
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".conf")).sort()) {
      let svc;
      let real;
      for (const raw of fs.readFileSync(path.join(dir, f), "utf8").split("\\n")) {
        const w = raw.trim().split(/\\s+/);
        if (w[0] === "virtual_server") svc = { addr: w[1] + ":" + w[2], sched: "wlc", reals: [] };
        else if (svc && w[0] === "lvs_sched") svc.sched = w[1];
        else if (svc && w[0] === "lvs_method") svc.method = w[1] === "DR" ? "-g" : "-i";
        else if (svc && w[0] === "protocol") svc.flag = w[1] === "UDP" ? "-u" : "-t";
        else if (svc && w[0] === "persistence_timeout") svc.persist = w[1];
        else if (svc && w[0] === "real_server") { real = { addr: w[1] + ":" + w[2], weight: "1" }; svc.reals.push(real); }
        else if (real && w[0] === "weight") real.weight = w[1];
        else if (raw === "}") { if (svc) lines.push(svc); svc = undefined; real = undefined; }
      }
    }
  }
  return lines;
}

function apply(next) {
  const prev = fs.existsSync(APPLIED) ? JSON.parse(fs.readFileSync(APPLIED, "utf8")) : [];
  const key = (s) => s.flag + " " + s.addr;
  for (const old of prev) {
    if (!next.some((s) => key(s) === key(old))) ipvsadm("-D", old.flag, old.addr);
  }
  for (const s of next) {
    const old = prev.find((o) => key(o) === key(s));
    const args = [s.flag, s.addr, "-s", s.sched, ...(s.persist ? ["-p", s.persist] : [])];
    if (!old) ipvsadm("-A", ...args);
    else if (old.sched !== s.sched || old.persist !== s.persist) ipvsadm("-E", ...args);
    for (const r of s.reals) {
      const was = old && old.reals.find((o) => o.addr === r.addr);
      if (!was) ipvsadm("-a", s.flag, s.addr, "-r", r.addr, s.method, "-w", r.weight);
      else if (was.weight !== r.weight) ipvsadm("-e", s.flag, s.addr, "-r", r.addr, s.method, "-w", r.weight);
    }
    for (const r of old ? old.reals : []) {
      if (!s.reals.some((n) => n.addr === r.addr)) ipvsadm("-d", s.flag, s.addr, "-r", r.addr);
    }
  }
  fs.writeFileSync(APPLIED, JSON.stringify(next));
}

switch (verb) {
  case "is-active":
    process.exit(fs.existsSync(RUNNING) ? 0 : 3);
  case "is-enabled":
    process.exit(fs.existsSync(ENABLED) ? 0 : 1);
  case "enable":
    fs.writeFileSync(ENABLED, "");
    break;
  case "start":
  case "reload":
    if (verb === "reload" && !fs.existsSync(RUNNING)) { process.stderr.write("keepalived is not active\\n"); process.exit(1); }
    fs.writeFileSync(RUNNING, "");
    apply(configured());
    break;
  case "stop":
    apply([]);
    fs.rmSync(RUNNING, { force: true });
    break;
  default:
    process.stderr.write("fake systemctl: unsupported " + verb + "\\n");
    process.exit(2);
}
`;
}
