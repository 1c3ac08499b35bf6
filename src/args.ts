import type * as pulumi from "@pulumi/pulumi";

/**
 * How the director hands packets to real servers. NAT is not offered: it sends every reply through
 * the director, which is what LVS-DR exists to avoid.
 */
export const Forwarding = {
    /** Direct routing: only the destination MAC is rewritten; director and real servers share one L2 segment. */
    dr: "dr",
    /** IPIP encapsulation, for real servers that are not on the director's L2 segment (20 bytes more per packet). */
    tun: "tun",
} as const;
export type Forwarding = (typeof Forwarding)[keyof typeof Forwarding];

/** The transport protocol of a virtual service. */
export const Protocol = {
    tcp: "tcp",
    udp: "udp",
} as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

/** An IPVS scheduler; the director needs the kernel module `ip_vs_<scheduler>`. */
export const Scheduler = {
    /** Round robin. */
    rr: "rr",
    /** Weighted round robin. */
    wrr: "wrr",
    /** Least connections. */
    lc: "lc",
    /** Weighted least connections. */
    wlc: "wlc",
    /** Locality-based least connections. */
    lblc: "lblc",
    /** Locality-based least connections with replication. */
    lblcr: "lblcr",
    /** Destination hashing. */
    dh: "dh",
    /** Source hashing. */
    sh: "sh",
    /** Shortest expected delay. */
    sed: "sed",
    /** Never queue. */
    nq: "nq",
    /** Weighted failover. */
    fo: "fo",
    /** Weighted overflow. */
    ovf: "ovf",
    /** Maglev hashing. */
    mh: "mh",
} as const;
export type Scheduler = (typeof Scheduler)[keyof typeof Scheduler];

/** How a health check probes a real server. */
export const HealthCheckKind = {
    /** Connect to the real server's port (TCP handshake). */
    tcp: "tcp",
    /** `GET path` over HTTP; the answer's status must be `expectStatus`. */
    http: "http",
    /** `GET path` over HTTPS (the certificate is not verified); the status must be `expectStatus`. */
    https: "https",
    /**
     * UDP services: a datagram (`payload`) to the real server's port; failed on an ICMP port
     * unreachable and, with `requireReply` (the default), when no answer comes within the timeout.
     */
    udp: "udp",
    /** No check: the real server is always in the table with its weight. */
    none: "none",
} as const;
export type HealthCheckKind = (typeof HealthCheckKind)[keyof typeof HealthCheckKind];

/** What the director does with a real server whose check fails. */
export const FailureAction = {
    /** Set its weight to 0: its established connections go on, it gets no new ones (keepalived `inhibit_on_failure`). */
    weight0: "weight0",
    /** Delete it from the table: its established connections are cut at their next packet. */
    remove: "remove",
} as const;
export type FailureAction = (typeof FailureAction)[keyof typeof FailureAction];

/** The libvirt domain type of the VMs. */
export const DomainType = {
    /** Hardware virtualization (needs a usable /dev/kvm). */
    kvm: "kvm",
    /** Software emulation (TCG), where KVM is unavailable. */
    qemu: "qemu",
} as const;
export type DomainType = (typeof DomainType)[keyof typeof DomainType];

/**
 * Arguments of LvsDrCluster.
 *
 * Everything except SSH secrets is a plain value on purpose: the whole configuration is validated
 * in the constructor, before any child resource exists, so a mistake costs a failed preview and
 * never a half-configured cluster.
 *
 * Exactly one platform member must be set: `hosts` (machines that exist), `libvirt` (VMs this
 * component creates on a libvirt hypervisor) or `aws` (EC2 instances it creates).
 */
export interface LvsDrClusterArgs {
    /**
     * The virtual IP clients connect to: IPv4 (`"192.168.77.100"`, dotted quad) or IPv6
     * (`"fd77::100"`, any RFC 4291 form; kept in canonical form), no prefix. It is bound /32 (/128)
     * on the director's subnet-facing interface and on every real server's loopback (DR) or tunnel
     * device (TUN: `tunl0`, `ip6tnl0` for IPv6). It must differ from every host address and lie
     * inside the subnet of its family when one is known. Every host needs an address of the VIP's
     * family (`address`, or `address6` beside an IPv4 `address`): it is where the director sends
     * the VIP's traffic. An ordinary unicast address: loopback, unspecified, link-local (and zone
     * ids), multicast, reserved, broadcast and IPv4-mapped addresses are refused. IPv6 is not
     * offered on the `aws` platform.
     */
    vip: string;

