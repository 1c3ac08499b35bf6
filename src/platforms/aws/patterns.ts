/** What AWS values look like: whitelists, as every pattern of the checker (`core/checker.ts`). */
import { broadcastOf, formatIpv4, type Ipv4Cidr } from "../../core/ip";

/** AWS resource IDs: a prefix per kind, then 8 (older) or 17 hexadecimal digits. */
export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const AWS_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
export const AWS_ZONE = /^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$/;

/** Addresses AWS keeps in every subnet: network, router (+1), DNS (+2), future use (+3), broadcast. */
export function awsReserved(subnet: Ipv4Cidr): string[] {
    return [0, 1, 2, 3].map((i) => formatIpv4(subnet.network + i)).concat(formatIpv4(broadcastOf(subnet)));
}
