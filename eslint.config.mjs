// ESLint (flat config) with typescript-eslint's type-checked rules, for every TypeScript file of the
// repository; `npm run lint`, part of `npm test`. It also holds the layering: the pure core never
// loads Pulumi or does I/O (type-only imports are fine: they vanish at compile time).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const pure = [
    "src/core/**/*.ts",
    "src/platforms/*/validate.ts",
    "src/platforms/libvirt/xml.ts",
    "src/platforms/libvirt/inputs.ts",
];

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
    {
        files: pure,
        ignores: ["src/core/scripts/library.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": ["error", {
                patterns: [{ group: ["@pulumi/*"], allowTypeImports: true, message: "the pure core does not load Pulumi (type imports only)" }],
                paths: ["fs", "child_process", "net", "http", "https", "os"].map((name) => ({
                    name, message: "the pure core does no I/O (only core/scripts/library.ts reads its own .sh files)",
                })),
            }],
        },
    },
);
