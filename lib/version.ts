/** kiln's own version, printed by `kiln version`. */
export const KILN_VERSION = "0.1.0";
