/**
 * The component says what it builds (one line, on itself) and warns about the risks the arguments
 * take: a VRRP router id derived from the VIP, AWS admin SSH open to the world.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { planRisks, planSummary } from "../../src/component/summary";
import { validateClusterArgs } from "../../src/component/validate";
import { validArgs, validAwsArgs } from "../support/fixtures";
import { deploy } from "../support/mocks";

describe("the component's summary and warnings", () => {
    it("one line: platform, mode, VIP, real servers, forwarding, services", () => {
        const args = validArgs();
        args.hosts!.backupDirector = { address: "192.168.77.9" };
        args.services = [{ port: 53, protocol: "udp", scheduler: "wlc" }, { ports: [80, 443], scheduler: "sh" }];
        args.vrrp = { virtualRouterId: 42 };
        const plan = validateClusterArgs(args, "web");
        assert.equal(planSummary(plan, "existing machines"),
            "lvs-dr web: hosts (existing machines), a VRRP pair (router id 42), VIP 192.168.77.100, 2 real servers, DR, udp/53 wlc, tcp/80+443 sh");
        assert.deepEqual(planRisks(plan), [], "an explicit router id is no risk");
    });

    it("warns about a derived router id with its odds, and not for one director", () => {
        const pair = validArgs();
        pair.hosts!.backupDirector = { address: "192.168.77.9" };
        const [risk] = planRisks(validateClusterArgs(pair, "web"));
        assert.match(risk, /router id \d+ is derived from the VIP: .*1 in 255.*set vrrp\.virtualRouterId/);
        assert.deepEqual(planRisks(validateClusterArgs(validArgs(), "web")), []);
    });

    it("logs the line and the warnings on the component, the platform's too (aws: admin SSH from anywhere)", async () => {
        const said: { level: string; text: string; on?: string }[] = [];
        const { info, warn } = pulumi.log;
        pulumi.log.info = (text: string, res?: pulumi.Resource) => { said.push({ level: "info", text, on: (res as { __name?: string } | undefined)?.__name }); return Promise.resolve(); };
        pulumi.log.warn = (text: string, res?: pulumi.Resource) => { said.push({ level: "warn", text, on: (res as { __name?: string } | undefined)?.__name }); return Promise.resolve(); };
        try {
            const args = validAwsArgs();
            args.aws!.adminCidrs = ["0.0.0.0/0"];
            await deploy(args, "web");
        } finally {
            pulumi.log.info = info;
            pulumi.log.warn = warn;
        }
        const summary = said.find((s) => s.level === "info" && s.text.startsWith("lvs-dr web: aws (EC2 instances), one director"));
        assert.ok(summary, JSON.stringify(said));
        assert.equal(summary.on, "web");
        assert.ok(said.some((s) => s.level === "warn" && s.on === "web" && /aws\.adminCidrs has 0\.0\.0\.0\/0/.test(s.text)), JSON.stringify(said));
    });
});
