import { z } from "zod";

/**
 * The homomorphic encryption parameter sets Sluice accepts, by name. Both give at least 128-bit
 * classical security by the HomomorphicEncryption.org standard (Albrecht et al., "Homomorphic
 * Encryption Security Standard", 2018, Table 1: for n = 8192 and uniform ternary secrets, log q
 * may be at most 218 bits); SEAL checks the same bound (`SecurityLevel.tc128`) when the context is
 * made, and refuses anything above it.
 */
export const HE_PARAMETER_SETS = {
  /**
   * BFV over integers: 8192 slots and a 40-bit batching prime. Aggregation only adds, so the chain
   * is three 60-bit primes (180 bits, one of them the key-switching prime) rather than SEAL's
   * default 218: ciphertexts hold 120 bits, a fresh one has ~70 bits of noise budget, and each
   * doubling of the number of owners added costs one.
   */
  "bfv-8192": {
    scheme: "bfv",
    polyModulusDegree: 8192,
    coeffModulusBits: [60, 60, 60],
    plainModulusBits: 40,
    scaleBits: null,
  },
  /** CKKS over reals: 4096 slots, a 200-bit chain (60 + 40 + 40 + 60), scale 2^40: two multiplications deep. */
  "ckks-8192": {
    scheme: "ckks",
    polyModulusDegree: 8192,
    coeffModulusBits: [60, 40, 40, 60],
    plainModulusBits: null,
    scaleBits: 40,
  },
} as const;

export type HeParameterSetId = keyof typeof HE_PARAMETER_SETS;
export const heParameterSetSchema = z.enum(Object.keys(HE_PARAMETER_SETS) as [HeParameterSetId, ...HeParameterSetId[]]);

/** The largest serialised key Sluice accepts, per kind (base64url characters): well above the real sizes, far below harm. */
export const MAX_KEY_CHARS = { publicKey: 4_000_000, relinKeys: 24_000_000, galoisKeys: 48_000_000 } as const;
