/**
 * The VM platforms under Pulumi mocks: what each creates, in which order, with which properties,
 * and how little changes when a cluster is scaled or re-weighted.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { LvsDrClusterArgs } from "../../src/args";
import { changedMachines, type MachineGuardInputs } from "../../src/platforms/vm/machine-guard";
import { validAwsArgs, validLibvirtArgs } from "../support/fixtures";
import { byName, deploy, type Deployment, invokes, ofType, type Registered, resolve, reveal } from "../support/mocks";

const names = (resources: Registered[]) => resources.map((r) => r.name).sort();

/** Resources whose inputs differ between two deployments (by name), and those only in one. */
function changes(before: Registered[], after: Registered[]): { changed: string[]; added: string[]; removed: string[] } {
    // The component itself does no work; its recorded inputs are the args, which did change.
    const work = (rs: Registered[]) => rs.filter((r) => r.type !== "lvs-dr:index:LvsDrCluster");
    // The machine guard's inputs list every machine, but its own diff sees a change only where a
    // machine's settings changed (src/platforms/vm/machine-guard.ts): that is what the engine shows.
    const inputs = (r: Registered, other?: Registered) => r.type === "pulumi-nodejs:dynamic/lvs-dr:MachineGuard" && other
        && changedMachines(other.inputs, r.inputs as unknown as MachineGuardInputs).length === 0
        ? JSON.stringify(reveal(other.inputs)) : JSON.stringify(reveal(r.inputs));
    const byName = new Map(work(before).map((r) => [r.name, r]));
    const old = new Map(work(before).map((r) => [r.name, JSON.stringify(reveal(r.inputs))]));
    const now = new Map(work(after).map((r) => [r.name, inputs(r, byName.get(r.name))]));
    return {
        changed: [...now].filter(([n, v]) => old.has(n) && old.get(n) !== v).map(([n]) => n).sort(),
        added: [...now.keys()].filter((n) => !old.has(n)).sort(),
        removed: [...old.keys()].filter((n) => !now.has(n)).sort(),
    };
}

