/**
 * Entry point of the lab's stand-in for `pulumi-resource-command` (see provider.ts): the engine
 * starts it through the launcher scripts/pulumi-toolchain writes, and reads the port it prints.
 *
 * The engine's address (the one argument that is not a flag) is given to the SDK before it loads,
 * as the language host does for a program: the provider's log calls, which stream each command's
 * output lines to the engine as the real provider does, reach the engine through it.
 */
const engine = process.argv.slice(2).find((a) => !a.startsWith("-"));
if (engine) {
    process.env.PULUMI_NODEJS_ENGINE = engine;
}
/* eslint-disable @typescript-eslint/no-require-imports -- loaded once the engine's address is set */
const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const { provider } = require("./provider") as typeof import("./provider");
/* eslint-enable @typescript-eslint/no-require-imports */

pulumi.provider.main(provider, process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
});
