import { randomUUID } from "node:crypto";

/** A fresh random identifier with a readable prefix, e.g. `job_2f1c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}
