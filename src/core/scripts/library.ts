/**
 * The fixed shell of the host scripts, kept in `.sh` files beside this module (shipped in the
 * package, shellcheck-clean on their own) and included into every script that calls them. This is
 * the one place the core reads a file: the package's own, never the user's.
 */
import * as fs from "fs";
import * as path from "path";

/** The shell libraries in ./sh, by name. */
export type Library =
    | "common" | "announce" | "sysctl" | "boot-unit" | "realserver"
    | "ipvs" | "keepalived" | "table" | "held" | "drain" | "marks" | "vrrp-guard" | "authorized-keys" | "bgp";

const loaded = new Map<string, string>();

function load(file: string): string {
    return loadFile(path.join(__dirname, "sh", file));
}

function loadFile(file: string): string {
    let text = loaded.get(file);
    if (text === undefined) {
        text = fs.readFileSync(file, "utf8");
        loaded.set(file, text);
    }
    return text;
}

/**
 * A shell library a platform ships beside its own modules (a takeover hook's), by the absolute
 * path its validator put in the plan: the package's own file, like the ones above.
 */
export function libraryFile(file: string): string {
    return loadFile(file);
}

/** A library's text, to include in a script. */
export function library(name: Library): string {
    return load(`${name}.sh`);
}

/** A complete script that needs no data (waiting for a new VM to finish booting). */
export function fixedScript(name: "vm-boot"): string {
    return load(`${name}.sh`);
}