    /**
     * Dual stack: an IPv6 VIP served beside an IPv4 `vip`, by the same directors and real servers,
     * with the same services. Every host then needs an `address6`. With two directors both VIPs
     * move together (one VRRP instance; the IPv6 VIP is one of its excluded addresses), so the
     * pair's connection sync covers both. Refused when `vip` is IPv6 and on the `aws` platform.
     */
    vip6?: string;

    /**
     * The virtual services offered on the VIP: at least one, each protocol+port at most once (a
     * single `port`, or a firewall-mark service's `ports`). LVS-DR cannot map ports: each real
     * server must listen on the same port.
     */
    services: LvsDrServiceArgs[];

    /**
     * How the director hands packets to real servers: `"dr"` (direct routing: only the destination
     * MAC is rewritten; director and real servers must share one L2 segment) or `"tun"` (IPIP
     * encapsulation, for real servers that are not on the director's L2 segment; adds 20 bytes per
     * packet). Default `"dr"`. NAT is not offered: it sends every reply through the director.
     */
    forwarding?: Forwarding;

    /** SSH settings used to reach every host, unless a host overrides them. */
    ssh: LvsDrSshArgs;

    /**
     * With a backup director: the VRRP settings of the pair (LvsDrVrrpArgs). Refused without
     * one.
     */
    vrrp?: LvsDrVrrpArgs;

    /**
     * Active-active directors (LvsDrBgpArgs): every director of the platform's `directors` list (2
     * to 8) forwards, and announces the VIP over BGP to the given routers, which spread the VIP's
     * traffic over the directors that announce it (ECMP). Requires the `directors` list; refused
     * with a single director or a pair, and where the platform's network cannot route a prefix to
     * several next hops (`aws`). Every service must use the `mh` scheduler.
     */
    bgp?: LvsDrBgpArgs;

    /**
     * How long a real server that leaves the table (scale in, removal from the stack) is drained
     * first, in seconds: its weight goes to 0 (no new connections, the established ones go on), and
     * it is deleted once no connection to it is active or when this time is up, whichever comes
     * first; only then does its own teardown run. "Active" is what IPVS counts as such
     * (`ipvsadm -Ln` ActiveConn: connections the director has not seen the client close). Closed
     * connections stay in the table as inactive entries for up to 2 minutes (a DR director never
     * sees the server's FIN) and are not waited for. A real server that is replaced in place (its
     * machine, or its setup) is drained the same way by its drain hooks before its teardown, and
     * put back at its weight once set up again. Integer 0-3600; default 60; 0 deletes a leaving
     * server at once and sets a replaced one to weight 0 without waiting. `pulumi up` waits for the
     * drain.
     */
    drainSeconds?: number;

    /**
     * The existing-machines platform: configure machines that already exist and are reachable over
     * SSH. Mutually exclusive with the other platforms.
     */
    hosts?: LvsDrExistingHostsArgs;

    /**
     * The libvirt platform: create the director and the real servers as VMs on a libvirt
     * hypervisor, on one L2 network. Mutually exclusive with the other platforms.
     */
    libvirt?: LvsDrLibvirtArgs;

    /**
     * The AWS platform: create the director and the real servers as EC2 instances in one subnet.
     * Mutually exclusive with the other platforms.
     */
    aws?: LvsDrAwsArgs;
}

/** One virtual service (an `ipvsadm -A` entry). */
export interface LvsDrServiceArgs {
    /**
     * Port on the VIP, integer 1-65535. Real servers serve the same port (DR has no port mapping).
     * Give `port` or `ports`, not both.
     */
    port?: number;

    /**
     * A firewall-mark service: 2-16 distinct ports (integers 1-65535) balanced as one IPVS service,
     * so that persistence is shared across them (a client's 80 and 443 land on the same real
     * server). The director marks the packets to the VIP on these ports with nftables (a table
     * `inet lvs_dr_<vip>` of its own, loaded atomically, at boot too, and deleted with the last
     * such service); `nft` is installed from the host's packages when missing. `tcp` and `udp`
     * health checks probe every port (a real server is failed when any port fails); `http` and
     * `https` checks ask the first port listed. No `sorryServer`. Give `port` or `ports`, not both;
     * a protocol+port belongs to at most one service.
     */
    ports?: number[];

    /**
     * The firewall mark of a `ports` service, integer 1-4294967294. Default: derived from the VIP,
     * the protocol and the ports (stable; an even mark in 0x4c560000-0x4c56fffe). In dual stack the
     * IPv6 VIP's service uses the next mark (`fwmark + 1`), so each service takes two marks. Marks
     * must not collide within the cluster (refused); set them explicitly when several clusters
     * share a director or when the host's own firewall uses marks in that range: IPVS looks up
     * firewall-mark services by mark alone, per address family, across the whole director.
     */
    fwmark?: number;

