/** The names the AWS platform gives: instances and tags. Changing one replaces resources in every stack. */

/** The EC2 instance of a host: `<cluster>-<role>` (also its Name tag). */
export function instanceResourceName(cluster: string, role: string): string {
    return `${cluster}-${role}`;
}

/** Tags of every AWS resource of a cluster: its Name and the cluster it belongs to. */
export function awsTags(cluster: string, role: string): Record<string, string> {
    return { Name: `${cluster}-${role}`, "lvs-dr:cluster": cluster };
}

/**
 * The tag an instance carries with the fingerprint of the host key in its user data. Instances
 * created before lvs-dr made host keys lack it (their user data is never changed in place: that
 * would stop and start them), and are reached unverified.
 */
export const HOST_KEY_TAG = "lvs-dr:host-key";
