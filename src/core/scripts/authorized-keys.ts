/**
 * The SSH login user's authorized keys on a machine a platform created (see
 * sh/authorized-keys.sh). The keys travel as quoted arguments of one call: the text names them
 * all, so a changed list is a changed create text, which the engine runs again in place.
 */
import { call, script } from "./render";

export function renderAuthorizedKeys(keys: string[]): string {
    return script("lvs-dr: the SSH login user's authorized keys, exactly the cluster's", ["common", "authorized-keys"],
        call("write_authorized_keys", ...keys));
}
