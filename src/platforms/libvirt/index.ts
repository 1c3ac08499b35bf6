/** The `libvirt` platform: VMs on a hypervisor, on an isolated network it creates or on an existing one. */
import type { Platform } from "../platform";
import { libvirtHosts } from "./hosts";
import type { LibvirtPlatformPlan } from "./plan";
import { validateLibvirt } from "./validate";

export const libvirtPlatform: Platform<LibvirtPlatformPlan> = { validate: validateLibvirt, createHosts: libvirtHosts, summary: "VMs on a hypervisor" };
