export * from "./args";
export { LvsDrCluster } from "./component/cluster";
export type { LvsDrBgpDirectorState, LvsDrBgpSessionState } from "./component/cluster";
export { LvsDrArgsError, validateClusterArgs } from "./component/validate";
export type { ArgsProblem } from "./component/validate";
export type { ClusterPlan, HostPlan, RealServerPlan, ServicePlan } from "./core/plan";
export { SCHEDULERS } from "./core/plan";