describe("libvirt platform (mocked engine)", () => {
    let d: Deployment;
    before(async () => {
        d = await deploy(validLibvirtArgs(), "lab");
    });

    it("creates one isolated network, one VM per host, waits for SSH on each, then configures them", () => {
        assert.deepEqual(names(ofType(d.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtNetwork")), ["lab-network"]);
        assert.deepEqual(names(ofType(d.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtVm")), ["lab-director-vm", "lab-rs-0-vm", "lab-rs-1-vm"]);
        assert.deepEqual(names(d.resources), [
            "lab", "lab-director-access", "lab-director-rules", "lab-director-setup", "lab-director-ssh", "lab-director-ssh-banner", "lab-director-vm", "lab-machines", "lab-network",
            "lab-rs-0-access", "lab-rs-0-drain-director", "lab-rs-0-setup", "lab-rs-0-ssh", "lab-rs-0-ssh-banner", "lab-rs-0-vm",
            "lab-rs-1-access", "lab-rs-1-drain-director", "lab-rs-1-setup", "lab-rs-1-ssh", "lab-rs-1-ssh-banner", "lab-rs-1-vm",
        ]);
        for (const r of d.resources.filter((x) => x.name !== "lab")) {
            assert.equal(d.wired.get(r.name)?.parent, "lab", `${r.name} is not parented on the component`);
        }
    });

    it("orders network and machine guard -> VM -> wait for SSH -> the user's keys -> setup -> rules", () => {
        const deps = (n: string) => d.wired.get(n)!.dependsOn.sort();
        for (const vm of ["lab-director-vm", "lab-rs-0-vm", "lab-rs-1-vm"]) {
            assert.deepEqual(deps(vm), ["lab-machines", "lab-network"]);
        }
        for (const role of ["director", "rs-0", "rs-1"]) {
            assert.deepEqual(deps(`lab-${role}-ssh-banner`), [`lab-${role}-vm`]);
            assert.deepEqual(deps(`lab-${role}-ssh`), [`lab-${role}-ssh-banner`, `lab-${role}-vm`]);
            assert.deepEqual(deps(`lab-${role}-access`), [`lab-${role}-ssh`]);
            assert.deepEqual(deps(`lab-${role}-setup`), [`lab-${role}-access`, `lab-${role}-ssh`]);
        }
        assert.deepEqual(deps("lab-director-rules"), ["lab-director-setup", "lab-rs-0-setup", "lab-rs-1-setup"]);
    });

    it("a replaced VM (deleted first: fixed name, MAC, address) re-runs every command on it; its drain hooks are replaced", () => {
        // Each command's create text names the VM's ID: a new VM makes it run again (in place). The
        // drain hooks have the ID in their triggers: the engine replaces a VM's dependents whose
        // replacing inputs come from it before it deletes the VM, so they hold and drain first.
        // The VM's instanceId: its name (the ID) stays the same across a replacement.
        const stamp = (role: string) => `# Runs on machine lab-${role}-vm-instance: a new machine runs it again.`;
        for (const role of ["director", "rs-0", "rs-1"]) {
            assert.equal(d.wired.get(`lab-${role}-vm`)!.deleteBeforeReplace, true);
            assert.ok(String(byName(d.resources, `lab-${role}-ssh`).inputs.stdin).includes(stamp(role)), role);
            assert.ok(String(byName(d.resources, `lab-${role}-setup`).inputs.stdin).includes(stamp(role)), role);
            assert.ok(String(byName(d.resources, `lab-${role}-access`).inputs.stdin).includes(stamp(role)), role);
            assert.ok(!JSON.stringify(byName(d.resources, `lab-${role}-setup`).inputs.triggers).includes("vm-instance"),
                "a setup is not replaced (torn down) for a new machine");
        }
        assert.ok(String(byName(d.resources, "lab-director-rules").inputs.stdin).includes(stamp("director")));
        assert.ok(!String(byName(d.resources, "lab-director-rules").inputs.stdin).includes(stamp("rs-1")));
        assert.deepEqual(byName(d.resources, "lab-rs-1-drain-director").inputs.triggers, ["192.168.77.100", "dr", "eth0", "192.168.77.12", "lab-rs-1-vm-instance"]);
        assert.ok(!String(byName(d.resources, "lab-rs-1-drain-director").inputs.stdin).includes("vm-instance"), "a replaced director must not re-run the hooks");
    });

    it("waits for SSH to answer (test/unit/ssh-banner.test.ts), then logs in with a few dials of grace, bounded by a create timeout", () => {
        for (const role of ["director", "rs-0", "rs-1"]) {
            const conn = reveal(byName(d.resources, `lab-${role}-ssh`).inputs.connection) as Record<string, unknown>;
            assert.equal(conn.dialErrorLimit, 13);
            assert.equal(conn.perDialTimeout, 10);
            assert.deepEqual(d.wired.get(`lab-${role}-ssh`)!.customTimeouts, { create: "20m" });
            assert.match(String(byName(d.resources, `lab-${role}-ssh`).inputs.stdin), /cloud-init status --wait/);
        }
    });

    it("gives each VM its planned address, MAC, seed and disk, and SSHes to that address", () => {
        const vm = byName(d.resources, "lab-rs-1-vm").inputs;
        assert.equal(vm.name, "lab-rs-1");
        assert.equal(vm.uri, "qemu:///system");
        assert.equal(vm.pool, "default");
        assert.equal(vm.diskBytes, 8 * 1024 ** 3);
        assert.equal(vm.diskVolume, "lab-rs-1-disk.qcow2");
        assert.match(String(vm.networkConfig), /"192\.168\.77\.12\/24"/);
        assert.match(String(vm.networkConfig), /via: "192\.168\.77\.1"/);
        assert.match(String(vm.domainXml), /<domain type='qemu'>/);
        assert.match(String(vm.userData), /ssh-ed25519 AAAA/);
        const conn = reveal(byName(d.resources, "lab-rs-1-setup").inputs.connection) as Record<string, unknown>;
        assert.equal(conn.host, "192.168.77.12");
        const net = byName(d.resources, "lab-network").inputs;
        assert.equal(net.name, "lab-net");
        assert.doesNotMatch(String(net.xml), /forward/);
    });

    it("exposes the network and domain names", async () => {
        assert.equal(await resolve(d.cluster.libvirtNetworkName), "lab-net");
        assert.deepEqual(await resolve(d.cluster.libvirtDomainNames), ["lab-director", "lab-rs-0", "lab-rs-1"]);
        assert.deepEqual(await resolve(d.cluster.realServerAddresses), ["192.168.77.11", "192.168.77.12"]);
        assert.equal(await resolve(d.cluster.awsVpcId), undefined);
    });

    it("attaching to an existing network creates no network", async () => {
        const args = validLibvirtArgs();
        args.libvirt!.network = "default";
        const e = await deploy(args, "lab");
        assert.deepEqual(names(ofType(e.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtNetwork")), []);
        assert.equal(ofType(e.resources, "pulumi-nodejs:dynamic/lvs-dr:LibvirtVm").length, 3);
        assert.match(String(byName(e.resources, "lab-director-vm").inputs.domainXml), /<source network='default'\/>/);
        assert.deepEqual(e.wired.get("lab-director-vm")!.dependsOn, ["lab-machines"]);
    });
});

describe("AWS platform (mocked engine)", () => {
    let d: Deployment;
    before(async () => {
        d = await deploy(validAwsArgs(), "web");
    });
    const instances = () => ofType(d.resources, "aws:ec2/instance:Instance");

    it("creates a VPC with one subnet in one zone, an internet gateway and its route", () => {
        assert.equal(ofType(d.resources, "aws:ec2/vpc:Vpc").length, 1);
        const subnets = ofType(d.resources, "aws:ec2/subnet:Subnet");
        assert.equal(subnets.length, 1);
        assert.equal(subnets[0].inputs.cidrBlock, "10.77.1.0/24");
        assert.equal(subnets[0].inputs.availabilityZone, "eu-west-1a");
        assert.equal(byName(d.resources, "web-vpc").inputs.cidrBlock, "10.77.0.0/16");
        assert.deepEqual(byName(d.resources, "web-rt").inputs.routes, [{ cidrBlock: "0.0.0.0/0", gatewayId: "web-igw-id" }]);
        assert.equal(byName(d.resources, "web-rta").inputs.subnetId, "web-subnet-id");
    });

    it("puts every instance in that subnet, source/dest check off, IMDSv2 required, root volume encrypted", () => {
        assert.deepEqual(names(instances()), ["web-director", "web-rs-a", "web-rs-b"]);
        for (const i of instances()) {
            assert.equal(i.inputs.subnetId, "web-subnet-id", i.name);
            assert.equal(i.inputs.sourceDestCheck, false, i.name);
            assert.deepEqual(i.inputs.metadataOptions, { httpTokens: "required", httpEndpoint: "enabled" }, i.name);
            assert.equal((i.inputs.rootBlockDevice as Record<string, unknown>).encrypted, true, i.name);
            assert.deepEqual(i.inputs.vpcSecurityGroupIds, [i.name === "web-director" ? "web-sg-id" : "web-rs-sg-id"], i.name);
            assert.equal(i.inputs.keyName, "web-key-kp", i.name);
            assert.equal(i.inputs.ami, "ami-0debian12mock", i.name);
            assert.deepEqual(d.wired.get(i.name)!.ignoreChanges, ["ami", "userData", `tags["lvs-dr:host-key"]`, "keyName"],
                "a looked-up AMI must not replace instances; first-boot data (the key pair too) is never changed in place (stop/start) nor replaces one");
            assert.equal(d.wired.get(i.name)!.deleteBeforeReplace, true, "its planned private IP must be free for the replacement");
            assert.ok(String(byName(d.resources, `${i.name}-ssh`).inputs.stdin).includes(`# Runs on machine ${i.name}-id:`));
        }
        const ami = invokes.find((x) => x.token === "aws:ec2/getAmi:getAmi")!;
        assert.deepEqual(ami.inputs.owners, ["136693071363"]);
    });

    it("makes the VIP a secondary private IP of the director only, and pins planned private IPs", () => {
        assert.deepEqual(byName(d.resources, "web-director").inputs.secondaryPrivateIps, ["10.77.1.100"]);
        assert.equal(byName(d.resources, "web-director").inputs.privateIp, "10.77.1.10");
        assert.equal(byName(d.resources, "web-rs-a").inputs.secondaryPrivateIps, undefined);
        assert.equal(byName(d.resources, "web-rs-b").inputs.privateIp, "10.77.1.12");
    });

    const rule = (r: Record<string, unknown>) =>
        `${String(r.protocol)} ${String(r.fromPort)}-${String(r.toPort)} from ${(r.cidrBlocks as string[]).join(",")}`;
    const ingress = (e: Deployment, group: string) => (byName(e.resources, group).inputs.ingress as Record<string, unknown>[]).map(rule);

    it("opens exactly: the services from the VPC by default (not the world), SSH from adminCidrs, checks from the director to the real servers, ICMP within the subnet", () => {
        // A security group cannot tell the VIP from the instance's own (public) address: what it
        // lets in on the services' ports reaches both. The default clients are the VPC's, since a
        // client on the internet can never be served (the gateway does not translate the VIP).
        assert.deepEqual(ingress(d, "web-sg"), [
            "tcp 80-80 from 10.77.0.0/16",
            "udp 53-53 from 10.77.0.0/16",
            "tcp 22-22 from 203.0.113.7/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
        // DR: the forwarded packet still has the client's source, so the real servers let the clients in too.
        assert.deepEqual(ingress(d, "web-rs-sg"), [
            "tcp 80-80 from 10.77.0.0/16",
            "udp 53-53 from 10.77.0.0/16",
            "tcp 22-22 from 203.0.113.7/32",
            "tcp 80-80 from 10.77.1.10/32",
            "udp 53-53 from 10.77.1.10/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
        for (const group of ["web-sg", "web-rs-sg"]) {
            const sg = byName(d.resources, group).inputs;
            assert.deepEqual((sg.egress as Record<string, unknown>[]).map(rule), ["-1 0-0 from 0.0.0.0/0"]);
            assert.equal(sg.vpcId, "web-vpc-id");
            assert.ok(!JSON.stringify(sg.ingress).includes("0.0.0.0/0"), `${group}: nothing is open to the world`);
        }
        assert.equal(ofType(d.resources, "aws:ec2/securityGroup:SecurityGroup").length, 2);
    });

    it("lets in the clients of allowedCidrs when given; with TUN the real servers take IPIP from the directors and no client at all", async () => {
        const args = validAwsArgs();
        args.aws!.allowedCidrs = ["10.20.0.0/16", "192.168.5.0/24"];
        args.forwarding = "tun";
        const e = await deploy(args, "web");
        assert.deepEqual(ingress(e, "web-sg"), [
            "tcp 80-80 from 10.20.0.0/16,192.168.5.0/24",
            "udp 53-53 from 10.20.0.0/16,192.168.5.0/24",
            "tcp 22-22 from 203.0.113.7/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
        assert.deepEqual(ingress(e, "web-rs-sg"), [
            "4 0-0 from 10.77.1.10/32",
            "tcp 22-22 from 203.0.113.7/32",
            "tcp 80-80 from 10.77.1.10/32",
            "udp 53-53 from 10.77.1.10/32",
            "icmp -1--1 from 10.77.1.0/24",
        ]);
    });

    it("SSHes to public addresses, after waiting for boot", () => {
        const conn = reveal(byName(d.resources, "web-rs-a-setup").inputs.connection) as Record<string, unknown>;
        assert.match(String(conn.host), /^198\.51\.100\.\d+$/);
        assert.equal(conn.user, "admin");
        assert.deepEqual(d.wired.get("web-rs-a-setup")!.dependsOn, ["web-rs-a-ssh", "web-rs-a-access"]);
        assert.deepEqual(d.wired.get("web-rs-a-access")!.dependsOn, ["web-rs-a-ssh"]);
        assert.deepEqual(d.wired.get("web-rs-a-ssh")!.dependsOn, ["web-rs-a", "web-rs-a-ssh-banner"]);
        assert.ok(String(byName(d.resources, "web-rs-a-setup").inputs.create).startsWith("sudo -n sh -c"));
        assert.ok(String(byName(d.resources, "web-rs-a-setup").inputs.stdin).includes("require_interface 'ens5'"));
    });

    it("exposes VPC, subnet, security group and instance IDs", async () => {
        assert.equal(await resolve(d.cluster.awsVpcId), "web-vpc-id");
        assert.equal(await resolve(d.cluster.awsSubnetId), "web-subnet-id");
        assert.equal(await resolve(d.cluster.awsSecurityGroupId), "web-sg-id");
        assert.deepEqual(await resolve(d.cluster.awsInstanceIds), ["web-director-id", "web-rs-a-id", "web-rs-b-id"]);
    });

    it("uses a given subnet and its VPC, creating no network, with private SSH when asked", async () => {
        const args = validAwsArgs();
        Object.assign(args.aws!, { subnetId: "subnet-0123456789abcdef0", subnetCidr: "10.0.1.0/24", sshViaPrivateIp: true, ami: "ami-0123456789abcdef0" });
        args.vip = "10.0.1.100";
        const e = await deploy(args, "web");
        assert.equal(ofType(e.resources, "aws:ec2/vpc:Vpc").length + ofType(e.resources, "aws:ec2/subnet:Subnet").length, 0);
        assert.equal(byName(e.resources, "web-sg").inputs.vpcId, "vpc-0existing");
        // A given VPC's clients: every CIDR block associated with it (the mocks give two).
        assert.deepEqual(ingress(e, "web-sg")[0], "tcp 80-80 from 10.0.0.0/16,100.64.0.0/16");
        assert.deepEqual(ingress(e, "web-rs-sg")[0], "tcp 80-80 from 10.0.0.0/16,100.64.0.0/16");
        assert.deepEqual(invokes.find((x) => x.token === "aws:ec2/getVpc:getVpc")!.inputs.id, "vpc-0existing");
        const i = byName(e.resources, "web-director");
        assert.equal(i.inputs.subnetId, "subnet-0123456789abcdef0");
        assert.equal(i.inputs.associatePublicIpAddress, false);
        assert.equal(i.inputs.ami, "ami-0123456789abcdef0");
        assert.deepEqual(e.wired.get("web-director")!.ignoreChanges, ["userData", `tags["lvs-dr:host-key"]`, "keyName"], "a given AMI is a difference to act on");
        const conn = reveal(byName(e.resources, "web-director-setup").inputs.connection) as Record<string, unknown>;
        assert.equal(conn.host, "10.0.1.10");
    });
});

describe("AWS platform with a subnet made by the same program", () => {
    it("accepts the subnet ID as an Output", async () => {
        const args = validAwsArgs();
        Object.assign(args.aws!, { subnetId: pulumi.output("subnet-0feedfacefeedface"), subnetCidr: "10.77.1.0/24" });
        const d = await deploy(args, "web");
        assert.equal(byName(d.resources, "web-director").inputs.subnetId, "subnet-0feedfacefeedface");
        assert.equal(await resolve(d.cluster.awsSubnetId), "subnet-0feedfacefeedface");
    });
});

describe("incremental changes (mocked engine)", () => {
    for (const [platform, base, vms] of [
        ["libvirt", validLibvirtArgs, (n: string) => [`c-${n}-vm`, `c-${n}-ssh-banner`, `c-${n}-ssh`, `c-${n}-access`, `c-${n}-setup`, `c-${n}-drain-director`]],
        ["aws", validAwsArgs, (n: string) => [`c-${n}`, `c-${n}-host-key`, `c-${n}-ssh-banner`, `c-${n}-ssh`, `c-${n}-access`, `c-${n}-setup`, `c-${n}-drain-director`]],
    ] as const) {
        const named = (): LvsDrClusterArgs => {
            const args = base();
            const list = (args.libvirt ?? args.aws)!.realServers;
            list.splice(0, list.length, { name: "a" }, { name: "b" }, { name: "c" });
            return args;
        };
        const servers = (args: LvsDrClusterArgs) => (args.libvirt ?? args.aws)!.realServers;

        it(`${platform}: adding a real server creates only its resources and updates only the director's rules`, async () => {
            const before = (await deploy(named(), "c")).resources;
            const args = named();
            servers(args).push({ name: "d" });
            const after = (await deploy(args, "c")).resources;
            assert.deepEqual(changes(before, after), { changed: ["c-director-rules"], added: vms("rs-d").sort(), removed: [] });
        });

        it(`${platform}: changing a weight changes only the director's rules`, async () => {
            const before = (await deploy(named(), "c")).resources;
            const args = named();
            servers(args)[1].weight = 5;
            const after = (await deploy(args, "c")).resources;
            assert.deepEqual(changes(before, after), { changed: ["c-director-rules"], added: [], removed: [] });
        });

        it(`${platform}: removing the last real server removes only its resources`, async () => {
            const before = (await deploy(named(), "c")).resources;
            const args = named();
            servers(args).pop();
            const after = (await deploy(args, "c")).resources;
            assert.deepEqual(changes(before, after), { changed: ["c-director-rules"], added: [], removed: vms("rs-c").sort() });
        });

        it(`${platform}: removing one from the middle touches no other server when addresses are explicit`, async () => {
            const pinned = (): LvsDrClusterArgs => {
                const args = named();
                servers(args).forEach((rs, i) => (rs.address = args.aws ? `10.77.1.${21 + i}` : `192.168.77.${21 + i}`));
                return args;
            };
            const before = (await deploy(pinned(), "c")).resources;
            const args = pinned();
            servers(args).splice(1, 1);
            const after = (await deploy(args, "c")).resources;
            assert.deepEqual(changes(before, after), { changed: ["c-director-rules"], added: [], removed: vms("rs-b").sort() });
        });

        it(`${platform}: removing one from the middle with planned addresses moves the later ones (documented)`, async () => {
            const before = (await deploy(named(), "c")).resources;
            const args = named();
            servers(args).splice(1, 1);
            const after = (await deploy(args, "c")).resources;
            assert.ok(changes(before, after).changed.includes(vms("rs-c")[0]));
        });
    }
});
