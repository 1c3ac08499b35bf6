/**
 * `npm run test:consumer`: lvs-dr as a user gets it. `npm pack` (which runs the package's `prepare`,
 * the build a git install runs too) must ship exactly what runs; the tarball is installed into a
 * new project in a temporary folder, offline from the npm cache this repository's `npm ci` filled,
 * WITHOUT @pulumi/aws (an optional peer dependency); the project's TypeScript program (the
 * README's quick start, `test/consumer/project/`) compiles with the package's typings checked,
 * runs under Pulumi's mocks with the project's own @pulumi/pulumi, and the real engine (the
 * toolchain's CLI, the program hosted in-process by lab/pulumi.ts) previews the project in a
 * network namespace that has nothing but loopback: the `hosts` platform's preview reaches no machine.
 *
 * The consumer's lockfile is seeded with this repository's: `npm install` resolving ranges anew
 * needs the registry's full package documents, which `npm ci` does not cache, and the seed gives the
 * consumer exactly the versions tested here; the entries the project does not need (the
 * repository's dev tools, @pulumi/aws) are pruned by npm, and npm checks the package's peer ranges
 * against what the project has. Install scripts are not run (`--ignore-scripts`): @pulumi/command's
 * would download its provider plugin, which the toolchain stands in for here.
 *
 * A second project installs lvs-dr from a git tag (`git+file://` of a clone of this repository's
 * commits, tagged as a release is): npm clones it, installs its dev dependencies from the cache,
 * runs its `prepare` (the build; allowed in the project's `allowScripts`, as the README says) and
 * installs what `npm pack` ships there. `github:<owner>/lvs-dr#<tag>` and `pulumi package add`
 * fetch the same way from GitHub, which this machine cannot reach.
 *
 * `LVSDR_CONSUMER_KEEP=1` keeps the temporary folder (its path is printed).
 */
import { strict as assert } from "assert";
import { spawnSync, type SpawnSyncReturns } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireToolchain } from "../../lab/harness/stack";

const REPO = path.resolve(__dirname, "../../..");
const FIXTURE = path.join(REPO, "test/consumer/project");
const PROJECT_NAME = "lvsdr-consumer";
const STACK = "consumer";
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nconsumer-test (never used: nothing connects)\n-----END OPENSSH PRIVATE KEY-----\n";

interface RepoPackage {
    version: string;
    license: string;
    engines: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    devDependencies: Record<string, string>;
    dependencies?: Record<string, string>;
}

interface PackResult {
    filename: string;
    files: { path: string }[];
}

interface Registered {
    type: string;
    name: string;
    parent?: string;
    component: boolean;
    custom: boolean;
}

interface Mocked {
    registered: Registered[];
    outputs: Record<string, unknown>;
    sdk: { program: string; lvsdr: string };
}

const repoPackage = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as RepoPackage;

/** The environment for npm in another folder: without what `npm run` exports about this one. */
function npmEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const key of Object.keys(env)) {
        if (/^npm_config_(local_)?prefix$/i.test(key) || /^npm_(package|lifecycle)_/i.test(key)) {
            delete env[key];
        }
    }
    return env;
}

