import { randomBytes } from "node:crypto";

/** A fresh random identifier with a readable prefix, e.g. `job_2f1c…` (`bytes` of randomness, hex). */
export function newId(prefix: string, bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString("hex")}`;
}
