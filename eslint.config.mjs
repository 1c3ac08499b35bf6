// ESLint (flat config) with typescript-eslint's type-checked rules, for every TypeScript file of the
// repository; `npm run lint`, part of `npm test`. It also holds the layering: the pure core never
// loads Pulumi or does I/O (type-only imports are fine: they vanish at compile time).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Files that must stay pure: no Pulumi at run time (type imports only), no I/O.
const pure = [
    "src/core/**/*.ts",
    "src/platforms/validation.ts",
    "src/platforms/*/validate.ts",
    "src/platforms/*/plan.ts",
    "src/platforms/*/names.ts",
    "src/platforms/*/patterns.ts",
    "src/platforms/libvirt/xml.ts",
    "src/platforms/libvirt/inputs.ts",
    "src/platforms/vm/validate-vms.ts",
    "src/platforms/vm/cloud-init.ts",
];
// The one file of the core that reads a file: the package's own .sh libraries.
const reader = "src/core/scripts/library.ts";

const PURE_RESTRICTIONS = {
    patterns: [{ group: ["@pulumi/*"], allowTypeImports: true, message: "a pure module does not load Pulumi (type imports only)" }],
    paths: ["fs", "child_process", "net", "http", "https", "os"].map((name) => ({
        name, message: "a pure module does no I/O (only core/scripts/library.ts reads the package's own .sh files)",
    })),
};

/** An import of the folder `layer` (relative or not): one that points up a layer, or out of the product. */
function into(layer, message) {
    return { regex: `(^|/)${layer}(/|$)`, message };
}
// The layers, imports pointing down only: core (1) <- platforms (2) <- component (3); the lab, the
// benchmark and the root program use the product and the lab harness (lab/harness), never the tests.
const CORE = [
    into("platforms", "the core knows no platform: it decides from the capabilities the plan carries"),
    into("component", "the core does not import the component (imports point down: core <- platforms <- component)"),
];
const PLATFORMS = [into("component", "a platform does not import the component (imports point down: core <- platforms <- component)")];
const TOOLS = [into("test", "bench, lab and program do not import the tests: shared lab code lives in lab/harness")];

function restrict(patterns, withPure) {
    return {
        "@typescript-eslint/no-restricted-imports": ["error", withPure
            ? { patterns: [...PURE_RESTRICTIONS.patterns, ...patterns], paths: PURE_RESTRICTIONS.paths }
            : { patterns }],
    };
}

export default tseslint.config(
    { ignores: ["dist/", "build/", ".tools/", "**/node_modules/", "eslint.config.mjs"] },
    js.configs.recommended,
    tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: {
                project: ["./tsconfig.test.json", "./tsconfig.examples.json"],
                tsconfigRootDir: import.meta.dirname,
            },
        },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            eqeqeq: "error",
            "no-console": "off",
            "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
            // Provider methods and the root program are async by contract (they return promises)
            // whether or not their body awaits anything.
            "@typescript-eslint/require-await": "off",
        },
    },
    // Plain JavaScript build helpers: linted without type information (no tsconfig holds them).
    { files: ["**/*.mjs"], ...tseslint.configs.disableTypeChecked },
    { files: ["**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
    // Flat config applies the last matching rule options whole: each file gets exactly one set.
    { files: ["src/core/**/*.ts"], ignores: [reader], rules: restrict(CORE, true) },
    { files: [reader], rules: restrict(CORE, false) },
    { files: ["src/platforms/**/*.ts"], ignores: pure, rules: restrict(PLATFORMS, false) },
    { files: pure.filter((p) => p.startsWith("src/platforms/")), rules: restrict(PLATFORMS, true) },
    { files: ["bench/**/*.ts", "lab/**/*.ts", "program/**/*.ts"], rules: restrict(TOOLS, false) },
);
