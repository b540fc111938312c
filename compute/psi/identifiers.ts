import { normaliseUscc } from "../../lib/uscc.js";

export type IdentifierKind = "uscc" | "text";

export interface NormalisedIdentifiers {
  /** Each distinct valid identifier once, in first-seen order. */
  identifiers: string[];
  /** Positions (0-based) and values of the ones refused, with why. */
  invalid: { index: number; value: string; reason: string }[];
  /** How many repeated a valid identifier already seen. */
  duplicates: number;
}

const refusal = (kind: IdentifierKind) =>
  kind === "uscc" ? "not a unified social credit code (alphabet or check character)" : "empty";

const normaliseOne = (value: string, kind: IdentifierKind) =>
  kind === "uscc" ? normaliseUscc(value) : value.trim() || null;

/**
 * Normalises identifiers before they are hashed, so that both parties hash the same string for the
 * same entity: unified social credit codes are trimmed, upper-cased and their check character
 * verified (GB 32100-2015); text is trimmed. Invalid ones are reported, never silently dropped.
 * `onRow` hears each valid row with the position of its identifier among the distinct ones.
 */
export function normaliseIdentifiers(
  values: readonly string[],
  kind: IdentifierKind,
  onRow?: (position: number, row: number) => void,
): NormalisedIdentifiers {
  const positions = new Map<string, number>();
  const identifiers: string[] = [];
  const invalid: NormalisedIdentifiers["invalid"] = [];
  let duplicates = 0;
  values.forEach((value, index) => {
    const normalised = normaliseOne(value, kind);
    if (normalised === null) {
      invalid.push({ index, value, reason: refusal(kind) });
      return;
    }
    let position = positions.get(normalised);
    if (position === undefined) {
      position = identifiers.length;
      positions.set(normalised, position);
      identifiers.push(normalised);
    } else duplicates++;
    onRow?.(position, index);
  });
  return { identifiers, invalid, duplicates };
}

/**
 * An owner's identifiers with a numeric column totalled per identifier (an entity with several rows
 * counts once, with the sum of its rows), then clamped to [min, max] so that one entity moves a sum
 * by at most max(|min|, |max|).
 */
export function totalsByIdentifier(
  values: readonly string[],
  amounts: ArrayLike<number>,
  kind: IdentifierKind,
  bounds: { min: number; max: number },
): NormalisedIdentifiers & { totals: bigint[] } {
  const totals: bigint[] = [];
  const normalised = normaliseIdentifiers(values, kind, (position, row) => {
    totals[position] = (totals[position] ?? 0n) + BigInt(amounts[row] as number);
  });
  const min = BigInt(bounds.min);
  const max = BigInt(bounds.max);
  return { ...normalised, totals: totals.map((t) => (t < min ? min : t > max ? max : t)) };
}
