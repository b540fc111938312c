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

/**
 * Normalises identifiers before they are hashed, so that both parties hash the same string for the
 * same entity: unified social credit codes are trimmed, upper-cased and their check character
 * verified (GB 32100-2015); text is trimmed. Invalid ones are reported, never silently dropped.
 */
export function normaliseIdentifiers(values: readonly string[], kind: IdentifierKind): NormalisedIdentifiers {
  const seen = new Set<string>();
  const identifiers: string[] = [];
  const invalid: NormalisedIdentifiers["invalid"] = [];
  let duplicates = 0;
  values.forEach((value, index) => {
    const normalised = kind === "uscc" ? normaliseUscc(value) : value.trim() || null;
    if (normalised === null) {
      invalid.push({
        index,
        value,
        reason: kind === "uscc" ? "not a unified social credit code (alphabet or check character)" : "empty",
      });
      return;
    }
    if (seen.has(normalised)) duplicates++;
    else {
      seen.add(normalised);
      identifiers.push(normalised);
    }
  });
  return { identifiers, invalid, duplicates };
}