function run(command: string, args: string[], cwd: string, env = npmEnv(), input?: string): SpawnSyncReturns<string> {
    const r = spawnSync(command, args, { cwd, env, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) {
        assert.fail(`${command} could not be started (${r.error.message}): it is needed by this test`);
    }
    return r;
}

function must(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv, input?: string): string {
    const r = run(command, args, cwd, env, input);
    assert.equal(r.status, 0, `${command} ${args.join(" ")} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** What the package must hold: each module of src/ compiled (code and typings), each shell library, the documents. */
function expectedFiles(): string[] {
    const files = ["package.json", "README.md", "LICENSE", "CHANGELOG.md"];
    for (const entry of fs.readdirSync(path.join(REPO, "src"), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) {
            continue;
        }
        const rel = path.relative(path.join(REPO, "src"), path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
        if (rel.endsWith(".ts")) {
            files.push(`dist/${rel.replace(/\.ts$/, ".js")}`, `dist/${rel.replace(/\.ts$/, ".d.ts")}`);
        } else if (rel.endsWith(".sh")) {
            files.push(`dist/${rel}`);
        } else {
            assert.fail(`src/${rel}: the test does not know whether the package ships it`);
        }
    }
    return files.sort();
}

/** The packages npm wanted from the network and the cache did not have (ENOTCACHED), by URL. */
function notCached(output: string): string[] {
    return [...new Set([...output.matchAll(/request to (\S+) failed: cache mode is 'only-if-cached'/g)].map((m) => m[1]))];
}

/** Every copy of `name` installed under `dir`'s node_modules (nested ones too). */
function copiesOf(dir: string, name: string): string[] {
    const found: string[] = [];
    const walk = (modules: string): void => {
        if (!fs.existsSync(modules)) {
            return;
        }
        for (const entry of fs.readdirSync(modules)) {
            const names = entry.startsWith("@") ? fs.readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
            for (const n of names) {
                if (n === name) {
                    found.push(path.join(modules, n));
                }
                walk(path.join(modules, n, "node_modules"));
            }
        }
    };
    walk(path.join(dir, "node_modules"));
    return found;
}

/**
 * A consumer project's package.json and its lockfile seed (see the top of this file): the SDKs at
 * the versions tested here, lvs-dr as `spec`, resolved as `resolved` (with `integrity` for a tarball).
 */
function writeProject(project: string, spec: string, resolved: string, integrity?: string, allowScripts?: Record<string, boolean>): void {
    const pin = (name: string): string => repoPackage.devDependencies[name];
    const manifest = {
        name: PROJECT_NAME,
        version: "1.0.0",
        private: true,
        main: "bin/index.js",
        dependencies: { "@pulumi/command": pin("@pulumi/command"), "@pulumi/pulumi": pin("@pulumi/pulumi"), "lvs-dr": spec },
        devDependencies: { "@types/node": pin("@types/node"), typescript: pin("typescript") },
        ...(allowScripts ? { allowScripts } : {}),
    };
    fs.writeFileSync(path.join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // The seed: this repository's lockfile, its root entry the project's, plus lvs-dr.
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { name: string; version: string; packages: Record<string, unknown> };
    lock.name = manifest.name;
    lock.version = manifest.version;
    lock.packages[""] = { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies };
    lock.packages["node_modules/lvs-dr"] = {
        version: repoPackage.version,
        resolved,
        ...(integrity ? { integrity } : {}),
        license: repoPackage.license,
        engines: repoPackage.engines,
        peerDependencies: repoPackage.peerDependencies,
        peerDependenciesMeta: repoPackage.peerDependenciesMeta,
    };
    fs.writeFileSync(path.join(project, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

/** "type::name" of a resource, as the mocks' record and the preview's URNs both give it. */
const key = (type: string, name: string): string => `${type}::${name}`;

describe("consumer project: lvs-dr packed, installed into a new project, compiled, run under mocks and previewed", function () {
    let work: string;
    let project: string;
    let tarball: string | undefined;
    let installed = false;
    let compiled = false;
    let mocked: Mocked | undefined;
    const pulumiJs = path.join(REPO, "build/lab/pulumi.js");
    /** lab/pulumi.ts with the CLI's --cwd: the consumer project's program, hosted with its own SDK. */
    const pulumi = (args: string[], input?: string) =>
        run("node", [pulumiJs, ...args, "--stack", STACK, "--cwd", project, "--non-interactive"], REPO, process.env, input);

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-consumer-"));
        project = path.join(work, "project");
        fs.mkdirSync(project);
        must("npm", ["--version"], work);
    });

    after(() => {
        if (fs.existsSync(path.join(project, "node_modules")) && fs.existsSync(pulumiJs)) {
            pulumi(["stack", "rm", "--yes", "--force"]);
        }
        if (process.env.LVSDR_CONSUMER_KEEP === "1") {
            console.log(`consumer project kept in ${work}`);
        } else {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("npm pack builds dist/ from scratch (the prepare script) and ships exactly what runs: dist (modules, typings, shell libraries), README, LICENSE, CHANGELOG", () => {
        // --ignore-scripts=false: prepare must run even where scripts are turned off by default.
        const out = must("npm", ["pack", "--json", "--ignore-scripts=false", "--pack-destination", work], REPO);
        const [pack] = JSON.parse(out.slice(out.indexOf("["))) as PackResult[];
        const shipped = pack.files.map((f) => f.path).sort();
        const expected = expectedFiles();
        assert.deepEqual({ missing: expected.filter((f) => !shipped.includes(f)), extra: shipped.filter((f) => !expected.includes(f)) },
            { missing: [], extra: [] }, "the tarball's files are not exactly the built package");
        tarball = path.join(work, pack.filename);
        assert.ok(fs.existsSync(tarball), `npm pack wrote no ${tarball}`);
        // The manifest asks for the SDKs as peers (one copy: the user's), @pulumi/aws optional.
        assert.equal(repoPackage.dependencies, undefined, "package.json has dependencies: a user would get a second copy of them");
        for (const name of ["@pulumi/pulumi", "@pulumi/command", "@pulumi/aws"]) {
            assert.ok(repoPackage.peerDependencies[name], `${name} is not a peer dependency`);
            assert.match(repoPackage.devDependencies[name], /^\d+\.\d+\.\d+$/, `${name} is not pinned in devDependencies (the version tested here)`);
        }
        assert.equal(repoPackage.peerDependenciesMeta["@pulumi/aws"]?.optional, true, "@pulumi/aws is not an optional peer");
        assert.deepEqual(Object.keys(repoPackage.peerDependenciesMeta), ["@pulumi/aws"], "only @pulumi/aws is optional");
    });

    it("the tarball installs into a new project offline from the npm cache, without @pulumi/aws, with one copy of each SDK", () => {
        assert.ok(tarball, "no tarball: npm pack failed above");
        for (const file of ["index.ts", "mocked.ts", "tsconfig.json", "Pulumi.yaml"]) {
            fs.copyFileSync(path.join(FIXTURE, file), path.join(project, file));
        }
        writeProject(project, `file:${tarball}`, `file:${tarball}`, `sha512-${crypto.createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`);

        const r = run("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], project);
        const missing = notCached(`${r.stdout}\n${r.stderr}`);
        assert.deepEqual(missing, [], `the npm cache lacks what the consumer project needs (run npm ci in the repository first, which caches it):\n${missing.join("\n")}`);
        assert.equal(r.status, 0, `npm install in the consumer project failed:\n${r.stdout}\n${r.stderr}`);
        // npm checks every edge, peers included: the exit status says the tree is valid.
        must("npm", ["ls", "--all", "--offline"], project);
        assert.deepEqual(copiesOf(project, "@pulumi/aws"), [], "@pulumi/aws was installed: the project did not ask for it");
        assert.deepEqual(copiesOf(project, "@pulumi/pulumi"), [path.join(project, "node_modules/@pulumi/pulumi")], "not exactly one @pulumi/pulumi");
        assert.deepEqual(copiesOf(project, "@pulumi/command"), [path.join(project, "node_modules/@pulumi/command")], "not exactly one @pulumi/command");
        assert.ok(fs.existsSync(path.join(project, "node_modules/lvs-dr/dist/index.js")), "lvs-dr is installed without dist/index.js");
        installed = true;
    });

    it("the project's TypeScript program compiles against the installed package (strict, the package's typings checked: no skipLibCheck)", () => {
        assert.ok(installed, "not installed: the install failed above");
        must("node", [path.join(project, "node_modules/typescript/bin/tsc"), "-p", project], project);
        compiled = true;
    });

    it("under Pulumi's mocks the compiled program builds the cluster: the component and its host commands are registered, with the project's one SDK", () => {
        assert.ok(compiled, "not compiled: the compilation failed above");
        const config = JSON.stringify({ [`${PROJECT_NAME}:sshPrivateKey`]: SSH_KEY });
        const resultFile = path.join(work, "mocked.json");
        fs.rmSync(resultFile, { force: true });
        const out = must("node", ["bin/mocked.js", resultFile], project, { ...process.env, PULUMI_CONFIG: config, PULUMI_CONFIG_SECRET_KEYS: JSON.stringify([`${PROJECT_NAME}:sshPrivateKey`]) });
        const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as Mocked;
        // What the user sees on every run: the component's one-line summary.
        assert.match(out, /lvs-dr web: hosts \(.*\), one director, VIP 10\.20\.0\.100, 2 real servers, DR, tcp\/80 /,
            `the component's summary is not in the program's output:\n${out}`);
        assert.equal(result.sdk.lvsdr, result.sdk.program, "lvs-dr and the program load different copies of @pulumi/pulumi");
        const cluster = result.registered.find((r) => r.type === "lvs-dr:index:LvsDrCluster");
        assert.ok(cluster, `no LvsDrCluster registered: ${JSON.stringify(result.registered)}`);
        assert.equal(cluster.name, "web");
        assert.ok(cluster.component, "the LvsDrCluster is not a ComponentResource of the project's SDK");
        assert.equal(cluster.parent, undefined, "the component is not a top-level resource (its parent: the stack)");
        const children = result.registered.filter((r) => r.parent === key(cluster.type, cluster.name));
        const names = children.map((c) => c.name);
        for (const name of ["web-director-setup", "web-director-rules", "web-rs-a-setup", "web-rs-b-setup"]) {
            assert.ok(names.includes(name), `no child ${name} of the component; its children: ${names.join(", ")}`);
        }
        for (const child of children) {
            assert.equal(child.type, "command:remote:Command", `unexpected child ${child.type} ${child.name}`);
            assert.ok(child.custom, `${child.name} is not a CustomResource of the project's SDK`);
        }
        // Everything but the stack lives under the component.
        const under = new Set([key(cluster.type, cluster.name)]);
        for (const r of result.registered) {
            if (r.type !== "pulumi:pulumi:Stack" && r !== cluster) {
                assert.ok(r.parent && under.has(r.parent), `${r.type} ${r.name} is not under the component (parent ${r.parent})`);
                under.add(key(r.type, r.name));
            }
        }
        assert.equal(result.outputs.vip, "10.20.0.100");
        assert.equal(typeof result.outputs.ipvsTable, "string");
        mocked = result;
    });

    it("the real engine previews the project (the toolchain's CLI, the program hosted in-process) with no network but loopback: every resource planned for creation, none reached", function () {
        assert.ok(mocked, "no mocked run to compare with: it failed above");
        requireToolchain();
        const probe = run("unshare", ["--net", "ip", "link", "set", "lo", "up"], work, process.env);
        assert.equal(probe.status, 0, `the preview runs in a network namespace of its own, which needs root, unshare (util-linux) and ip (iproute2): ${probe.stderr}`);
        if (pulumi(["stack", "select"]).status === 0) {
            pulumi(["stack", "rm", "--yes", "--force"]);
        }
        let r = pulumi(["stack", "init"]);
        assert.equal(r.status, 0, `pulumi stack init failed:\n${r.stdout}\n${r.stderr}`);
        r = pulumi(["config", "set", "--secret", "sshPrivateKey"], SSH_KEY);
        assert.equal(r.status, 0, `pulumi config set failed:\n${r.stdout}\n${r.stderr}`);
        // A network namespace of its own, only loopback up (the CLI and the hosted program talk
        // over it): a step that dialled a host would fail the preview.
        r = run("unshare", ["--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
            "node", pulumiJs, "preview", "--json", "--stack", STACK, "--cwd", project, "--non-interactive"], REPO, process.env);
        assert.equal(r.status, 0, `pulumi preview failed:\n${r.stdout}\n${r.stderr}`);
        const steps = (JSON.parse(r.stdout) as { steps: { op: string; urn: string }[] }).steps;
        const planned = steps.map((s) => ({ op: s.op, type: s.urn.split("::")[2].split("$").pop()!, name: s.urn.split("::").pop()! }))
            .filter((s) => !s.type.startsWith("pulumi:providers:"));
        assert.deepEqual(planned.filter((s) => s.op !== "create"), [], "a fresh stack's preview plans something other than creations");
        assert.deepEqual(planned.map((s) => key(s.type, s.name)).sort(),
            mocked.registered.filter((m) => m.type !== "pulumi:pulumi:Stack").map((m) => key(m.type, m.name)).concat(key("pulumi:pulumi:Stack", `${PROJECT_NAME}-${STACK}`)).sort(),
            "the engine plans other resources than the program registered under mocks");
        assert.ok(!steps.some((s) => s.urn.includes("aws")), "the preview plans an AWS resource or provider");
    });
});

