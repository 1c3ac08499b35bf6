/** The systemd unit that replays a host's kernel state at every boot. */
import type { HostPaths } from "../names";
import { call, writeFile } from "./render";

export interface BootUnit {
    description: string;
    /** [Unit] lines that place it in the boot sequence. */
    ordering: string[];
}

/** Setup lines: write the up-script and a oneshot unit running it, enable the unit. */
export function installBootUnit(p: HostPaths, unit: BootUnit, upScript: string): string[] {
    const unitText = `[Unit]
Description=${unit.description}
${unit.ordering.join("\n")}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh ${p.upScript}

[Install]
WantedBy=multi-user.target
`;
    return [
        writeFile(p.upScript, "0755", upScript),
        writeFile(p.unitFile, "0644", unitText),
        call("enable_unit", p.unitName, p.unitWantsLink),
    ];
}

/** Teardown lines: stop and remove the unit, its link and the up-script. */
export function removeBootUnit(p: HostPaths): string {
    return [call("remove_unit", p.unitName, p.unitFile, p.unitWantsLink), call("remove_file", p.upScript)].join("\n");
}
