/**
 * A VM's own counters around a measured run: CPU time from its /proc/stat and its NIC's bytes, read
 * by one SSH command that samples, waits on its stdin while the run goes on, and samples again. The
 * SSH channel is opened before the first sample and closed after the second, so its own cost (a
 * fair share of a small VM's CPU under emulation) falls outside the measured interval.
 */
import { spawn } from "child_process";
import { NETNS, sshCommandLine } from "../lab/harness/lab";

/** One sample: CPU jiffies (USER_HZ) busy and idle, NIC bytes and packets. */
export interface Sample {
    busy: number;
    idle: number;
    txBytes: number;
    rxBytes: number;
    txPackets: number;
    rxPackets: number;
}

export interface Delta {
    /** CPU seconds the VM spent busy (user, nice, system, irq, softirq, steal) between the samples. */
    cpuSeconds: number;
    txBytes: number;
    rxBytes: number;
    txPackets: number;
    rxPackets: number;
}

/** USER_HZ of the lab's Debian kernel (and of every Linux on x86-64). */
const USER_HZ = 100;

const SAMPLE = "head -n 1 /proc/stat; cd /sys/class/net/eth0/statistics && cat tx_bytes rx_bytes tx_packets rx_packets; cd /";

/** Parses `cpu ...` of /proc/stat, then the NIC's tx and rx bytes, tx and rx packets, one per line. */
export function parseSample(text: string): Sample {
    const [cpu, ...nic] = text.trim().split("\n");
    const f = cpu.trim().split(/\s+/);
    if (f[0] !== "cpu" || f.length < 9 || nic.length !== 4 || !nic.every((n) => /^\d+$/.test(n))) {
        throw new Error(`unexpected counters sample: ${JSON.stringify(text)}`);
    }
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f.slice(1, 9).map(Number);
    const [txBytes, rxBytes, txPackets, rxPackets] = nic.map(Number);
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait, txBytes, rxBytes, txPackets, rxPackets };
}

export function delta(a: Sample, b: Sample): Delta {
    return {
        cpuSeconds: (b.busy - a.busy) / USER_HZ, txBytes: b.txBytes - a.txBytes, rxBytes: b.rxBytes - a.rxBytes,
        txPackets: b.txPackets - a.txPackets, rxPackets: b.rxPackets - a.rxPackets,
    };
}

/** A sampler running on one VM: {@link start} resolves after the first sample, {@link stop} with the delta. */
export class Sampler {
    private out = "";
    private err = "";
    private child?: ReturnType<typeof spawn>;
    private closed?: Promise<number | null>;

    constructor(private readonly key: string, private readonly address: string) {}

    async start(): Promise<void> {
        const remote = `${SAMPLE}; echo READY; read -r _ || true; ${SAMPLE}; echo DONE`;
        const child = spawn("ip", ["netns", "exec", NETNS, "sh", "-c", sshCommandLine(this.key, this.address, remote)], { stdio: ["pipe", "pipe", "pipe"] });
        this.child = child;
        this.closed = new Promise((ok) => child.on("close", ok));
        child.stderr.on("data", (d: Buffer) => (this.err += d.toString()));
        await new Promise<void>((ok, fail) => {
            child.stdout.on("data", (d: Buffer) => {
                this.out += d.toString();
                if (this.out.includes("READY\n")) {
                    ok();
                }
            });
            void this.closed!.then((code) => fail(new Error(`counters on ${this.address}: ssh ended (exit ${code}) before the first sample: ${this.err}`)));
        });
    }

    async stop(): Promise<Delta> {
        this.child!.stdin!.end("\n");
        const code = await this.closed!;
        const [first, rest] = this.out.split("READY\n");
        if (code !== 0 || !rest?.includes("DONE")) {
            throw new Error(`counters on ${this.address}: exit ${code}, output ${JSON.stringify(this.out)}: ${this.err}`);
        }
        return delta(parseSample(first), parseSample(rest.split("DONE")[0]));
    }
}
