/** The names the AWS platform gives: instances and tags. Changing one replaces resources in every stack. */

/** The EC2 instance of a host: `<cluster>-<role>` (also its Name tag). */
export function instanceResourceName(cluster: string, role: string): string {
    return `${cluster}-${role}`;
}

/** Tags of every AWS resource of a cluster: its Name and the cluster it belongs to. */
export function awsTags(cluster: string, role: string): Record<string, string> {
    return { Name: `${cluster}-${role}`, "lvs-dr:cluster": cluster };
}
