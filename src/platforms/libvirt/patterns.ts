/** What libvirt values look like: whitelists, as every pattern of the checker (`core/checker.ts`). */
export const LIBVIRT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const LIBVIRT_URI = /^(qemu|qemu\+ssh|qemu\+tcp|qemu\+tls|qemu\+unix|test):\/\/[A-Za-z0-9@._:/?=&-]*$/;
export const KERNEL_CMDLINE = /^[A-Za-z0-9_.,:=/ +-]{0,1024}$/;
