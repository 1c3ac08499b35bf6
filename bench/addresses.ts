/**
 * Addresses of the clusters the benchmark only renders or applies to a director's table: in
 * 198.18.0.0/15, the block RFC 2544 sets aside for benchmarking. Nothing is ever sent to them: the
 * director-side runs use health checks of kind `none` and carry no traffic.
 */
export const benchHosts = {
    vip: "198.18.0.100",
    director: "198.18.0.10",
    backupDirector: "198.18.0.9",
    /** `n` real servers from 198.18.1.1 on, 250 per /24 (up to 125,000). */
    realServers(n: number): string[] {
        return Array.from({ length: n }, (_, i) => `198.18.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    },
};
