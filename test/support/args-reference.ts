/**
 * The arguments reference, generated from the package schema: what `pulumi package get-schema .`
 * returns, made the way test/unit/schema.test.ts makes it (the SDK's ComponentProvider reads the
 * JSDoc of src/args.ts). Two outputs:
 *
 * - docs/arguments.md, the whole file: one table per args type (field, type, required, the
 *   description's first sentence and its sentences about defaults), the enums, the outputs;
 * - the README's Arguments section, between `<!-- args:begin -->` and `<!-- args:end -->`: the
 *   top-level fields and the outputs, linking to docs/arguments.md.
 *
 * test/unit/readme.test.ts fails when either differs from what this renders. To rewrite both:
 *
 *   npm run build:test && node build/test/support/args-reference.js
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import * as lvsdr from "../../src";

/** The repository root (this file runs as build/test/support/args-reference.js). */
export const REPO = path.resolve(__dirname, "../../..");
export const README = path.join(REPO, "README.md");
export const ARGUMENTS_DOC = path.join(REPO, "docs", "arguments.md");
export const BEGIN = "<!-- args:begin -->";
export const END = "<!-- args:end -->";
export const REGENERATE = "npm run build:test && node build/test/support/args-reference.js";

const RESOURCE = "lvs-dr:index:LvsDrCluster";
const ARGS_TYPE = "LvsDrClusterArgs";

export interface SchemaProperty {
    type?: string;
    $ref?: string;
    items?: SchemaProperty;
    description?: string;
    optional?: boolean;
    plain?: boolean;
}

export interface SchemaType {
    type?: string;
    properties?: Record<string, SchemaProperty>;
    required?: string[];
    enum?: { name?: string; value: string | number; description?: string }[];
}

export interface PackageSchema {
    resources: Record<string, {
        inputProperties: Record<string, SchemaProperty>;
        requiredInputs?: string[];
        properties: Record<string, SchemaProperty>;
        required?: string[];
    }>;
    types: Record<string, SchemaType>;
}

/** The package schema, as `pulumi package get-schema .` returns it. */
export async function packageSchema(): Promise<PackageSchema> {
    const components = getPulumiComponents(lvsdr);
    return JSON.parse(await new ComponentProvider({ name: "lvs-dr", dirname: REPO, components }).getSchema()) as PackageSchema;
}

/**
 * The JSDoc of src/args.ts, by interface (`""` for the interface's own) and member. Used for what
 * the schema does not carry (a type's own description) or garbles: the SDK's analyzer renders a
 * JSDoc comment holding `{@link X}` as "[object Object],...".
 */
export function argsJsDoc(file = path.join(REPO, "src", "args.ts")): Map<string, Map<string, string>> {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const docOf = (node: ts.Node): string =>
        ts.getJSDocCommentsAndTags(node)
            .filter((d): d is ts.JSDoc => ts.isJSDoc(d))
            .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
            .join(" ")
            .replace(/\{@link\s+([^}\s]+)\s*\}/g, "$1");
    const docs = new Map<string, Map<string, string>>();
    for (const statement of source.statements) {
        if (ts.isInterfaceDeclaration(statement)) {
            const members = new Map<string, string>([["", docOf(statement)]]);
            for (const member of statement.members) {
                if (ts.isPropertySignature(member) && ts.isIdentifier(member.name)) {
                    members.set(member.name.text, docOf(member));
                }
            }
            docs.set(statement.name.text, members);
        }
    }
    return docs;
}

