import type { SEALLibrary } from "node-seal/implementation/seal.js";
import { HE_PARAMETER_SETS, type HeParameterSetId } from "./params.js";

/**
 * node-seal, imported when first used (its module is large, and most processes that know of keys
 * never compute on them). It is a UMD module typed as ESM: Node hands its function over as the
 * default export.
 */
async function createSeal(): Promise<SEALLibrary> {
  const exported = (await import("node-seal")).default as unknown;
  const create = ((exported as { default?: unknown }).default ?? exported) as () => Promise<SEALLibrary>;
  return create();
}

type Seal = SEALLibrary;
export type SealContext = ReturnType<Seal["Context"]>;

let loading: Promise<Seal> | undefined;

/** Microsoft SEAL (node-seal's WebAssembly build that throws JavaScript errors instead of aborting). */
export function loadSeal(): Promise<Seal> {
  loading ??= createSeal();
  return loading;
}

const contexts = new Map<HeParameterSetId, SealContext>();

/** The SEAL context of a parameter set: made once, kept for the life of the process. */
export async function contextFor(id: HeParameterSetId): Promise<{ seal: Seal; context: SealContext }> {
  const seal = await loadSeal();
  let context = contexts.get(id);
  if (!context) {
    const set = HE_PARAMETER_SETS[id];
    const parms = seal.EncryptionParameters(set.scheme === "bfv" ? seal.SchemeType.bfv : seal.SchemeType.ckks);
    parms.setPolyModulusDegree(set.polyModulusDegree);
    parms.setCoeffModulus(
      set.coeffModulusBits
        ? seal.CoeffModulus.Create(set.polyModulusDegree, Int32Array.from(set.coeffModulusBits))
        : seal.CoeffModulus.BFVDefault(set.polyModulusDegree, seal.SecurityLevel.tc128),
    );
    if (set.plainModulusBits)
      parms.setPlainModulus(seal.PlainModulus.Batching(set.polyModulusDegree, set.plainModulusBits));
    context = seal.Context(parms, true, seal.SecurityLevel.tc128);
    parms.delete();
    if (!context.parametersSet()) throw new Error(`SEAL refuses parameter set ${id} at 128-bit security`);
    contexts.set(id, context);
  }
  return { seal, context };
}
