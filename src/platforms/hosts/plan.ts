/** The hosts platform's part of the plan: machines that already exist, nothing to create. */
export interface HostsPlatformPlan {
    kind: "hosts";
}
