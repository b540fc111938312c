import { canonicalHash } from "../../lib/canonical-json.js";
import { SluiceError } from "../../lib/errors.js";
import { HE_PARAMETER_SETS, type HeParameterSetId, MAX_KEY_CHARS } from "./params.js";
import { contextFor } from "./seal.js";

/** What travels: the public key and, when the computation needs them, relinearisation and Galois keys. */
export interface HePublicKeys {
  paramSet: HeParameterSetId;
  publicKey: string;
  relinKeys?: string;
  galoisKeys?: string;
}

/** What the operator keeps on its own machine: the public keys and the secret key. Never sent. */
export interface HeKeyFile extends HePublicKeys {
  kind: "sluice-he-keys";
  secretKey: string;
  /** SHA-256 of the public keys (RFC 8785 canonical JSON); the gateway reports the same. */
  fingerprint: string;
}

export class HeKeyError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("he_key_invalid", message, options);
  }
}

export function fingerprintOf(keys: HePublicKeys): string {
  return canonicalHash({
    paramSet: keys.paramSet,
    publicKey: keys.publicKey,
    relinKeys: keys.relinKeys ?? null,
    galoisKeys: keys.galoisKeys ?? null,
  });
}

/** Only the public parts, picked one by one: whatever else the object holds stays behind. */
export function publicPartOf(keys: HePublicKeys): HePublicKeys {
  return {
    paramSet: keys.paramSet,
    publicKey: keys.publicKey,
    ...(keys.relinKeys ? { relinKeys: keys.relinKeys } : {}),
    ...(keys.galoisKeys ? { galoisKeys: keys.galoisKeys } : {}),
  };
}

/**
 * Generates an operator's key set on its own machine. Public, relinearisation and Galois keys are
 * saved in SEAL's seeded (half-size) form; every SEAL object is freed before returning.
 */
export async function generateHeKeys(
  paramSet: HeParameterSetId,
  options: { relinKeys?: boolean; galoisSteps?: number[] } = {},
): Promise<HeKeyFile> {
  const { seal, context } = await contextFor(paramSet);
  const keygen = seal.KeyGenerator(context);
  const secret = keygen.secretKey();
  const publicKey = keygen.createPublicKeySerializable();
  const relin = options.relinKeys ? keygen.createRelinKeysSerializable() : undefined;
  const galois = options.galoisSteps
    ? keygen.createGaloisKeysSerializable(Int32Array.from(options.galoisSteps))
    : undefined;
  try {
    const keys: HePublicKeys = {
      paramSet,
      publicKey: publicKey.save(),
      ...(relin ? { relinKeys: relin.save() } : {}),
      ...(galois ? { galoisKeys: galois.save() } : {}),
    };
    return { kind: "sluice-he-keys", ...keys, secretKey: secret.save(), fingerprint: fingerprintOf(keys) };
  } finally {
    for (const object of [keygen, secret, publicKey, relin, galois]) object?.delete();
  }
}

/**
 * Checks keys that arrive from the network before anything uses them: sizes first, then that SEAL
 * loads each of them under the named parameter set (a key made under other parameters, truncated
 * or altered is refused). Every SEAL object is freed on every path.
 */
export async function validateHePublicKeys(keys: HePublicKeys): Promise<void> {
  if (!(keys.paramSet in HE_PARAMETER_SETS)) throw new HeKeyError(`unknown parameter set ${keys.paramSet}`);
  for (const kind of ["publicKey", "relinKeys", "galoisKeys"] as const) {
    const text = keys[kind];
    if (text !== undefined && text.length > MAX_KEY_CHARS[kind]) {
      throw new HeKeyError(`${kind} is ${text.length} characters; at most ${MAX_KEY_CHARS[kind]} are accepted`);
    }
  }
  const { seal, context } = await contextFor(keys.paramSet);
  const load = (kind: "publicKey" | "relinKeys" | "galoisKeys", text: string | undefined) => {
    if (text === undefined) return;
    const object =
      kind === "publicKey" ? seal.PublicKey() : kind === "relinKeys" ? seal.RelinKeys() : seal.GaloisKeys();
    try {
      object.load(context, text);
    } catch (cause) {
      throw new HeKeyError(`${kind} is not a valid ${keys.paramSet} key: ${String(cause).slice(0, 200)}`, { cause });
    } finally {
      object.delete();
    }
  };
  load("publicKey", keys.publicKey);
  load("relinKeys", keys.relinKeys);
  load("galoisKeys", keys.galoisKeys);
}
