import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "../../lib/canonical-json.js";
import { signBytes, verifyBytes } from "../../lib/ed25519.js";
import { helperInputSchema } from "./helper-input.js";
import { MAX_PSI_ITEMS } from "./limits.js";
import { psiPlanSchema } from "./protocol.js";

// The gateway's requests to the helper node, which releases what neither the operator nor an owner
// may see whole: a PSI-sum (its share of the matched entities' totals, with the noise) and a
// two-owner size (the noisy count of the combined membership bits).

const id = z.string().min(1).max(128);
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature is 64 bytes of base64url");
const signedPlan = z.strictObject({ plan: psiPlanSchema, signature });

/** A bitmap over positions, bit i of byte ⌊i/8⌋ (least significant first), base64. */
export const bitmapSchema = z
  .string()
  .max(Math.ceil(MAX_PSI_ITEMS / 8 / 3) * 4 + 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "a bitmap is base64");

/** PSI-sum: the owner's sealed seed of the helper's shares, and which of the owner's shuffled entities the operator found in its set. */
export const psiSumReleaseSchema = z.strictObject({
  ...signedPlan.shape,
  seed: helperInputSchema,
  matched: bitmapSchema,
});
export type PsiSumRelease = z.infer<typeof psiSumReleaseSchema>;

/** Two owners: both plans (one job) and each owner's sealed membership bits over the operator's points. */
export const psiCombineReleaseSchema = z.strictObject({
  plans: z.tuple([signedPlan, signedPlan]),
  bits: z.tuple([helperInputSchema, helperInputSchema]),
});
export type PsiCombineRelease = z.infer<typeof psiCombineReleaseSchema>;

/** The helper's answer: for a sum, its noisy share of the total; for two owners, the noisy size. Null below k. */
export const psiHelperReleaseSchema = z.strictObject({
  jobId: id,
  nodeId: id,
  kind: z.enum(["sum", "combined"]),
  /** A sum: how many entities the operator named (which PSI-sum reveals to it anyway). */
  matched: z.number().int().min(0).nullable(),
  /** A two-owner size, noisy. */
  size: z.number().int().nullable(),
  /** A sum: the helper's share of the total plus the noise, a ring element in decimal. */
  partial: z
    .string()
    .regex(/^\d{1,39}$/)
    .nullable(),
  suppressed: z.boolean(),
  signature,
});
export type PsiHelperRelease = z.infer<typeof psiHelperReleaseSchema>;

const message = (r: Omit<PsiHelperRelease, "signature">) =>
  canonicalize({ kind: "sluice/psi-helper-release", body: r });

export const signPsiHelperRelease = (
  r: Omit<PsiHelperRelease, "signature">,
  key: KeyObject | string,
): PsiHelperRelease => ({ ...r, signature: signBytes(key, message(r)) });

export const verifyPsiHelperRelease = ({ signature: sig, ...r }: PsiHelperRelease, key: string) =>
  verifyBytes(key, message(r), sig);

/** Decodes a bitmap of exactly `count` positions; bits past the last position must be clear. */
export function decodeBitmap(text: string, count: number): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== Math.ceil(count / 8)) {
    throw new RangeError(`a bitmap over ${count} positions is ${Math.ceil(count / 8)} bytes, not ${bytes.length}`);
  }
  const spare = count % 8;
  if (spare !== 0 && (bytes[bytes.length - 1] as number) >> spare !== 0) {
    throw new RangeError(`the bitmap marks positions past the last (${count})`);
  }
  return bytes;
}

/** Sets bit i of a bitmap (least significant first in each byte). */
export function setBit(bitmap: Uint8Array, i: number): void {
  bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
}

export function encodeBitmap(bits: readonly boolean[]): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) setBit(bytes, i);
  });
  return bytes;
}

export const bitAt = (bitmap: Uint8Array, i: number) => (((bitmap[i >> 3] as number) >> (i & 7)) & 1) === 1;
