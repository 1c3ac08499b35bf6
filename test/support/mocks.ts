/**
 * One set of Pulumi mocks for every unit test file (setMocks is global: a second call would
 * replace the first). Records every registered resource with its inputs, and, through a
 * transformation on the component, every child's options (parent, dependencies, timeouts).
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    custom: boolean;
    inputs: Record<string, unknown>;
    /** The provider reference the engine would get (`urn::id`), when the resource names one. */
    provider?: string;
}

export interface Wired {
    name: string;
    parent?: string;
    dependsOn: string[];
    replaceOnChanges?: string[];
    deleteBeforeReplace?: boolean;
    ignoreChanges?: string[];
    customTimeouts?: pulumi.CustomTimeouts;
    retainOnDelete?: boolean;
}

export const IPVS_TABLE = "IP Virtual Server version 1.2.1 (mock)";
const registered: Registered[] = [];
export const invokes: { token: string; inputs: Record<string, unknown> }[] = [];

// setMocks installs the mocks at once; the promise it returns only reports that.
/** 1-250, stable per instance name, as a real instance's address and interface are. */
function instanceHash(name: string): number {
    return [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 250, 7) + 1;
}

/** The primary network interface the mocks give the EC2 instance `name`. */
export function eniOf(name: string): string {
    return `eni-0${instanceHash(name).toString(16).padStart(16, "0")}`;
}

/** The host key the mocks give the machine (or HostKey resource) `name`. */
export function mockHostKey(name: string): string {
    return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${Buffer.from(name).toString("base64")}`;
}

void pulumi.runtime.setMocks({
    newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs, ...(args.provider ? { provider: args.provider } : {}) });
        const extra: Record<string, unknown> = {};
        if (args.type === "command:remote:Command") {
            extra.stdout = IPVS_TABLE;
            extra.stderr = "";
        } else if (args.type === "aws:ec2/instance:Instance") {
            extra.publicIp = `198.51.100.${instanceHash(args.name)}`;
            extra.primaryNetworkInterfaceId = eniOf(args.name);
        } else if (args.type === "pulumi-nodejs:dynamic/lvs-dr:LibvirtVm") {
            extra.instanceId = `${args.name}-instance`;
            // A VM made before lvs-dr pinned host keys has none: name it "…-legacy-…" to get one.
            extra.hostKey = args.name.includes("-legacy-") ? undefined : mockHostKey(args.name);
        } else if (args.type === "pulumi-nodejs:dynamic/lvs-dr:HostKey") {
            extra.publicKey = mockHostKey(args.name);
            extra.privateKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${args.name}\n-----END OPENSSH PRIVATE KEY-----\n`;
        } else if (args.type === "aws:ec2/keyPair:KeyPair") {
            extra.keyName = `${args.name}-kp`;
        } else if (args.type === "aws:iam/instanceProfile:InstanceProfile") {
            // Auto-named, as AWS names it: the name plus a suffix.
            extra.name = `${args.name}-1a2b3c`;
        }
        return { id: `${args.name}-id`, state: { ...inputs, ...extra } };
    },
    call: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        invokes.push({ token: args.token, inputs });
        switch (args.token) {
            case "aws:ec2/getAmi:getAmi":
                return { id: "ami-0debian12mock", imageId: "ami-0debian12mock" };
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: ["eu-west-1a", "eu-west-1b"], zoneIds: ["euw1-az1", "euw1-az2"] };
            case "aws:index/getPartition:getPartition":
                return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
            case "aws:index/getRegion:getRegion":
                return { id: "eu-west-1", name: "eu-west-1", region: "eu-west-1" };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { id: "123456789012", accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "AIDTEST" };
            case "aws:ec2/getSubnet:getSubnet":
                return { id: inputs.id, vpcId: "vpc-0existing", cidrBlock: "10.0.1.0/24" };
            case "aws:ec2/getVpc:getVpc":
                return {
                    id: inputs.id, cidrBlock: "10.0.0.0/16", cidrBlockAssociations: [
                        { associationId: "vpc-cidr-assoc-1", cidrBlock: "10.0.0.0/16", state: "associated" },
                        { associationId: "vpc-cidr-assoc-2", cidrBlock: "100.64.0.0/16", state: "associated" },
                        { associationId: "vpc-cidr-assoc-3", cidrBlock: "10.99.0.0/16", state: "disassociated" },
                    ],
                };
            default:
                return inputs;
        }
    },
}, "lvs-dr-test", "unit", false);

// The code under test is loaded only after the mocks are in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const lvsdr = require("../../src") as typeof import("../../src");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { forgetClusters } = require("../../src/component/cluster") as typeof import("../../src/component/cluster");

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((ok) => output.apply((v) => { ok(v); return v; }));
}

const nameOf = (r: unknown) => (r as { __name?: string }).__name;

export interface Deployment {
    cluster: InstanceType<typeof lvsdr.LvsDrCluster>;
    wired: Map<string, Wired>;
    resources: Registered[];
}

/** Builds a cluster and waits for its registrations. */
export async function deploy(args: import("../../src").LvsDrClusterArgs, name = "web", opts: pulumi.ComponentResourceOptions = {}): Promise<Deployment> {
    registered.length = 0;
    invokes.length = 0;
    // Each deploy is a program of its own: clusters of earlier tests share no director with it.
    forgetClusters();
    const wired = new Map<string, Wired>();
    const record: pulumi.ResourceTransformation = ({ name: childName, opts }) => {
        const o = opts as pulumi.CustomResourceOptions;
        wired.set(childName, {
            name: childName,
            parent: opts.parent ? nameOf(opts.parent) : undefined,
            dependsOn: ([] as unknown[]).concat(opts.dependsOn ?? []).map((r) => nameOf(r)!),
            replaceOnChanges: o.replaceOnChanges,
            deleteBeforeReplace: o.deleteBeforeReplace,
            ignoreChanges: o.ignoreChanges,
            customTimeouts: o.customTimeouts,
            retainOnDelete: o.retainOnDelete,
        });
        return undefined;
    };
    const cluster = new lvsdr.LvsDrCluster(name, args, { ...opts, transformations: [...(opts.transformations ?? []), record] });
    await resolve(pulumi.all([cluster.ipvsTable, cluster.realServerAddresses, cluster.awsInstanceIds, cluster.libvirtDomainNames]));
    await new Promise((ok) => setTimeout(ok, 100));
    return { cluster, wired, resources: [...registered] };
}

/** Forgets what earlier tests registered (for "nothing was registered" checks). */
export function clearRegistered(): Registered[] {
    registered.length = 0;
    return registered;
}

export function ofType(resources: Registered[], type: string): Registered[] {
    return resources.filter((r) => r.type === type);
}

export function byName(resources: Registered[], name: string): Registered {
    const r = resources.find((x) => x.name === name);
    if (!r) {
        throw new Error(`no resource named ${name}; have ${resources.map((x) => x.name).join(", ")}`);
    }
    return r;
}

/** The marker the SDK puts on a secret value it serializes (sdk/nodejs/runtime/rpc specialSecretSig). */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret envelopes, for asserting on plain values. */
export function reveal(v: unknown): unknown {
    if (isSecret(v)) {
        return reveal(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(reveal);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}
