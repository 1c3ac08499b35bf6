/**
 * Entry point of the lab's stand-in for `pulumi-resource-command` (see provider.ts): the engine
 * starts it through the launcher scripts/pulumi-toolchain writes, and reads the port it prints.
 */
import * as pulumi from "@pulumi/pulumi";
import { provider } from "./provider";

pulumi.provider.main(provider, process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
});
