import { randomBytes } from "node:crypto";
import { randomOrder } from "../../lib/shuffle.js";
import { addNoise, type NoiseScale } from "../dp/noise.js";
import { ComputeError } from "../errors.js";
import { PRF_SEED_BYTES } from "../mpc/prf.js";
import { gammaLength } from "./beaver.js";
import { dealtOperands, foldShapes, maskHolder } from "./fold.js";
import type { JoinRing, JoinRingArray } from "./join-ring.js";
import type { OwnerJoinInput } from "./owner-input.js";
import { PseudonymIndex } from "./pseudonym-index.js";
import { PSEUDONYM_BYTES } from "./pseudonyms.js";

/** How a compute party gets its share of one owner's cells on the joined rows. */
export type OwnerShareSource =
  /** The mask holder: the owner's positions of the joined rows, and the seed of the helper's re-randomisation. */
  | { kind: "unmask"; positions: Uint32Array; refreshSeed: Buffer }
  /** The other party: the helper's masked cells on the joined rows, re-randomised. */
  | { kind: "shares"; values: JoinRingArray };

/**
 * A party's share of one Beaver triple: α and β from seeds, or null where the share is the party's
 * own share of that operand (`dealtOperands`); γ from a seed (party 0) or given (party 1).
 */
export interface DealtTriple {
  alphaSeed: Buffer | null;
  betaSeed: Buffer | null;
  gamma: { seed: Buffer } | { values: JoinRingArray };
}

/** What the helper sends one compute party. */
export interface ComputePartyMessage {
  party: 0 | 1;
  /** The number of joined rows (the intersection's size, which the helper and both compute parties learn). */
  rows: number;
  widths: number[];
  owners: OwnerShareSource[];
  triples: DealtTriple[];
}

export interface HelperJoinInput {
  /** The ring the join computes in (`ring-bits.ts`), the owners' inputs' too. */
  ring: JoinRing;
  owners: OwnerJoinInput[];
  /** The operator's own list, as pseudonyms: the join is restricted to it when given. */
  operatorPseudonyms?: Buffer;
  /** The helper's own noise, added to the final product once, so that it is in the result too. */
  noise?: NoiseScale[] | null;
}

/**
 * Each owner's positions of the pseudonyms every owner (and the operator's list, if any) holds,
 * one array an owner, the joined rows in a fresh random order.
 */
function joinedPositions(owners: OwnerJoinInput[], operatorPseudonyms: Buffer | undefined): Uint32Array[] {
  const key = randomBytes(16);
  const indexes = owners.map((o, i) => new PseudonymIndex(o.pseudonyms, o.count, `owner ${i}`, key));
  const operator = operatorPseudonyms
    ? new PseudonymIndex(operatorPseudonyms, operatorPseudonyms.length / PSEUDONYM_BYTES, "the operator", key)
    : undefined;
  const [first, ...others] = indexes as [PseudonymIndex, ...PseudonymIndex[]];
  const found = new Uint32Array(first.count * owners.length);
  let rows = 0;
  for (let i = 0; i < first.count; i++) {
    if (operator && operator.positionOf(first.words, i) < 0) continue;
    const at = rows * owners.length;
    found[at] = i;
    let every = true;
    for (let k = 0; k < others.length && every; k++) {
      const position = (others[k] as PseudonymIndex).positionOf(first.words, i);
      if (position < 0) every = false;
      else found[at + k + 1] = position;
    }
    if (every) rows++;
  }
  const order = randomOrder(rows);
  return owners.map((_, k) => {
    const positions = new Uint32Array(rows);
    for (let m = 0; m < rows; m++) positions[m] = found[(order[m] as number) * owners.length + k] as number;
    return positions;
  });
}

const seed = () => randomBytes(PRF_SEED_BYTES);

/**
 * The helper's part: it finds the pseudonyms every owner (and the operator's list) holds, puts
 * those joined rows in a fresh random order, and hands each compute party its share of every
 * owner's cells on them (re-randomised, so a party cannot recognise masked values an owner sent),
 * and the Beaver triples of the fold. It learns how many keys each party sent and how many joined;
 * every element it handles is uniform.
 */
export function alignJoin(input: HelperJoinInput): [ComputePartyMessage, ComputePartyMessage] {
  const { owners, ring } = input;
  if (owners.length < 2) throw new ComputeError("query_invalid", "a join needs at least two owners");
  const joined = joinedPositions(owners, input.operatorPseudonyms);
  const rows = (joined[0] as Uint32Array).length;
  const widths = owners.map((o) => o.width);

  const shares: [OwnerShareSource[], OwnerShareSource[]] = [[], []];
  /** Each owner's cells as the party that is not its mask holder holds them (the helper dealt them). */
  const dealt: JoinRingArray[] = [];
  owners.forEach((owner, i) => {
    const positions = joined[i] as Uint32Array;
    const refreshSeed = seed();
    const values = ring.prfRange(refreshSeed, 0, rows * owner.width);
    ring.gatherPlus(owner.masked, positions, owner.width, values);
    const holder = maskHolder(i);
    shares[holder].push({ kind: "unmask", positions, refreshSeed });
    shares[1 - holder]?.push({ kind: "shares", values });
    dealt.push(values);
  });

  const triples: [DealtTriple[], DealtTriple[]] = [[], []];
  for (const [step, shape] of foldShapes(widths, rows).entries()) {
    const known = ([0, 1] as const).map((party) => dealtOperands(owners.length, step, party));
    const left = dealt[owners.length - 2 - step] as JoinRingArray;
    const right = dealt[owners.length - 1] as JoinRingArray;
    const seeds = {
      alpha: known.map((k) => (k.left ? null : seed())),
      beta: known.map((k) => (k.right ? null : seed())),
      gamma0: seed(),
    };
    // A party's share is a seed's stream, or the operand's share the helper dealt it.
    const expand = (pair: (Buffer | null)[], count: number, operand: JoinRingArray) => {
      const [a, b] = pair.map((s) => (s ? ring.prfRange(s, 0, count) : null));
      if (a && b) return ring.addInto(a, b);
      return ring.addInto((a ?? b) as JoinRingArray, operand);
    };
    const alpha = expand(seeds.alpha, rows * shape.p, left);
    const beta = expand(seeds.beta, rows * shape.q, right);
    let gamma1 = ring.subtract(
      ring.outerProduct(alpha, beta, shape),
      ring.prfRange(seeds.gamma0, 0, gammaLength(shape)),
    );
    if (shape.aggregated && input.noise) {
      const noise = addNoise(new Array<bigint>(gammaLength(shape)).fill(0n), input.noise);
      gamma1 = ring.add(gamma1, ring.fromBigInts(noise));
    }
    triples[0].push({
      alphaSeed: seeds.alpha[0] ?? null,
      betaSeed: seeds.beta[0] ?? null,
      gamma: { seed: seeds.gamma0 },
    });
    triples[1].push({
      alphaSeed: seeds.alpha[1] ?? null,
      betaSeed: seeds.beta[1] ?? null,
      gamma: { values: gamma1 },
    });
  }
  return [0, 1].map((party) => ({
    party: party as 0 | 1,
    rows,
    widths,
    owners: shares[party as 0 | 1],
    triples: triples[party as 0 | 1],
  })) as [ComputePartyMessage, ComputePartyMessage];
}
