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

/** Why a value of this kind was refused. */
export const refusalOf = (kind: IdentifierKind) =>
  kind === "uscc" ? "not a unified social credit code (alphabet or check character)" : "empty";

/** One value as both parties hash it, or null when it is no identifier of its kind. */
export const normaliseIdentifier = (value: string, kind: IdentifierKind) =>
  kind === "uscc" ? normaliseUscc(value) : value.trim() || null;

/**
 * Normalises identifiers before they are hashed, so that both parties hash the same string for the
 * same entity: unified social credit codes are trimmed, upper-cased and their check character
 * verified (GB 32100-2015); text is trimmed. Invalid ones are reported, never silently dropped.
 * Values may be added a slice at a time, so that millions need not hold the event loop at once;
 * `onRow` hears each valid row with the position of its identifier among the distinct ones.
 */
export class IdentifierNormaliser {
  private readonly positions = new Map<string, number>();
  private readonly found: NormalisedIdentifiers = { identifiers: [], invalid: [], duplicates: 0 };

  constructor(
    private readonly kind: IdentifierKind,
    private readonly onRow?: (position: number, row: number) => void,
  ) {}

  add(values: readonly string[], from = 0, to = values.length): void {
    const { identifiers, invalid } = this.found;
    for (let index = from; index < to; index++) {
      const value = values[index] as string;
      const normalised = normaliseIdentifier(value, this.kind);
      if (normalised === null) {
        invalid.push({ index, value, reason: refusalOf(this.kind) });
        continue;
      }
      let position = this.positions.get(normalised);
      if (position === undefined) {
        position = identifiers.length;
        this.positions.set(normalised, position);
        identifiers.push(normalised);
      } else this.found.duplicates++;
      this.onRow?.(position, index);
    }
  }

  result(): NormalisedIdentifiers {
    return this.found;
  }
}

export function normaliseIdentifiers(values: readonly string[], kind: IdentifierKind): NormalisedIdentifiers {
  const normaliser = new IdentifierNormaliser(kind);
  normaliser.add(values);
  return normaliser.result();
}

/**
 * An owner's identifiers with a numeric column totalled per identifier (an entity with several rows
 * counts once, with the sum of its rows), then clamped to [min, max] so that one entity moves a sum
 * by at most max(|min|, |max|). `add` slices as the normaliser does; `result` clamps.
 */
export class IdentifierTotals {
  private readonly totals: bigint[] = [];
  private readonly normaliser: IdentifierNormaliser;
  private amounts: ArrayLike<number> = [];

  constructor(
    kind: IdentifierKind,
    private readonly bounds: { min: number; max: number },
  ) {
    this.normaliser = new IdentifierNormaliser(kind, (position, row) => {
      this.totals[position] = (this.totals[position] ?? 0n) + BigInt(this.amounts[row] as number);
    });
  }

  /** Adds rows `from` to `to` of a slice of identifiers and the amounts of the same rows. */
  add(values: readonly string[], amounts: ArrayLike<number>, from = 0, to = values.length): void {
    this.amounts = amounts;
    this.normaliser.add(values, from, to);
  }

  result(): NormalisedIdentifiers & { totals: bigint[] } {
    const min = BigInt(this.bounds.min);
    const max = BigInt(this.bounds.max);
    return {
      ...this.normaliser.result(),
      totals: this.totals.map((t) => (t < min ? min : t > max ? max : t)),
    };
  }
}

export function totalsByIdentifier(
  values: readonly string[],
  amounts: ArrayLike<number>,
  kind: IdentifierKind,
  bounds: { min: number; max: number },
): NormalisedIdentifiers & { totals: bigint[] } {
  const totals = new IdentifierTotals(kind, bounds);
  totals.add(values, amounts);
  return totals.result();
}