    /** `"tcp"` or `"udp"`. Default `"tcp"`. */
    protocol?: Protocol;

    /**
     * IPVS scheduler: one of `rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh`. Default `"wlc"`.
     * The kernel module `ip_vs_<scheduler>` must exist on the director.
     */
    scheduler?: Scheduler;

    /**
     * Client persistence (`ipvsadm -p`) in seconds: a client keeps going to the same real server
     * while it was seen within this time. Integer 0-2678400 (31 days, keepalived's limit); 0 or
     * unset turns persistence off.
     */
    persistenceSeconds?: number;

    /**
     * How the director checks each real server of this service. Default: a TCP connect to the
     * real server's port every second, failed after 3 failures in a row; for `udp` services the
     * default is no check (`kind: "none"`); they accept `"udp"` checks and `"none"` only.
     */
    healthCheck?: LvsDrHealthCheckArgs;

    /**
     * An address that receives this service's requests while every real server is failed (a
     * "sorry server", serving the same port), not a VIP nor a cluster host. It serves the VIP of
     * its own family (IPv4 or IPv6); in dual stack the other VIP's service has none. The director
     * forwards to it as to a real server: with `forwarding: "dr"` it must be on the hosts' subnet,
     * with the VIP on its loopback and the ARP settings. Not offered for a `ports` service.
     * Default: none; with every real server failed, connections are refused.
     */
    sorryServer?: string;
}

/**
 * A health check, run by keepalived on every director against each real server's own address.
 *
 * Detection bound: a real server that stops answering is out of the table
 * `(retries + 1) × (intervalSeconds + timeoutSeconds)` after it fails, plus the fraction of a
 * second keepalived takes to act: 6 s with the defaults (about 3 s when its port refuses
 * connections, as with a stopped server on a live host, because a refused connect fails at once).
 * A recovered server is back after its first successful check: within
 * `intervalSeconds + timeoutSeconds` (2 s with the defaults). The README lists measured times.
 */
export interface LvsDrHealthCheckArgs {
    /**
     * `"tcp"`, `"http"`, `"https"` or `"none"` for TCP services; `"udp"` or `"none"` for UDP
     * services. Default `"tcp"` for TCP services, `"none"` for UDP services (a UDP check has to
     * know what the service answers: see `payload` and `requireReply`).
     */
    kind?: HealthCheckKind;

    /**
     * `udp` only: the datagram sent, as hexadecimal digits (even count, at most 1,024: 512 bytes),
     * e.g. a DNS query for a DNS service. Default: empty (a datagram with no data).
     */
    payload?: string;

    /**
     * `udp` only: the check fails unless the real server answers within `timeoutSeconds`. Default
     * true: without it only an ICMP port unreachable fails the check, so a real server whose host
     * died (no ICMP at all) would be kept. Set false for services that never answer (syslog).
     */
    requireReply?: boolean;

    /** `http`/`https`: the path requested, starting with `/`, printable ASCII without spaces or quotes. Default `"/"`. */
    path?: string;

    /** `http`/`https`: the status code a healthy server answers with, 100-599. Default 200. */
    expectStatus?: number;

    /** Seconds between two checks of one real server, and before each retry. Integer 1-3600. Default 1. */
    intervalSeconds?: number;

    /** Seconds a check may take (connect, and for HTTP the answer). Integer 1-3600. Default 1. */
    timeoutSeconds?: number;

    /** Further attempts after a failed check before the server is failed. Integer 0-100. Default 2. */
    retries?: number;

    /**
     * `"weight0"`: a failed server keeps its established connections and gets no new ones;
     * `"remove"`: it is deleted from the table and its connections break. Default `"weight0"` for
     * TCP services, `"remove"` for UDP services; a `"udp"` check accepts only `"remove"`: IPVS
     * keeps a UDP flow on its real server for as long as the client keeps sending (every datagram
     * restarts its timeout), so at weight 0 a client would stay pinned to the dead server; removed,
     * the flow's next datagram is scheduled afresh (the director's `expire_nodest_conn=1`).
     */
    failureAction?: FailureAction;
}

/**
 * VRRP between the two directors (keepalived, VRRPv3, unicast adverts: no multicast needed). Both
 * start as BACKUP and never preempt: the first director takes the VIP at the start, and a
 * director that comes back after a failure stays backup (it would otherwise take the VIP with an
 * empty connection table). The new master sends gratuitous ARPs for the VIP.
 */
