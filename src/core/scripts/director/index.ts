/** The director's scripts: the host (setup, up, teardown), its rules (the keepalived table) and their table. */
export { directorSysctls, renderDirectorSetup, renderDirectorTeardown, renderDirectorUp } from "./host";
export { desiredIpvsRules, forwardingFlag, serviceSelector, TABLE_LIMIT, tableBytes } from "./ipvs-table";
export { drainCall, keepalivedFileVariables, renderDirectorRules, renderDirectorRulesRemoval } from "./rules";
