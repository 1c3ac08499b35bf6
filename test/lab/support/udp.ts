/**
 * The lab's UDP service and client: a datagram server on real servers that answers every datagram
 * with the host's name, and a client in the lab namespace. The server listens on the VIP (so that
 * its answers leave from the VIP, as DR needs: a socket bound to the wildcard would answer from the
 * host's own address) and on the host's own address (where keepalived's UDP check probes it).
 */
import type { Lab } from "../../../lab/harness/lab";
import { inNetnsAsync, type Sh } from "../../../lab/harness/lab";

export const UDP_PORT = 9053;
const UNIT = "lvsdr-lab-udp";

const SERVER = `import selectors, socket, sys
port = int(sys.argv[1])
name = socket.gethostname().encode()
sel = selectors.DefaultSelector()
for address in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(2048)
        key.fileobj.sendto(name, peer)
`;

/** Starts the server on `host` (a transient systemd unit), listening on `addresses`. */
export function startUdpServer(lab: Lab, host: string, addresses: string[]): void {
    lab.mustSsh(host, `cat > /run/${UNIT}.py <<'LVSDR_EOF'\n${SERVER}LVSDR_EOF\n` +
        `systemctl reset-failed ${UNIT} 2>/dev/null || true; systemd-run --quiet --unit=${UNIT} python3 /run/${UNIT}.py ${UDP_PORT} ${addresses.join(" ")}`);
}

/** Stops the server on `host`; the port then answers with ICMP port unreachable. */
export function stopUdpServer(lab: Lab, host: string): void {
    lab.mustSsh(host, `systemctl stop ${UNIT} 2>/dev/null || true; rm -f /run/${UNIT}.py`);
}

/**
 * Datagrams to `vip`:UDP_PORT from the namespace, one every `intervalMs`, `count` in all; from one
 * socket bound to `localPort` (one client port: one IPVS flow) or, without it, a new socket (a new
 * port the kernel picks) each time. Each line of the result is "epoch-ms answer" (answer "-" when
 * none came within the interval).
 */
export function udpClient(vip: string, count: number, intervalMs: number, localPort?: number): Promise<Sh> {
    const oneSocket = localPort !== undefined;
    const js = `const dgram = require("dgram");
const family = ${JSON.stringify(vip)}.includes(":") ? "udp6" : "udp4";
let shared = ${oneSocket} ? dgram.createSocket(family) : undefined;
if (shared) shared.bind(${localPort ?? 0});
let i = 0;
function next() {
  if (i++ >= ${count}) { if (shared) shared.close(); return; }
  const s = shared || dgram.createSocket(family);
  const sent = Date.now();
  let answer = "-";
  const onMessage = (m) => { answer = m.toString(); };
  s.on("message", onMessage);
  s.send("lvs-dr", ${UDP_PORT}, ${JSON.stringify(vip)});
  setTimeout(() => { s.off("message", onMessage); console.log(sent + " " + answer); if (!shared) s.close(); next(); }, ${intervalMs});
}
next();`;
    return inNetnsAsync(`node -e '${js.replace(/'/g, `'\\''`)}'`);
}