/** The sentences of a description (newlines folded; no split inside `code` or after "e.g."). */
export function sentences(text: string): string[] {
    const flat = text.replace(/\s+/g, " ").trim();
    const out: string[] = [];
    let start = 0;
    let inCode = false;
    for (let i = 0; i < flat.length; i++) {
        const c = flat[i];
        if (c === "`") {
            inCode = !inCode;
        } else if (!inCode && (c === "." || c === "!" || c === "?") && flat[i + 1] === " " && /[A-Z`"(]/.test(flat[i + 2] ?? "")
            && !/\b(e\.g|i\.e|etc)$/.test(flat.slice(start, i))) {
            out.push(flat.slice(start, i + 1));
            start = i + 2;
        }
    }
    if (start < flat.length) {
        out.push(flat.slice(start));
    }
    return out;
}

/** Sentences worth a reference table's room beyond the first: defaults, ranges, requirements. */
const KEEP = /\b(default|required|refused|integer)\b|\d-\d/i;

/**
 * The first sentence and (unless `firstOnly`) every later one that states a default, a range, a
 * requirement or a refusal; " …" marks a cut when `mark`.
 */
export function summary(text: string, firstOnly = false, mark = true): string {
    const all = sentences(text);
    const kept = all.filter((s, i) => i === 0 || (!firstOnly && KEEP.test(s) && s !== "Required."));
    return kept.join(" ") + (mark && kept.length < all.length ? " …" : "");
}

const GARBLED = /\[object Object\]/;
const shortName = (ref: string): string => ref.replace(/^#\/types\//, "").replace(/^lvs-dr:index:/, "");
const anchor = (name: string): string => name.toLowerCase().replace(/[^a-z0-9_-]/g, "");
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();

interface Render {
    schema: PackageSchema;
    jsdoc: Map<string, Map<string, string>>;
    /** Prefix of links to the types' headings ("" within docs/arguments.md). */
    link: string;
    /** First sentences only, no cut marks (the README's summary). */
    brief: boolean;
}

function typeText(p: SchemaProperty, r: Render, output: boolean): string {
    if (p.$ref) {
        const name = shortName(p.$ref);
        return `[${name}](${r.link}#${anchor(name)})`;
    }
    if (p.type === "array" && p.items) {
        return `${typeText(p.items, r, true)}[]`;
    }
    // A property the SDK did not mark plain takes an Output (pulumi.Input) as well.
    return !output && p.plain !== true ? `\`Input<${p.type ?? "any"}>\`` : `\`${p.type ?? "any"}\``;
}

function description(owner: string, field: string, p: SchemaProperty, r: Render): string {
    let text = p.description ?? "";
    if (GARBLED.test(text) || text === "") {
        text = r.jsdoc.get(owner)?.get(field) ?? "";
    }
    return cell(summary(text, r.brief, !r.brief) || "(undocumented: see src/args.ts)");
}

function fieldTable(owner: string, props: Record<string, SchemaProperty>, required: string[], r: Render): string[] {
    const rows = ["| field | type | required | description |", "| --- | --- | --- | --- |"];
    for (const [name, p] of Object.entries(props)) {
        rows.push(`| \`${name}\` | ${typeText(p, r, false)} | ${required.includes(name) ? "yes" : ""} | ${description(owner, name, p, r)} |`);
    }
    return rows;
}

function outputTable(r: Render): string[] {
    const resource = r.schema.resources[RESOURCE];
    const rows = ["| output | type | description |", "| --- | --- | --- |"];
    for (const [name, p] of Object.entries(resource.properties)) {
        const when = (resource.required ?? []).includes(name) ? "" : " (optional)";
        rows.push(`| \`${name}\` | ${typeText(p, r, true)}${when} | ${cell(p.description ?? "")} |`);
    }
    return rows;
}

/** The object and enum types reachable from the component's inputs, in the order they are met. */
function reachableTypes(schema: PackageSchema): { objects: string[]; enums: string[] } {
    const objects: string[] = [];
    const enums: string[] = [];
    const visit = (props: Record<string, SchemaProperty>): void => {
        for (const p of Object.values(props)) {
            const ref = p.$ref ?? p.items?.$ref;
            if (!ref) {
                continue;
            }
            const name = shortName(ref);
            const type = schema.types[`lvs-dr:index:${name}`];
            if (!type) {
                throw new Error(`the schema has no type ${ref}`);
            }
            if (type.enum) {
                if (!enums.includes(name)) {
                    enums.push(name);
                }
            } else if (!objects.includes(name)) {
                objects.push(name);
                visit(type.properties ?? {});
            }
        }
    };
    visit(schema.resources[RESOURCE].inputProperties);
    return { objects, enums };
}

/** docs/arguments.md, whole. */
export function renderDocument(schema: PackageSchema, jsdoc = argsJsDoc()): string {
    const r: Render = { schema, jsdoc, link: "", brief: false };
    const resource = schema.resources[RESOURCE];
    const { objects, enums } = reachableTypes(schema);
    const intro = (name: string): string[] => {
        const doc = jsdoc.get(name)?.get("") ?? "";
        return doc ? [cell(summary(doc, true, false)), ""] : [];
    };
    const lines = [
        "# lvs-dr: arguments and outputs",
        "",
        `<!-- Generated from the package schema by test/support/args-reference.ts: do not edit; run ${REGENERATE} -->`,
        "",
        "`new LvsDrCluster(name, args, opts?)`: `name` is 1-40 letters, digits and `_.-`, starting with a letter or",
        "digit; it prefixes every child resource, VM, network and AWS tag. Exactly one of `hosts`, `libvirt`",
        "and `aws` is set. Each description is the first sentence of the field's JSDoc and those that state",
        "a default, a range, a requirement or a refusal (\"…\" marks a cut): the whole text is in",
        "[src/args.ts](../src/args.ts), and your editor shows it. `Input<…>` fields take an Output too;",
        "every other field is a plain value.",
        "",
        `## ${ARGS_TYPE}`,
        "",
        ...fieldTable(ARGS_TYPE, resource.inputProperties, resource.requiredInputs ?? [], r),
    ];
    for (const name of objects) {
        const type = schema.types[`lvs-dr:index:${name}`];
        lines.push("", `### ${name}`, "", ...intro(name), ...fieldTable(name, type.properties ?? {}, type.required ?? [], r));
    }
    lines.push("", "## Enums", "",
        "Exported both as types and as objects of their values (`Scheduler.wrr === \"wrr\"`).", "",
        "| enum | values |", "| --- | --- |");
    for (const name of enums) {
        const values = (schema.types[`lvs-dr:index:${name}`].enum ?? [])
            .map((e) => `\`${String(e.value)}\`${e.description ? ` (${summary(e.description, true).replace(/\.$/, "")})` : ""}`);
        lines.push(`| <a id="${anchor(name)}"></a>${name} | ${cell(values.join(", "))} |`);
    }
    lines.push("", "## Outputs", "", ...outputTable(r), "");
    return lines.join("\n");
}

/** The README's block: the top-level fields and the outputs' names, linking to docs/arguments.md. */
export function renderReadmeBlock(schema: PackageSchema, jsdoc = argsJsDoc()): string {
    const r: Render = { schema, jsdoc, link: "docs/arguments.md", brief: true };
    const resource = schema.resources[RESOURCE];
    const outputs = Object.keys(resource.properties).map((name) => `\`${name}\``).join(", ");
    return [
        `<!-- Generated from the package schema: run ${REGENERATE} -->`,
        ...fieldTable(ARGS_TYPE, resource.inputProperties, resource.requiredInputs ?? [], r),
        "",
        `Outputs ([what each holds](docs/arguments.md#outputs)): ${outputs}.`,
    ].join("\n");
}

/** The README's text between the markers, or undefined when it has none. */
export function readmeBlock(readme: string): string | undefined {
    const from = readme.indexOf(BEGIN);
    const to = readme.indexOf(END);
    return from < 0 || to < from ? undefined : readme.slice(from + BEGIN.length, to).replace(/^\n/, "").replace(/\n$/, "");
}

/** The README with its block replaced. */
export function intoReadme(readme: string, block: string): string {
    const from = readme.indexOf(BEGIN);
    const to = readme.indexOf(END);
    if (from < 0 || to < from) {
        throw new Error(`the README has no "${BEGIN}" ... "${END}" block`);
    }
    return `${readme.slice(0, from + BEGIN.length)}\n${block}\n${readme.slice(to)}`;
}

/** Both texts, from one schema. */
export async function argumentsReference(): Promise<{ document: string; readmeBlock: string }> {
    const schema = await packageSchema();
    const jsdoc = argsJsDoc();
    return { document: renderDocument(schema, jsdoc), readmeBlock: renderReadmeBlock(schema, jsdoc) };
}

if (require.main === module) {
    argumentsReference().then(({ document, readmeBlock: block }) => {
        fs.mkdirSync(path.dirname(ARGUMENTS_DOC), { recursive: true });
        fs.writeFileSync(ARGUMENTS_DOC, document);
        fs.writeFileSync(README, intoReadme(fs.readFileSync(README, "utf8"), block));
        console.log(`wrote ${path.relative(REPO, ARGUMENTS_DOC)} and the block of ${path.relative(REPO, README)}`);
    }).catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
