import { yuanDigits } from "../../lib/money.js";
import { configuredTimeZone, zonedDateTime } from "../../lib/time-zone.js";

// How the CLI writes numbers, amounts, times and tables for a person reading a terminal; --json
// prints the gateway's values untouched instead.

/** A count with thousands separators: 1234567 → "1,234,567". */
export const count = (n: number | null): string =>
  n === null ? "—" : n.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** Integer fen as yuan, exactly: 123456 → "1,234.56 元". */
export const yuan = (fen: number | bigint): string => `${yuanDigits(fen)} 元`;

/** A field kept in fen (by the catalogue's convention, its name ends in _fen). */
export const isFen = (field: string): boolean => /_fen$/.test(field);

/**
 * A released value of `field`: yuan for a field kept in fen (a mean rounded to the fen), otherwise
 * a whole number with separators or a fraction to two places. null is what was withheld.
 */
export function measured(value: number | string | null, field: string | undefined): string {
  if (value === null) return "—";
  const fen = field !== undefined && isFen(field);
  // A whole value released as text (a sum may pass 2^53) stays exact.
  if (typeof value === "string" && /^-?\d+$/.test(value)) {
    return fen ? yuan(BigInt(value)) : BigInt(value).toLocaleString("en-US");
  }
  const number = Number(value);
  if (fen) return yuan(Math.round(number));
  return Number.isInteger(number)
    ? count(number)
    : number.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** The time zone times are shown in: SLUICE_TIME_ZONE, else China Standard Time. */
export const timeZone = configuredTimeZone;

/** An instant in the reader's time zone to the minute: "2026-12-04 09:30 (Asia/Shanghai)". */
export function instant(at: string | Date | null | undefined, zone = timeZone()): string {
  if (!at) return "—";
  const date = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  return `${zonedDateTime(date, zone).slice(0, 16)} (${zone})`;
}

/** Columns a character takes in a terminal: two for the wide scripts (CJK, full-width forms). */
function width(text: string): number {
  let columns = 0;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    columns += wide ? 2 : 1;
  }
  return columns;
}

/**
 * Rows under their headers, each column as wide as its widest cell; columns named in `right`
 * (numbers) are aligned to the right.
 */
export function table(headers: string[], rows: string[][], right: number[] = []): string {
  const widths = headers.map((h, c) => Math.max(width(h), ...rows.map((row) => width(row[c] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => {
        const pad = " ".repeat((widths[c] as number) - width(cell));
        return right.includes(c) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}