describe("consumer project: lvs-dr installed from a git tag, as `npm install github:<owner>/lvs-dr#<tag>` does", function () {
    let work: string;

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "lvsdr-consumer-git-"));
    });

    after(() => {
        if (process.env.LVSDR_CONSUMER_KEEP === "1") {
            console.log(`git consumer project kept in ${work}`);
        } else {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("npm clones the tag, builds dist/ there (prepare, the package's dev dependencies from the cache), installs what npm pack ships; the program compiles", () => {
        // The repository a user installs from: a clone of this one's commits (not its working tree), tagged.
        const repo = path.join(work, "lvs-dr");
        must("git", ["clone", "-q", "--no-hardlinks", REPO, repo], work);
        const tag = `v${repoPackage.version}`;
        must("git", ["-C", repo, "tag", "-f", tag], work);
        const commit = must("git", ["-C", repo, "rev-parse", "HEAD"], work).trim();
        assert.ok(!fs.existsSync(path.join(repo, "dist")), "the clone has a dist/ (it is git-ignored: a git install must build it)");
        const project = path.join(work, "project");
        fs.mkdirSync(project);
        for (const file of ["index.ts", "mocked.ts", "tsconfig.json"]) {
            fs.copyFileSync(path.join(FIXTURE, file), path.join(project, file));
        }
        const spec = `git+file://${repo}#${tag}`;
        // npm runs a dependency's install scripts only where allowed: lvs-dr's (its prepare is the
        // build), as `npm install-scripts approve lvs-dr` records it (the README); @pulumi/command's stay blocked.
        writeProject(project, spec, `git+file://${repo}#${commit}`, undefined, { "lvs-dr": true });
        const r = run("npm", ["install", "--offline", "--no-audit", "--no-fund"], project);
        const missing = notCached(`${r.stdout}\n${r.stderr}`);
        assert.deepEqual(missing, [], `the npm cache lacks what the git install needs (run npm ci in the repository first):\n${missing.join("\n")}`);
        assert.equal(r.status, 0, `npm install from ${spec} failed:\n${r.stdout}\n${r.stderr}`);
        const installed = path.join(project, "node_modules/lvs-dr");
        const files = fs.readdirSync(installed, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile()).map((e) => path.relative(installed, path.join(e.parentPath, e.name)).split(path.sep).join("/")).sort();
        const expected = expectedFiles();
        assert.deepEqual({ missing: expected.filter((f) => !files.includes(f)), extra: files.filter((f) => !expected.includes(f)) },
            { missing: [], extra: [] }, "the git install is not exactly the built package");
        must("npm", ["ls", "--all", "--offline"], project);
        assert.deepEqual(copiesOf(project, "@pulumi/aws"), [], "@pulumi/aws was installed: the project did not ask for it");
        assert.deepEqual(copiesOf(project, "@pulumi/pulumi"), [path.join(project, "node_modules/@pulumi/pulumi")], "not exactly one @pulumi/pulumi");
        must("node", [path.join(project, "node_modules/typescript/bin/tsc"), "-p", project], project);
    });
});