export interface LvsDrVrrpArgs {
    /**
     * The VRRP virtual router id, integer 1-255. Default: derived from the VIP (stable). Two VRRP
     * routers with one id on one L2 segment disturb each other: a derived id collides with
     * another cluster's with a chance of 1 in 255, so set ids explicitly where several VRRP
     * clusters (or routers) share a segment.
     */
    virtualRouterId?: number;

    /**
     * Seconds between two adverts of the master, 0.1-40 with at most two decimals. Default 1. The
     * backup takes over about 3 adverts after the master stops (3 adverts plus a skew of 0.1). Short intervals on busy or
     * emulated machines cause false takeovers.
     */
    advertIntervalSeconds?: number;
}

/**
 * BGP of active-active directors. Each director runs its own BIRD 2 instance (installed from the
 * host's packages when missing; a unit of the cluster's, apart from the host's own `bird`
 * service), peers with every router in `peers`, and announces the VIP only while its keepalived
 * runs and at least one of the VIP's services has a real server that passes its checks. Graceful
 * restart is off: a dead director's route must leave the routers at once, not outlive it.
 */
export interface LvsDrBgpArgs {
    /** The directors' AS number (all of them share it), integer 1-4294967294 (not 23456, AS_TRANS). */
    asn: number;

    /**
     * The routers each director peers with: 1 to 4, each its address on the directors' subnet
     * (IPv4; the BGP session and the next hop) and its AS number. The routers must accept the
     * directors as neighbours, install several paths for one prefix (ECMP, e.g. `maximum-paths` or
     * BIRD's `merge paths`), hash on ports (L4: Linux `fib_multipath_hash_policy=1`), and should
     * use resilient next-hop groups where they can (README, "Active-active directors").
     */
    peers: LvsDrBgpPeerArgs[];

    /**
     * BFD with each router: a director that dies leaves the routers' paths after
     * `bfdIntervalMs × bfdMultiplier` (0.5 s by default) instead of the BGP hold time. Default
     * true; the routers must run BFD for the directors too.
     */
    bfd?: boolean;

    /** BFD transmit and receive interval in milliseconds, integer 10-10000. Default 100. */
    bfdIntervalMs?: number;

    /** BFD detection multiplier, integer 1-255. Default 5. */
    bfdMultiplier?: number;

    /**
     * BGP hold time in seconds, integer 3-65535 (keepalives every third of it). Default 9. Without
     * BFD this is how long a dead director keeps its share of the traffic.
     */
    holdSeconds?: number;

    /**
     * The kernel routing table (integer 1-4294967295, not 253-255) where each director's health
     * gate puts the VIP's route while the director may announce it; the BGP speaker announces
     * what that table holds. It must be used by nothing else on the directors. Default: derived
     * from the VIP (stable, in 0x4c560000-0x4c56ffff).
     */
    gateTable?: number;
}

/** A router active-active directors peer with. */
export interface LvsDrBgpPeerArgs {
    /** The router's IPv4 address on the directors' subnet. */
    address: string;
    /** The router's AS number, integer 1-4294967294 (not 23456). eBGP or iBGP (the directors' own). */
    asn: number;

    /**
     * The session's TCP-MD5 password (RFC 2385); the router must set the same for each director.
     * A secret: give it as one (`config.requireSecret("bgpPassword")`); it is wrapped with
     * `pulumi.secret`, so the directors' setup commands, whose scripts write it into BIRD's
     * configuration (`/etc/lvs-dr/<vip>/director-bird.conf`, mode 0640, owner root, group `bird`),
     * are secrets too. 1-80 bytes; no `"`, `\` or control characters. Default: none.
     */
    password?: pulumi.Input<string>;
}

/** Default SSH connection settings. */
export interface LvsDrSshArgs {
    /**
     * Login user, e.g. `"root"` or `"debian"`. Letters, digits, `._-`, starting with a letter or
     * `_`, at most 32 characters. On a VM the `libvirt` or `aws` platform creates, a login the VM
     * does not accept (a wrong user or key) fails that VM's first command, `<cluster>-<role>-ssh`,
     * within about a minute of its SSH server answering, with pulumi-command's `ssh: handshake
     * failed: ssh: unable to authenticate`; a VM whose SSH port never answers fails its
     * `<cluster>-<role>-ssh-banner` after 20 minutes, naming the address and port.
     */
    user: string;

    /**
     * Private key (OpenSSH or PEM text). Treated as a secret: it is wrapped with `pulumi.secret`
     * before it reaches any resource or the component's recorded inputs.
     */
    privateKey: pulumi.Input<string>;

    /** SSH port, integer 1-65535. Default 22. */
    port?: number;

