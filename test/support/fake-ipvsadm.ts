/**
 * A stand-in for ipvsadm on a kernel without IPVS, keeping the table in a file. It implements only
 * what the scripts use (-S, -L, -A/-E/-D, -a/-e/-d, -R, -C) with ipvsadm's -S line syntax and its
 * refusals (adding what exists, editing what does not), and logs every change, so the reconcile
 * logic can be checked operation by operation. The real ipvsadm is exercised in the VM lab.
 */
export function fakeIpvsadm(stateFile: string, logFile: string): string {
    return `#!/usr/bin/env node
"use strict";
const fs = require("fs");
const STATE = ${JSON.stringify(stateFile)};
const LOG = ${JSON.stringify(logFile)};
const load = () => (fs.existsSync(STATE) ? fs.readFileSync(STATE, "utf8").split("\\n").filter(Boolean) : []);
const save = (lines) => fs.writeFileSync(STATE, lines.map((l) => l + "\\n").join(""));
const fail = (msg) => { process.stderr.write(msg + "\\n"); process.exit(2); };

function parse(argv) {
  const o = { op: undefined, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (["-A", "-E", "-D", "-a", "-e", "-d", "-S", "-L", "-R", "-C", "-Sn", "-Ln"].includes(a)) o.op = a.slice(0, 2);
    else if (a === "-n") o.numeric = true;
    else if (a === "-t" || a === "-u") { o.flag = a; o.svc = argv[++i]; }
    else if (a === "-s") o.sched = argv[++i];
    else if (a === "-p") o.persist = argv[++i];
    else if (a === "-r") o.real = argv[++i];
    else if (a === "-w") o.weight = argv[++i];
    else if (a === "-g" || a === "-i" || a === "-m") o.method = a;
    else if (a === "--tun-type") o.tunType = argv[++i];
    else fail("fake ipvsadm: unsupported argument " + a);
  }
  return o;
}

const svcLine = (o) => "-A " + o.flag + " " + o.svc + " -s " + (o.sched || "wlc") + (o.persist ? " -p " + o.persist : "");
// Like ipvsadm 1.31, tunnel entries carry their tunnel type.
const realLine = (o) => "-a " + o.flag + " " + o.svc + " -r " + o.real + " " + (o.method || "-g") + " -w " + (o.weight === undefined ? "1" : o.weight)
  + (o.method === "-i" ? " --tun-type " + (o.tunType || "ipip") : "");
const isSvc = (l, o) => l.startsWith("-A " + o.flag + " " + o.svc + " ");
const isReal = (l, o) => l.startsWith("-a " + o.flag + " " + o.svc + " -r " + o.real + " ");
const ofSvc = (l, o) => l.split(" ")[1] === o.flag && l.split(" ")[2] === o.svc;

function apply(o, lines, text) {
  const log = () => fs.appendFileSync(LOG, text + "\\n");
  switch (o.op) {
    case "-A":
      if (lines.some((l) => isSvc(l, o))) fail("Service already exists");
      lines.push(svcLine(o));
      break;
    case "-E": {
      const i = lines.findIndex((l) => isSvc(l, o));
      if (i < 0) fail("No such service");
      lines[i] = svcLine(o);
      break;
    }
    case "-D":
      if (!lines.some((l) => isSvc(l, o))) fail("No such service");
      lines = lines.filter((l) => !ofSvc(l, o));
      break;
    case "-a": {
      if (!lines.some((l) => isSvc(l, o))) fail("Service not defined");
      if (lines.some((l) => isReal(l, o))) fail("Destination already exists");
      let last = -1;
      lines.forEach((l, i) => { if (ofSvc(l, o)) last = i; });
      lines.splice(last + 1, 0, realLine(o));
      break;
    }
    case "-e": {
      const i = lines.findIndex((l) => isReal(l, o));
      if (i < 0) fail("No such destination");
      lines[i] = realLine(o);
      break;
    }
    case "-d":
      if (!lines.some((l) => isReal(l, o))) fail("No such destination");
      lines = lines.filter((l) => !isReal(l, o));
      break;
    case "-C":
      lines = [];
      break;
    default:
      fail("fake ipvsadm: not a change " + o.op);
  }
  log();
  return lines;
}

const o = parse(process.argv.slice(2));
if (o.op === "-S") {
  process.stdout.write(load().map((l) => l + "\\n").join(""));
} else if (o.op === "-L") {
  const lines = load().filter((l) => !o.svc || ofSvc(l, o));
  if (o.svc && lines.length === 0) fail("Service not defined");
  process.stdout.write("IP Virtual Server (fake)\\n" + lines.map((l) => l + "\\n").join(""));
} else if (o.op === "-R") {
  let lines = load();
  for (const l of fs.readFileSync(0, "utf8").split("\\n").filter(Boolean)) lines = apply(parse(l.split(" ")), lines, "-R " + l);
  save(lines);
} else {
  save(apply(o, load(), process.argv.slice(2).join(" ")));
}
`;
}

/** A modprobe that loads nothing and records what was asked. */
export function fakeModprobe(logFile: string): string {
    return `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(logFile)}\n`;
}
