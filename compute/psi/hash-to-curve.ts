import { createHash } from "node:crypto";
import sodium from "sodium-native";
import { batchInvert, fromLittleEndian, mod, P, toLittleEndian } from "./field.js";

// RFC 9380 encode_to_curve with the suite edwards25519_XMD:SHA-512_ELL2_NU_: hash_to_field with
// expand_message_xmd (SHA-512), then Elligator 2 and cofactor clearing by libsodium
// (crypto_core_ed25519_from_uniform). The result is a point of the prime-order subgroup; Sluice
// keeps only its Montgomery u-coordinate, which X25519 works on and which does not depend on the
// sign of x (libsodium and RFC 9380 fix that sign differently; the u-coordinate is the same).

const L_BYTES = 48; // ceil((ceil(log2 p) + k) / 8) with k = 128
const HASH_BYTES = 64;
const BLOCK_BYTES = 128;

/** RFC 9380 §5.3.1 expand_message_xmd with SHA-512. */
export function expandMessageXmd(message: Uint8Array, dst: Uint8Array, lengthInBytes: number): Buffer {
  const ell = Math.ceil(lengthInBytes / HASH_BYTES);
  if (ell > 255 || lengthInBytes > 65_535 || dst.length > 255) throw new RangeError("expand_message_xmd: too long");
  const dstPrime = Buffer.concat([dst, Buffer.from([dst.length])]);
  const b0 = createHash("sha512")
    .update(Buffer.alloc(BLOCK_BYTES))
    .update(message)
    .update(Buffer.from([lengthInBytes >> 8, lengthInBytes & 0xff, 0]))
    .update(dstPrime)
    .digest();
  let previous = createHash("sha512")
    .update(b0)
    .update(Buffer.from([1]))
    .update(dstPrime)
    .digest();
  const blocks = [previous];
  for (let i = 2; i <= ell; i++) {
    const mixed = Buffer.alloc(HASH_BYTES);
    for (let j = 0; j < HASH_BYTES; j++) mixed[j] = (b0[j] as number) ^ (previous[j] as number);
    previous = createHash("sha512")
      .update(mixed)
      .update(Buffer.from([i]))
      .update(dstPrime)
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, lengthInBytes);
}

/** RFC 9380 hash_to_field for GF(2^255 − 19), one element, as its 32-byte little-endian encoding. */
export function hashToField(message: Uint8Array, dst: Uint8Array): Buffer {
  const uniform = expandMessageXmd(message, dst, L_BYTES);
  const out = Buffer.alloc(32);
  toLittleEndian(BigInt(`0x${uniform.toString("hex")}`) % P, out);
  return out;
}

/** encode_to_curve: the Edwards encoding of the point (its x sign as libsodium chose it). */
export function encodeToCurve(message: Uint8Array, dst: Uint8Array): Buffer {
  const point = Buffer.alloc(32);
  sodium.crypto_core_ed25519_from_uniform(point, hashToField(message, dst));
  return point;
}

/**
 * The Montgomery u-coordinates of Edwards points, u = (1 + y) / (1 − y), written into `out` (32
 * bytes each), with one inversion for the whole batch. No point here has y = 1 (the identity).
 */
export function edwardsToMontgomery(points: readonly Uint8Array[], out: Uint8Array): void {
  const ys = points.map((p) => fromLittleEndian(p) & ((1n << 255n) - 1n));
  const inverses = batchInvert(ys.map((y) => mod(1n - y)));
  ys.forEach((y, i) => {
    toLittleEndian(((1n + y) * (inverses[i] as bigint)) % P, out, i * 32);
  });
}

/** Hashes identifiers to the group: their Montgomery u-coordinates, 32 bytes each, in order. */
export function hashToGroup(messages: readonly Uint8Array[], dst: Uint8Array): Buffer {
  const out = Buffer.alloc(messages.length * 32);
  edwardsToMontgomery(
    messages.map((m) => encodeToCurve(m, dst)),
    out,
  );
  return out;
}