    /**
     * Public key (`"ssh-ed25519 AAAA... comment"`) installed for `user` on the VMs this component
     * creates: the public half of `privateKey`. Required with the `libvirt` and `aws` platforms,
     * refused with `hosts`. One line of a `.pub` file, without options or line breaks. A new VM gets
     * it at first boot (cloud-init; on AWS the key pair); then, and whenever the keys change, the
     * user's `~/.ssh/authorized_keys` on every VM is written to hold exactly this key and
     * `authorizedKeys`. Changing it never replaces a VM, so a key is rotated in place with two
     * `pulumi up`s: (1) add the new public key to `authorizedKeys`, leave `privateKey` and
     * `publicKey` as they are, and run `pulumi up` (every VM then accepts both keys); (2) set
     * `privateKey` and `publicKey` to the new pair, remove it from `authorizedKeys`, and run `pulumi
     * up` (the connections use the new key, and the old one leaves every VM). Step (2) without (1)
     * fails: the VMs refuse the new key, so the connections fail to authenticate and nothing on the
     * VMs changes; go back to the old pair, run (1), then (2). May be an Output (a key another
     * resource makes): it is validated once known, with the same messages.
     */
    publicKey?: pulumi.Input<string>;

    /**
     * Further public keys allowed to log in as `user` on the VMs this component creates (an
     * operator's, or the next key during a rotation: see `publicKey`), each one line of a `.pub`
     * file (`"<type> <base64> [comment]"`) without options (`from=`, `command=`, ...) or line breaks.
     * The user's `~/.ssh/authorized_keys` there is the component's (cloud-init made the account for
     * the cluster): it is written to exactly `publicKey` and these keys, any other removed, on a new
     * VM and whenever the keys change, with no VM replaced. At most 64 keys; a key given twice
     * counts once. Default: none. Only with the `libvirt` and `aws` platforms, refused with `hosts`.
     */
    authorizedKeys?: string[];

    /**
     * Run the host scripts through `sudo -n` (non-interactive: the user needs password-less sudo).
     * Default: `true` unless `user` is `"root"`.
     */
    sudo?: boolean;
}

/** Per-host overrides of the cluster's `ssh` settings. Unset members fall back to `args.ssh`. */
export interface LvsDrHostSshArgs {
    /**
     * Where to SSH to, when it is not the host's `address` (a management network, a NAT'd port).
     * An IPv4 address or a DNS name. May be an Output (a machine another resource makes; see
     * `address`).
     */
    host?: pulumi.Input<string>;
    /** Login user; same rules as `ssh.user`. */
    user?: string;
    /** SSH port, integer 1-65535. */
    port?: number;
    /** Private key for this host only (secret). */
    privateKey?: pulumi.Input<string>;
    /**
     * The host's expected SSH public host key (e.g. `"ssh-ed25519 AAAA..."`, the content of its
     * `/etc/ssh/ssh_host_ed25519_key.pub` read out of band). Every connection to the host is then
     * verified against it. When unset the host key is not checked, as with `@pulumi/command`, and
     * every `pulumi up` warns. (Machines the `libvirt` and `aws` platforms create get a host key made
     * by the component and pinned without this.) May be an Output.
     */
    hostKey?: pulumi.Input<string>;
}

/** A machine that already exists. */
export interface LvsDrHostArgs {
    /**
     * The host's address on the load-balancing subnet, IPv4 or IPv6. For real servers this is the
     * address the director forwards the VIP's traffic of that family to; it is also the SSH target
     * unless `ssh.host` is set. Unique, not a VIP, an ordinary unicast address (as for `vip`).
     *
     * May be an Output: the address of a machine another resource of the program makes. The cluster
     * then plans with it once it is known (a preview before that plans every resource, their
     * scripts unknown) and refuses a bad value then, with the same message.
     */
    address: pulumi.Input<string>;

    /**
     * The host's IPv6 address on the same interface, beside an IPv4 `address`: required on every
     * host when the cluster serves an IPv6 VIP (`vip6`, or an IPv6 `vip`) and `address` is IPv4;
     * refused otherwise. Same rules as `address`; may be an Output too.
     */
    address6?: pulumi.Input<string>;

    /**
     * The network interface that faces the subnet (director: carries the VIP; real servers: receive
     * forwarded frames, ARP sysctls are set on it). Default `"eth0"`. Linux interface name: 1-15 of
     * letters, digits, `_.-`, not starting with `-` or `.`; `lo` is refused.
     */
    interface?: string;

    /**
     * Real servers only: IPVS weight, integer 0-65535. Default 1. Weight 0 keeps existing
     * connections and sends no new ones (draining).
     */
    weight?: number;

