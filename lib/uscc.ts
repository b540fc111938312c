// GB 32100-2015: the unified social credit code (统一社会信用代码) is 18 characters from a
// 31-character alphabet; the last is a check character over the first 17 (ISO 7064 style, mod 31).
const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
/** Each character code's value in the alphabet, −1 for a character outside it (PSI normalises millions). */
const VALUES = Int8Array.from({ length: 128 }, (_, code) => ALPHABET.indexOf(String.fromCharCode(code)));

/** The weighted sum of the first 17 characters, or −1 − i when character i is outside the alphabet. */
function weightedSum(code: string): number {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = VALUES[code.charCodeAt(i)] ?? -1;
    if (value < 0) return -1 - i;
    sum += value * (WEIGHTS[i] as number);
  }
  return sum;
}

/** The check character for the first 17 characters of a unified social credit code. */
export function usccCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError(`expected 17 characters, got ${first17.length}`);
  const sum = weightedSum(first17);
  if (sum < 0) {
    const at = -1 - sum;
    throw new RangeError(`character ${JSON.stringify(first17.charAt(at))} at ${at + 1} is not allowed`);
  }
  return ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/** Upper-cases and trims a code; returns it when its alphabet and check character are valid, else null. */
export function normaliseUscc(input: string): string | null {
  const code = input.trim().toUpperCase();
  if (code.length !== 18) return null;
  const sum = weightedSum(code);
  if (sum < 0) return null;
  return ALPHABET.charCodeAt((31 - (sum % 31)) % 31) === code.charCodeAt(17) ? code : null;
}

/** Builds a valid code from a registration-authority prefix, a region code and an organisation number. */
export function makeUscc(authorityAndType: string, regionCode: string, organisation: string): string {
  const first17 = `${authorityAndType}${regionCode}${organisation}`;
  return first17 + usccCheckCharacter(first17);
}
