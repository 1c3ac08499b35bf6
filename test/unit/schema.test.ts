/**
 * PulumiPlugin.yaml makes this repository a source-based component package. `pulumi package
 * get-schema .` asks the nodejs language host to run the package as a plugin, which finds the
 * exported components and answers GetSchema with @pulumi/pulumi's ComponentProvider, whose Analyzer
 * reads the TypeScript sources. That last part is called here directly, as the plugin would: the
 * language host itself cannot be built on the development machines (see DEVELOPMENT.md, "Pulumi without a
 * download").
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import * as lvsdr from "../../src";

const REPO = path.resolve(__dirname, "../../..");

interface Property {
    description?: string;
    type?: string;
    $ref?: string;
    items?: { $ref?: string; type?: string };
}

describe("component package schema (what pulumi package get-schema . returns)", function () {
    this.timeout(120000);
    let schema: {
        name: string;
        resources: Record<string, { isComponent: boolean; inputProperties: Record<string, Property>; requiredInputs: string[]; properties: Record<string, Property> }>;
        types: Record<string, { properties: Record<string, Property>; type?: string; enum?: { name: string; value: string }[] }>;
    };

    before(async () => {
        const components = getPulumiComponents(lvsdr);
        assert.deepEqual(components.map((c) => c.name), ["LvsDrCluster"]);
        schema = JSON.parse(await new ComponentProvider({ name: "lvs-dr", dirname: REPO, components }).getSchema()) as typeof schema;
    });

    it("PulumiPlugin.yaml declares a nodejs plugin at the package root", () => {
        assert.match(fs.readFileSync(path.join(REPO, "PulumiPlugin.yaml"), "utf8"), /^runtime:\s*nodejs\s*$/m);
    });

    it("lists lvs-dr:index:LvsDrCluster with every input documented and the required ones", () => {
        const r = schema.resources["lvs-dr:index:LvsDrCluster"];
        assert.ok(r?.isComponent, `resources: ${Object.keys(schema.resources).join(", ")}`);
        assert.deepEqual(Object.keys(r.inputProperties).sort(), ["aws", "bgp", "drainSeconds", "forwarding", "hosts", "libvirt", "services", "ssh", "vip", "vip6", "vrrp"]);
        assert.deepEqual([...r.requiredInputs].sort(), ["services", "ssh", "vip"]);
        for (const [name, p] of Object.entries(r.inputProperties)) {
            assert.ok((p.description ?? "").length > 20, `input ${name} has no description`);
        }
        assert.match(r.inputProperties.vip.description!, /virtual IP/);
        assert.equal(r.inputProperties.services.items?.$ref, "#/types/lvs-dr:index:LvsDrServiceArgs");
        for (const out of ["vip", "directorAddress", "realServerAddresses", "ipvsTable"]) {
            assert.ok(r.properties[out], `output ${out} missing`);
        }
    });

    it("examples/yaml uses only properties the schema has, with the right shapes", () => {
        const program = yaml.load(fs.readFileSync(path.join(REPO, "examples/yaml/Pulumi.yaml"), "utf8")) as {
            packages: Record<string, string>; resources: Record<string, { type: string; properties: Record<string, unknown> }>;
        };
        assert.equal(path.resolve(REPO, "examples/yaml", program.packages["lvs-dr"]), REPO);
        const cluster = program.resources.cluster;
        assert.equal(cluster.type, "lvs-dr:index:LvsDrCluster");
        const check = (where: string, value: unknown, props: Record<string, Property>): void => {
            for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
                const p = props[k];
                assert.ok(p, `${where}.${k} is not in the schema`);
                const ref = p.$ref ?? p.items?.$ref;
                if (ref) {
                    const type = schema.types[ref.replace("#/types/", "")];
                    assert.ok(type, `${where}.${k}: ${ref} is not a type of the schema`);
                    for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
                        const at = `${where}.${k}${Array.isArray(v) ? `[${i}]` : ""}`;
                        if (type.enum) {
                            assert.ok(type.enum.some((e) => e.value === item), `${at} = ${String(item)} is not one of ${ref}`);
                        } else {
                            check(at, item, type.properties);
                        }
                    }
                } else if (p.type === "number") {
                    assert.equal(typeof v, "number", `${where}.${k} should be a number`);
                }
            }
        };
        check("cluster", cluster.properties, schema.resources["lvs-dr:index:LvsDrCluster"].inputProperties);
    });

    it("carries the fixed value sets as enums (scheduler, protocol, forwarding, domain type)", () => {
        const values = (name: string) => schema.types[`lvs-dr:index:${name}`]?.enum?.map((e) => e.value);
        assert.deepEqual(values("Scheduler"), ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"]);
        assert.deepEqual(values("Protocol"), ["tcp", "udp"]);
        assert.deepEqual(values("Forwarding"), ["dr", "tun"]);
        assert.deepEqual(values("DomainType"), ["kvm", "qemu"]);
        const service = schema.types["lvs-dr:index:LvsDrServiceArgs"];
        assert.equal(service.properties.scheduler.$ref, "#/types/lvs-dr:index:Scheduler");
        assert.equal(schema.resources["lvs-dr:index:LvsDrCluster"].inputProperties.forwarding.$ref, "#/types/lvs-dr:index:Forwarding");
    });

    it("documents the nested argument types", () => {
        const service = schema.types["lvs-dr:index:LvsDrServiceArgs"];
        assert.deepEqual(Object.keys(service.properties).sort(), ["fwmark", "healthCheck", "persistenceSeconds", "port", "ports", "protocol", "scheduler", "sorryServer"]);
        assert.match(service.properties.ports.description!, /2-16 distinct ports/);
        assert.match(service.properties.fwmark.description!, /fwmark \+ 1/);
        const check = schema.types["lvs-dr:index:LvsDrHealthCheckArgs"];
        assert.equal(check.properties.kind.$ref, "#/types/lvs-dr:index:HealthCheckKind");
        assert.equal(check.properties.failureAction.$ref, "#/types/lvs-dr:index:FailureAction");
        for (const key of Object.keys(check.properties)) {
            assert.match(check.properties[key].description ?? "", /Default/, `healthCheck.${key} does not state its default`);
        }
        assert.match(service.properties.port.description!, /1-65535/);
        assert.match(service.properties.scheduler.description!, /wlc/);
        const ssh = schema.types["lvs-dr:index:LvsDrSshArgs"];
        assert.ok(ssh.properties.privateKey.description, "ssh.privateKey is undocumented");
        for (const t of ["LvsDrExistingHostsArgs", "LvsDrHostArgs", "LvsDrLibvirtArgs", "LvsDrAwsArgs", "LvsDrVmArgs", "LvsDrVrrpArgs"]) {
            assert.ok(schema.types[`lvs-dr:index:${t}`], `type ${t} missing`);
        }
    });
});