    /**
     * Real servers, and directors of a `directors` list: a stable name used in child resource
     * names (`<cluster>-rs-<name>-setup`, `<cluster>-director-<name>-setup`).
     * Default: the position in `realServers`. Give names when you expect to remove servers from the
     * middle of the list, so that the others keep their resources. Lower-case letters, digits and
     * `-`, at most 40 characters, unique.
     */
    name?: string;

    /** SSH overrides for this host. */
    ssh?: LvsDrHostSshArgs;

    /**
     * The machine is gone for good (dead, deleted, unreachable and not coming back): lvs-dr asks
     * nothing of it any more. A real server leaves every director's table at once, without a drain
     * (its connections are lost already); the commands on the machine are forgotten without running
     * (no SSH to it), so an update and a destroy succeed without it. Set it, run `pulumi up`, then
     * remove the host from the list whenever you like (its commands are then dropped from the state,
     * still without running). Only for a host that was set up by this stack: a host that never was
     * has nothing to forget; leave it out. A director marked gone is the pair's peer no longer
     * reached; the other director keeps (or takes) the VIP. Default `false`.
     */
    gone?: boolean;
}

/** The existing-machines platform. */
export interface LvsDrExistingHostsArgs {
    /**
     * The load-balancing subnet in CIDR form: IPv4 (`"192.168.77.0/24"`, /8 to /30) or IPv6
     * (`"fd77::/64"`, /48 to /126), in unicast address space. Optional; when given, the VIP and every
     * host address of its family must lie inside it (not its network or broadcast address, nor the
     * IPv6 subnet-router anycast address).
     */
    subnet?: string;

    /** Dual stack: the IPv6 subnet beside an IPv4 `subnet` (same rules). Optional. */
    subnet6?: string;

    /**
     * The director: receives every request for the VIP and forwards it. Required unless
     * `directors` is given.
     */
    director?: LvsDrHostArgs;

    /**
     * A second director on the same subnet: the pair shares the VIP through VRRP and syncs
     * connections, so either can fail. Same form as `director`. Default: none.
     */
    backupDirector?: LvsDrHostArgs;

    /**
     * Active-active directors (with `bgp`): 2 to 8, all forwarding. Each may have a `name` (as a
     * real server's: `<cluster>-director-<name>-setup`; default its position), so that one can
     * leave the middle of the list without touching the others. Instead of `director` and
     * `backupDirector`.
     */
    directors?: LvsDrHostArgs[];

    /**
     * The real servers: at least one. Their default gateway must not be the director. At most about
     * 2,500 entries in all (real servers x services): the director's scripts carry its table in one
     * environment string (128 KiB on Linux); split larger clusters across VIPs.
     */
    realServers: LvsDrHostArgs[];
}

/** A VM the component creates (libvirt and AWS platforms). */
export interface LvsDrVmArgs {
    /**
     * Address on the subnet. Default: planned from the subnet: the director gets the 10th address,
     * real servers the following ones, skipping the VIP and every address given explicitly.
     */
    address?: string;

    /**
     * The VM's IPv6 address on `subnet6` (libvirt only; requires `subnet6`). Default: the same
     * offset into `subnet6` as its IPv4 address has into `subnet` (`192.168.77.11` in
     * `192.168.77.0/24` gets `fd77::b` in `fd77::/64`).
     */
    address6?: string;

    /** Real servers only: IPVS weight, integer 0-65535. Default 1. */
    weight?: number;

    /**
     * Real servers only: stable name used in resource and VM names. Default: the position in the
     * list. Lower-case letters, digits and `-`, at most 40 characters, unique.
     */
    name?: string;

    /**
     * The machine is gone for good (dead, deleted, unreachable and not coming back): lvs-dr asks
     * nothing of it any more. A real server leaves every director's table at once, without a drain
     * (its connections are lost already); the commands on the machine are forgotten without running
     * (no SSH to it) and what is left of its VM or instance is deleted, so an update and a destroy
     * succeed without it. Set it, run `pulumi up`, then remove the host from the list whenever you
     * like (its commands are then dropped from the state, still without running). Only for a
     * host that was set up by this stack: a host that never was has nothing to forget; leave it
     * out. A director marked gone is the pair's peer no longer reached; the other director keeps
     * (or takes) the VIP. Default `false`.
     */
    gone?: boolean;

