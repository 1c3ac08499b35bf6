/**
 * The lab's `pulumi-resource-lvs-dr`: this package served to the engine as a provider plugin, so
 * that a program in another language (YAML in the lab) can create the component. With a normal
 * Pulumi install nothing of this is needed: `pulumi package add` records the source package
 * (PulumiPlugin.yaml, `runtime: nodejs`) and the nodejs language host runs it through
 * componentProviderHost, as below. That language host cannot be built here (the Go module proxy
 * does not serve it), so scripts/pulumi-toolchain writes a launcher of this file on PATH, where the
 * engine looks for plugins first ("using pulumi-resource-lvs-dr from $PATH").
 *
 * It serves the package as a user installs it: the repository root, its package.json `main`
 * (dist/, what `npm pack` ships; `npm ci` builds it) and, for the schema, its TypeScript sources.
 */
import * as path from "path";
import { componentProviderHost, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";

/** The repository root (this file runs as build/lab/component-provider/main.js). */
const ROOT = path.resolve(__dirname, "..", "..", "..");

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package as installed, resolved at run time
componentProviderHost({ name: "lvs-dr", dirname: ROOT, components: getPulumiComponents(require(ROOT)) }).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
