/**
 * An amount kept in integer fen as yuan digits, exactly (no floating point on the way), with
 * thousands separators: 123456789 → "1,234,567.89", -5 → "-0.05".
 */
export function yuanDigits(fen: number | bigint): string {
  if (typeof fen === "number" && !Number.isSafeInteger(fen))
    throw new RangeError(`${fen} is not a whole number of fen`);
  const value = BigInt(fen);
  const abs = value < 0n ? -value : value;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${value < 0n ? "-" : ""}${whole}.${(abs % 100n).toString().padStart(2, "0")}`;
}
