import { randomBytes } from "node:crypto";
import sodium from "sodium-native";
import { SluiceError } from "../../lib/errors.js";
import { allSquares, fromLittleEndian, isSquare, montgomeryRhs, P } from "./field.js";
import { hashToGroup } from "./hash-to-curve.js";

// ECDH-PSI on the prime-order subgroup of curve25519: identifiers are hashed to the group (RFC 9380,
// hash-to-curve.ts) and raised to a party's secret exponent with X25519 (libsodium, native). X25519
// clamps the exponent to a multiple of 8, so a point with a small-order component still lands in the
// prime-order subgroup, and exponentiation commutes: X25519(a, X25519(b, H)) = X25519(b, X25519(a, H)).

export const POINT_BYTES = 32;
/** The domain separation tag of Sluice's PSI: a hash under another tag is another function. */
export const PSI_DST = Buffer.from("SLUICE-V01-PSI-with-edwards25519_XMD:SHA-512_ELL2_NU_");

export class PsiPointError extends SluiceError {
  constructor(message: string) {
    super("psi_point_invalid", message);
  }
}

/** A fresh secret exponent for one job; never reused, never stored. */
export function newBlindingKey(): Buffer {
  return randomBytes(32);
}

function exponentiate(points: Buffer, key: Buffer, describe: (i: number) => string): Buffer {
  const out = Buffer.alloc(points.length);
  for (let offset = 0; offset < points.length; offset += POINT_BYTES) {
    try {
      sodium.crypto_scalarmult(
        out.subarray(offset, offset + POINT_BYTES),
        key,
        points.subarray(offset, offset + POINT_BYTES),
      );
    } catch {
      // libsodium refuses an all-zero result: the input was of small order (the identity among them).
      throw new PsiPointError(`${describe(offset / POINT_BYTES)} is of small order`);
    }
  }
  return out;
}

/** Hashes this party's own identifiers and raises them to its exponent: H(x)^k, 32 bytes each. */
export function blindOwn(identifiers: readonly string[], key: Buffer): Buffer {
  const hashed = hashToGroup(
    identifiers.map((id) => Buffer.from(id, "utf8")),
    PSI_DST,
  );
  return exponentiate(hashed, key, (i) => `identifier ${i}`);
}

/**
 * Raises points that came from the peer to this party's exponent, after checking each: 32 bytes,
 * a canonical u-coordinate (below p, top bit clear), on curve25519 and not its twist (a batched
 * test, 2^-40 error, then point by point to name the culprit), not of small order.
 */
export function blindPeer(points: Buffer, key: Buffer, firstIndex = 0): Buffer {
  if (points.length % POINT_BYTES !== 0) {
    throw new PsiPointError(`the points are ${points.length} bytes, not a multiple of ${POINT_BYTES}`);
  }
  const count = points.length / POINT_BYTES;
  const us: bigint[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const u = fromLittleEndian(points, i * POINT_BYTES);
    if (u >= P) throw new PsiPointError(`point ${firstIndex + i} is not a canonical u-coordinate`);
    us[i] = u;
  }
  const rhs = us.map(montgomeryRhs);
  if (!allSquares(rhs, randomBytes)) {
    const bad = rhs.findIndex((value) => !isSquare(value));
    throw new PsiPointError(`point ${firstIndex + Math.max(0, bad)} is not on curve25519 (it is on the twist)`);
  }
  return exponentiate(points, key, (i) => `point ${firstIndex + i}`);
}