    /**
     * Keep this host's machine as it is through this update: a change of the platform's machine
     * settings (libvirt: base image, size, kernel, user; AWS: an explicit AMI, the instance type)
     * waits until the flag is removed. Such a change replaces (or, for an instance type, stops and
     * starts) every machine it applies to in one update, so lvs-dr refuses one that would take
     * every director (both of a pair), or every real server, down at once (at preview,
     * `<cluster>-machines`).
     * Roll it instead: set `keepMachine: true` on one director (and on some of the real servers),
     * `pulumi up`, then remove it and `pulumi up` again. Default `false`.
     */
    keepMachine?: boolean;
}

/** The libvirt platform. Drives `virsh` (libvirt-clients) on the machine that runs Pulumi. */
export interface LvsDrLibvirtArgs {
    /**
     * libvirt connection URI. Default `"qemu:///system"`; `"qemu+ssh://user@host/system"` for a
     * remote hypervisor.
     */
    uri?: string;

    /**
     * The L2 subnet of the VMs in CIDR form, e.g. `"192.168.77.0/24"`, prefix length /8 to /30, in
     * unicast address space. Required. The VIP must lie inside it.
     */
    subnet: string;

    /**
     * An IPv6 subnet for the VMs beside `subnet` (CIDR, /48 to /126, e.g. `"fd77::/64"`): each VM
     * gets a static IPv6 address on it (`address6`; router advertisements are ignored), and a
     * created network gets its first address on the hypervisor's side. Required for an IPv6 VIP
     * (`vip6`, or an IPv6 `vip`). Default: none, IPv4 only.
     */
    subnet6?: string;

    /**
     * Attach the VMs to this existing libvirt network. Default: create an isolated network
     * (`<cluster>-net`: a bridge, no NAT, no DHCP, nothing routed out) whose host side takes the
     * subnet's first address. Mutually exclusive with `bridge`.
     */
    network?: string;

    /** Attach the VMs to this existing host bridge instead. Mutually exclusive with `network`. */
    bridge?: string;

    /**
     * The VMs' default gateway. Default: the created network's host-side address; none when
     * attaching to an existing network or bridge. Must not be the director.
     */
    gateway?: string;

    /** Storage pool for the VMs' disks and cloud-init seeds. Default `"default"`. */
    pool?: string;

    /**
     * Base disk image (qcow2) each VM's disk is an overlay of: an absolute path on the hypervisor,
     * or the name of a volume in `pool`. A cloud image with cloud-init (NoCloud) is expected. May
     * be an Output (a volume another resource makes): it is validated once known.
     */
    baseImage: pulumi.Input<string>;

    /** Virtual size of each VM's disk in GiB, at least the base image's. Default 8. */
    diskGiB?: number;

    /** `"kvm"` (default) or `"qemu"` (software emulation, where KVM is unavailable). */
    domainType?: DomainType;

    /** Memory per VM in MiB, 128-1048576. Default 512. */
    memoryMiB?: number;

    /** Virtual CPUs per VM, 1-64. Default 1. */
    vcpus?: number;

    /** Direct kernel boot: absolute path of a kernel on the hypervisor (or an Output of one). Requires `initrd`. */
    kernel?: pulumi.Input<string>;
    /** Direct kernel boot: absolute path of an initrd on the hypervisor (or an Output of one). */
    initrd?: pulumi.Input<string>;
    /** Direct kernel boot: kernel command line. Default `"root=/dev/vda1 console=ttyS0"`. */
    cmdline?: string;

    /** The director VM. Default: one, with a planned address. Not with `directors`. */
    director?: LvsDrVmArgs;

    /**
     * Set (`{}` is enough) to create a second director VM: the pair shares the VIP through VRRP
     * and syncs connections. Its planned address is the one just below the director's. Default:
     * none. Not with `directors`.
     */
    backupDirector?: LvsDrVmArgs;

    /**
     * Active-active directors (with `bgp`): 2 to 8 director VMs, all forwarding, each announcing
     * the VIP to the `bgp.peers` routers, which must be on the VMs' network (the hypervisor's side
     * of a created network, or routers on your `network` or `bridge`). Each needs a unique `name`:
     * its VM is `<cluster>-director-<name>`. Planned addresses: the first director's is the 10th
     * of `subnet`, each next one's the one below (9th, 8th, ...), so adding or removing a director
     * never moves a real server. Instead of `director` and `backupDirector`. Default: none.
     */
    directors?: LvsDrLibvirtDirectorArgs[];

    /**
     * The real-server VMs: at least one. At most about 2,500 entries in all (real servers x
     * services): the director's scripts carry its table in one environment string (128 KiB on
     * Linux); split larger clusters across VIPs.
     */
    realServers: LvsDrVmArgs[];
}

