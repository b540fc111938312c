import { yuanDigits } from "../../lib/money.js";
import { MICRO_EPSILON } from "../../policies/index.js";

/** Fen (the unit fees are kept in) as yuan, e.g. 12345 → "¥123.45". */
export function yuan(fen: number): string {
  const digits = yuanDigits(fen);
  return digits.startsWith("-") ? `-¥${digits.slice(1)}` : `¥${digits}`;
}

/** Micro-ε as ε, without trailing zeros. */
export const epsilon = (micro: number): string => String(micro / MICRO_EPSILON);

/** An instant in UTC to the second, the way the ledger stores it. */
export function instant(at: Date | string | null | undefined): string {
  if (!at) return "";
  const date = typeof at === "string" ? new Date(at) : at;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Basis points as a percentage, e.g. 1250 → "12.5%". */
export const percent = (basisPoints: number): string => `${basisPoints / 100}%`;

/** A long hash or id shortened for a table cell (the whole value stays in its title). */
export const short = (value: string, keep = 10): string =>
  value.length > keep * 2 + 1 ? `${value.slice(0, keep)}…${value.slice(-6)}` : value;
