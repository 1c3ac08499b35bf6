/**
 * A sandbox for a director's scripts on a kernel without IPVS: eth0 at 192.168.77.10/24 and the
 * stand-ins for ipvsadm (a table in a file), modprobe and the systemctl that reloads keepalived.
 */
import * as path from "path";
import { fakeIpvsadm, fakeModprobe } from "./fake-ipvsadm";
import { fakeSystemctl } from "./fake-keepalived";
import { Sandbox } from "./sandbox";

export function directorSandbox(): Sandbox {
    const sb = new Sandbox();
    sb.addNic("eth0", "192.168.77.10/24");
    sb.addTool("ipvsadm", fakeIpvsadm(path.join(sb.rw, "ipvs.state"), path.join(sb.rw, "ipvsadm.log")));
    sb.addTool("modprobe", fakeModprobe(path.join(sb.rw, "modprobe.log")));
    sb.addTool("systemctl", fakeSystemctl(path.join(sb.dir, "bin", "ipvsadm"), sb.rw, path.join(sb.rw, "systemctl.log")));
    return sb;
}