/** A director VM of `libvirt.directors` (active-active directors). */
export interface LvsDrLibvirtDirectorArgs {
    /**
     * The director's name, required and unique in the list: its VM is `<cluster>-director-<name>`
     * (its hostname, MAC, disk and seed follow) and its resources `<cluster>-director-<name>-<step>`,
     * so a director can leave the middle of the list and the others keep their VMs. Lower-case
     * letters, digits and `-`, at most 40 characters. No default.
     */
    name: string;

    /**
     * Address on `subnet`. Default: planned: the first director gets the 10th address of the
     * subnet, the second the 9th, and so on down, a taken address (the VIP, a reserved one, one
     * given explicitly) skipped downwards, so that directors do not land among the real servers
     * (the 11th up). A planned address follows the director's place in the list: give it
     * explicitly if directors before it may leave.
     */
    address?: string;

    /**
     * The VM's IPv6 address on `subnet6` (requires `subnet6`). Default: the same offset into
     * `subnet6` as its IPv4 address has into `subnet`. The directors announce the IPv4 VIP only.
     */
    address6?: string;

    /**
     * The machine is gone for good (see LvsDrVmArgs `gone`): its commands are forgotten without
     * running and what is left of its VM is deleted; the other directors go on announcing the VIP.
     * Default `false`.
     */
    gone?: boolean;

    /**
     * Keep this director's VM as it is through this update (see LvsDrVmArgs `keepMachine`): a
     * change of the machine settings that would replace every director at once is refused, so
     * roll it with this on some of them. Default `false`.
     */
    keepMachine?: boolean;
}

/** The AWS platform (`@pulumi/aws`; region and credentials from the AWS provider). */
export interface LvsDrAwsArgs {
    /**
     * Use this existing subnet (and its VPC): an ID such as `"subnet-0123456789abcdef0"`, or an Output
     * (or promise) of one, e.g. of a subnet created in the same program. Requires `subnetCidr`. Default: create a VPC with one subnet in one availability
     * zone, an internet gateway and a default route (for admin SSH).
     */
    subnetId?: pulumi.Input<string>;

    /** CIDR of `subnetId`, or of the subnet to create (/16 to /28). Default `"10.77.1.0/24"` when creating. */
    subnetCidr?: string;

    /** CIDR of the VPC to create (/16 to /28, as AWS allows). Default `"10.77.0.0/16"`. Refused with `subnetId`. */
    vpcCidr?: string;

    /** Availability zone of the subnet to create. Default: the region's first. */
    availabilityZone?: string;

    /**
     * CIDRs allowed to SSH to the instances. Required, at least one; there is no open default. The
     * list, or any entry, may be an Output (another resource's address ranges): validated once known.
     */
    adminCidrs: pulumi.Input<pulumi.Input<string>[]>;

    /**
     * CIDRs of the clients allowed to reach the virtual services: the directors' security group
     * admits them, and in DR the real servers' too (a forwarded request keeps the client's source
     * address, so they reach each real server's own addresses as well). Default: the VPC's own CIDR
     * blocks; list peered or VPN networks here. A client on the internet cannot be served: the
     * internet gateway does not translate replies from the VIP. The list, or any entry, may be an
     * Output: validated once known.
     */
    allowedCidrs?: pulumi.Input<pulumi.Input<string>[]>;

    /**
     * AMI of every instance (`"ami-"` and 8 or 17 hexadecimal digits), or an Output of one (an image
     * another resource builds: validated once known). Default: the newest official Debian 12 amd64 AMI.
     */
    ami?: pulumi.Input<string>;

    /** Instance type of the director. Default `"t3.small"`. */
    directorInstanceType?: string;

    /** Instance type of the real servers. Default `"t3.small"`. */
    realServerInstanceType?: string;

    /** The instances' subnet-facing interface. Default `"ens5"` (Debian on Nitro instances). */
    interface?: string;

    /**
     * SSH to the instances' private addresses (from a bastion or VPN) instead of public ones.
     * Default false: instances get public addresses for admin SSH.
     */
    sshViaPrivateIp?: boolean;

    /** The director instance. */
    director?: LvsDrVmArgs;

    /**
     * Set (`{}` is enough) to create a second director instance: the pair shares the VIP through
     * VRRP (unicast, protocol 112 allowed between the directors only), and the master moves the
     * VIP (a secondary private address) to itself through the EC2 API. Its planned address is the
     * one just below the director's. Default: none.
     */
    backupDirector?: LvsDrVmArgs;

    /**
     * The real-server instances: at least one. At most about 2,500 entries in all (real servers x
     * services): the director's scripts carry its table in one environment string (128 KiB on
     * Linux); split larger clusters across VIPs.
     */
    realServers: LvsDrVmArgs[];
}
