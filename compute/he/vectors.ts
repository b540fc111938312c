import { createHash } from "node:crypto";
import { SluiceError } from "../../lib/errors.js";
import type { HeParameterSetId } from "./params.js";
import { contextFor } from "./seal.js";

// Integer vectors under BFV: encrypted by owners under the operator's public key, added by the
// gateway without reading them, decrypted only by the operator. Every SEAL object is freed on
// every path; anything from the network is checked before it is used.

export const MAX_CIPHERTEXT_CHARS = 2_000_000;

export class CiphertextError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ciphertext_invalid", message, options);
  }
}

type Deletable = { delete(): void } | undefined;
const free = (...objects: Deletable[]) => {
  for (const object of objects) object?.delete();
};

const limits = new Map<HeParameterSetId, { slots: number; maxAbs: bigint }>();

/** The largest magnitude a slot can hold and still decode to the right signed integer. */
export async function slotLimit(paramSet: HeParameterSetId): Promise<{ slots: number; maxAbs: bigint }> {
  let limit = limits.get(paramSet);
  if (!limit) {
    const { context } = await contextFor(paramSet);
    const data = context.keyContextData;
    const parms = data.parms;
    const modulus = parms.plainModulus;
    limit = { slots: parms.polyModulusDegree, maxAbs: (modulus.value - 1n) / 2n };
    free(modulus, parms, data);
    limits.set(paramSet, limit);
  }
  return limit;
}

type Seal = Awaited<ReturnType<typeof contextFor>>["seal"];
export const uncompressed = (seal: Seal) => seal.ComprModeType.none;
interface Encrypting {
  publicKey: ReturnType<Seal["PublicKey"]>;
  encryptor: ReturnType<Seal["Encryptor"]>;
  encoder: ReturnType<Seal["BatchEncoder"]>;
}

// Parsing a 700 KB public key costs several times an encryption: the last few keys stay loaded,
// and are freed when they fall out.
const MAX_LOADED_KEYS = 4;
const loadedKeys = new Map<string, Encrypting>();

async function encryptingWith(paramSet: HeParameterSetId, publicKeyText: string): Promise<Encrypting> {
  const cacheKey = `${paramSet}:${createHash("sha256").update(publicKeyText).digest("hex")}`;
  const cached = loadedKeys.get(cacheKey);
  if (cached) return cached;
  const { seal, context } = await contextFor(paramSet);
  const publicKey = seal.PublicKey();
  try {
    publicKey.load(context, publicKeyText);
  } catch (cause) {
    publicKey.delete();
    throw new CiphertextError(`cannot encrypt under this key: ${String(cause).slice(0, 200)}`, { cause });
  }
  const loaded = { publicKey, encryptor: seal.Encryptor(context, publicKey), encoder: seal.BatchEncoder(context) };
  if (loadedKeys.size >= MAX_LOADED_KEYS) {
    const [oldest, evicted] = loadedKeys.entries().next().value as [string, Encrypting];
    loadedKeys.delete(oldest);
    free(evicted.encryptor, evicted.encoder, evicted.publicKey);
  }
  loadedKeys.set(cacheKey, loaded);
  return loaded;
}

/** Encrypts signed integers (one per slot, the rest zero) under a public key; returns SEAL's base64. */
export async function encryptVector(paramSet: HeParameterSetId, publicKeyText: string, values: readonly bigint[]) {
  const { slots, maxAbs } = await slotLimit(paramSet);
  if (values.length > slots) throw new CiphertextError(`${values.length} values do not fit in ${slots} slots`);
  const outOfRange = values.findIndex((v) => v > maxAbs || v < -maxAbs);
  if (outOfRange >= 0) throw new CiphertextError(`value ${outOfRange} is beyond ±${maxAbs}, what a slot holds`);
  const { encryptor, encoder } = await encryptingWith(paramSet, publicKeyText);
  const { seal } = await contextFor(paramSet);
  let plain: Deletable;
  let cipher: Deletable;
  try {
    const padded = new BigInt64Array(slots);
    values.forEach((v, i) => {
      padded[i] = v;
    });
    plain = encoder.encode(padded) as { delete(): void };
    const encrypted = encryptor.encrypt(plain as never);
    if (!encrypted) throw new CiphertextError("SEAL returned no ciphertext");
    cipher = encrypted;
    // Uncompressed: a ciphertext's coefficients look uniform, and compressing them only costs time.
    return encrypted.save(uncompressed(seal));
  } catch (cause) {
    if (cause instanceof CiphertextError) throw cause;
    throw new CiphertextError(`cannot encrypt under this key: ${String(cause).slice(0, 200)}`, { cause });
  } finally {
    free(plain, cipher);
  }
}

/**
 * Adds ciphertexts that arrived from the nodes, after checking each: its size, that SEAL loads it
 * under the parameter set, that it has two components at the top of the modulus chain (a fresh
 * encryption), and that it is not transparent (an encryption of nothing, which would reveal).
 */
export async function addCiphertexts(paramSet: HeParameterSetId, texts: readonly string[]): Promise<string> {
  const { seal, context } = await contextFor(paramSet);
  const evaluator = seal.Evaluator(context);
  const loaded: ReturnType<typeof seal.CipherText>[] = [];
  let sum: Deletable;
  try {
    for (const [i, text] of texts.entries()) {
      if (text.length > MAX_CIPHERTEXT_CHARS)
        throw new CiphertextError(`ciphertext ${i} is larger than ${MAX_CIPHERTEXT_CHARS} characters`);
      const cipher = seal.CipherText();
      loaded.push(cipher);
      try {
        cipher.load(context, text);
      } catch (cause) {
        throw new CiphertextError(`ciphertext ${i} is not a ${paramSet} ciphertext: ${String(cause).slice(0, 200)}`, {
          cause,
        });
      }
      if (cipher.size !== 2)
        throw new CiphertextError(`ciphertext ${i} has ${cipher.size} components; a fresh one has 2`);
      if (cipher.isTransparent) throw new CiphertextError(`ciphertext ${i} is transparent: it encrypts nothing`);
      if (!cipher.parmsId.values.every((v, j) => v === context.firstParmsId.values[j])) {
        throw new CiphertextError(`ciphertext ${i} is not at the top of the modulus chain`);
      }
    }
    const [first, ...rest] = loaded;
    if (!first) throw new CiphertextError("there is nothing to add");
    const total = first.clone();
    sum = total;
    for (const cipher of rest) evaluator.add(total, cipher, total);
    return total.save(uncompressed(seal));
  } finally {
    free(evaluator, sum, ...loaded);
  }
}

/** Decrypts on the operator's machine with its secret key: the first `length` slots, signed. */
export async function decryptVector(paramSet: HeParameterSetId, secretKeyText: string, text: string, length: number) {
  const { seal, context } = await contextFor(paramSet);
  const secretKey = seal.SecretKey();
  const encoder = seal.BatchEncoder(context);
  const cipher = seal.CipherText();
  let decryptor: Deletable;
  let plain: Deletable;
  try {
    secretKey.load(context, secretKeyText);
    cipher.load(context, text);
    const d = seal.Decryptor(context, secretKey);
    decryptor = d;
    const p = d.decrypt(cipher);
    if (!p) throw new CiphertextError("SEAL returned no plaintext");
    plain = p;
    return Array.from((encoder.decodeBigInt(p, true) as BigInt64Array).subarray(0, length));
  } catch (cause) {
    throw new CiphertextError(`cannot decrypt this result with this key: ${String(cause).slice(0, 200)}`, { cause });
  } finally {
    free(secretKey, encoder, cipher, decryptor, plain);
  }
}
