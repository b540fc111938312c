import { yuanDigits } from "../../lib/money.js";
import { zonedDateTime } from "../../lib/time-zone.js";
import { MICRO_EPSILON } from "../../policies/index.js";

/** Fen (the unit fees are kept in) as yuan, e.g. 12345 → "¥123.45". */
export function yuan(fen: number): string {
  const digits = yuanDigits(fen);
  return digits.startsWith("-") ? `-¥${digits.slice(1)}` : `¥${digits}`;
}

/** Micro-ε as ε, without trailing zeros. */
export const epsilon = (micro: number): string => String(micro / MICRO_EPSILON);

/** An instant on the wall clock of the viewer's zone, to the second. */
export function instant(at: Date | string | null | undefined, zone: string): string {
  if (!at) return "";
  const date = typeof at === "string" ? new Date(at) : at;
  return Number.isNaN(date.getTime()) ? String(at) : zonedDateTime(date, zone);
}

/** Basis points as a percentage, e.g. 1250 → "12.5%". */
export const percent = (basisPoints: number): string => `${basisPoints / 100}%`;

/** A long hash or id shortened for a table cell (the whole value stays in its title). */
export const short = (value: string, keep = 10): string =>
  value.length > keep * 2 + 1 ? `${value.slice(0, keep)}…${value.slice(-6)}` : value;

/** A count with thousands separators, 12345 → "12,345". */
export const count = (n: number): string => n.toLocaleString("en-US");
