/**
 * What the options a user gives the component mean for its children. Pulumi passes `protect` and
 * `providers` (`provider`) down by itself; `dependsOn`, `retainOnDelete` and `customTimeouts` stay
 * on the component, where they do nothing a user wants: a component has no create to order, no
 * delete to skip, no operation to time. So they are handed to every resource the cluster makes,
 * through a transformation on the component (transformations apply to all its descendants).
 */
import * as pulumi from "@pulumi/pulumi";

/** The component's options with one transformation more, first, that gives its children those three. */
export function withChildOptions(opts: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions {
    const { dependsOn, retainOnDelete, customTimeouts } = opts;
    if (dependsOn === undefined && retainOnDelete === undefined && customTimeouts === undefined) {
        return opts;
    }
    const inherit: pulumi.ResourceTransformation = (args) => {
        const own = args.opts;
        return {
            props: args.props,
            opts: {
                ...own,
                ...(dependsOn !== undefined ? { dependsOn: joined(own.dependsOn, dependsOn) } : {}),
                // A child's own retainOnDelete wins: a gone host's commands never run their delete.
                ...(retainOnDelete !== undefined && own.retainOnDelete === undefined ? { retainOnDelete } : {}),
                // The user's timeouts win over the platform's defaults (a new VM's 20 minutes to
                // answer SSH), operation by operation.
                ...(customTimeouts !== undefined ? { customTimeouts: { ...(own as pulumi.CustomResourceOptions).customTimeouts, ...customTimeouts } } : {}),
            },
        };
    };
    return { ...opts, transformations: [inherit, ...(opts.transformations ?? [])] };
}

type DependsOn = pulumi.ResourceOptions["dependsOn"];

/** Both lists of dependencies as one (either may be a resource, a list, or an Output of them). */
function joined(a: DependsOn, b: DependsOn): DependsOn {
    if (a === undefined) {
        return b;
    }
    const plain = (d: DependsOn): d is pulumi.Resource | pulumi.Resource[] =>
        Array.isArray(d) ? d.every((r) => pulumi.Resource.isInstance(r)) : pulumi.Resource.isInstance(d);
    if (plain(a) && plain(b)) {
        return [...[a].flat(), ...[b].flat()];
    }
    // output() leaves resources as they are and waits for the rest.
    return pulumi.output([a, b] as pulumi.Input<unknown>[]).apply((lists) => lists.flat(2) as pulumi.Resource[]);
}
