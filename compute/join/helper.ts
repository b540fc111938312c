import { randomBytes } from "node:crypto";
import { shuffle } from "../../lib/shuffle.js";
import { addNoise, type NoiseScale } from "../dp/noise.js";
import { ComputeError } from "../errors.js";
import { PRF_SEED_BYTES } from "../mpc/prf.js";
import { gammaLength } from "./beaver.js";
import { foldShapes, maskHolder } from "./fold.js";
import type { OwnerJoinInput } from "./owner-input.js";
import { PSEUDONYM_BYTES } from "./pseudonyms.js";
import {
  addRing,
  fromBigInts,
  outerProductRing,
  prfRingRange,
  type RingArray,
  ringArray,
  subtractRing,
} from "./ring-array.js";

/** How a compute party gets its share of one owner's cells on the joined rows. */
export type OwnerShareSource =
  /** The mask holder: the owner's positions of the joined rows, and the seed of the helper's re-randomisation. */
  | { kind: "unmask"; positions: Uint32Array; refreshSeed: Buffer }
  /** The other party: the helper's masked cells on the joined rows, re-randomised. */
  | { kind: "shares"; values: RingArray };

/** A party's share of one Beaver triple: α and β from seeds, γ from a seed (party 0) or given (party 1). */
export interface DealtTriple {
  alphaSeed: Buffer;
  betaSeed: Buffer;
  gamma: { seed: Buffer } | { values: RingArray };
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
  owners: OwnerJoinInput[];
  /** The operator's own list, as pseudonyms: the join is restricted to it when given. */
  operatorPseudonyms?: Buffer;
  /** The helper's own noise, added to the final product once, so that it is in the result too. */
  noise?: NoiseScale[] | null;
}

function positionsByPseudonym(pseudonyms: Buffer, count: number, who: string): Map<string, number> {
  if (pseudonyms.length !== count * PSEUDONYM_BYTES)
    throw new ComputeError("query_invalid", `${who} sent ${pseudonyms.length} bytes of pseudonyms for ${count} keys`);
  const positions = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const pseudonym = pseudonyms.toString("latin1", i * PSEUDONYM_BYTES, (i + 1) * PSEUDONYM_BYTES);
    if (positions.has(pseudonym)) throw new ComputeError("query_invalid", `${who} sent the same key twice`);
    positions.set(pseudonym, i);
  }
  return positions;
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
  const { owners } = input;
  if (owners.length < 2) throw new ComputeError("query_invalid", "a join needs at least two owners");
  const maps = owners.map((o, i) => positionsByPseudonym(o.pseudonyms, o.count, `owner ${i}`));
  const operator = input.operatorPseudonyms
    ? positionsByPseudonym(input.operatorPseudonyms, input.operatorPseudonyms.length / PSEUDONYM_BYTES, "the operator")
    : undefined;
  const joined: number[][] = [];
  for (const [pseudonym, first] of maps[0] as Map<string, number>) {
    if (operator && !operator.has(pseudonym)) continue;
    const row = [first];
    for (const map of maps.slice(1)) {
      const position = map.get(pseudonym);
      if (position === undefined) break;
      row.push(position);
    }
    if (row.length === owners.length) joined.push(row);
  }
  shuffle(joined.length, (i, j) => {
    [joined[i], joined[j]] = [joined[j] as number[], joined[i] as number[]];
  });
  const rows = joined.length;
  const widths = owners.map((o) => o.width);

  const shares: [OwnerShareSource[], OwnerShareSource[]] = [[], []];
  owners.forEach((owner, i) => {
    const positions = Uint32Array.from(joined, (row) => row[i] as number);
    const refreshSeed = seed();
    const limbs = owner.width * 4;
    const gathered = ringArray(rows * owner.width);
    for (let m = 0; m < rows; m++) {
      const from = (positions[m] as number) * limbs;
      gathered.set(owner.masked.subarray(from, from + limbs), m * limbs);
    }
    const values = addRing(gathered, prfRingRange(refreshSeed, 0, rows * owner.width));
    const holder = maskHolder(i);
    shares[holder].push({ kind: "unmask", positions, refreshSeed });
    shares[1 - holder]?.push({ kind: "shares", values });
  });

  const triples: [DealtTriple[], DealtTriple[]] = [[], []];
  for (const shape of foldShapes(widths, rows)) {
    const seeds = { alpha: [seed(), seed()], beta: [seed(), seed()], gamma0: seed() };
    const alpha = addRing(...(seeds.alpha.map((s) => prfRingRange(s, 0, rows * shape.p)) as [RingArray, RingArray]));
    const beta = addRing(...(seeds.beta.map((s) => prfRingRange(s, 0, rows * shape.q)) as [RingArray, RingArray]));
    let gamma1 = subtractRing(outerProductRing(alpha, beta, shape), prfRingRange(seeds.gamma0, 0, gammaLength(shape)));
    if (shape.aggregated && input.noise) {
      const noise = addNoise(new Array<bigint>(gammaLength(shape)).fill(0n), input.noise);
      gamma1 = addRing(gamma1, fromBigInts(noise));
    }
    triples[0].push({
      alphaSeed: seeds.alpha[0] as Buffer,
      betaSeed: seeds.beta[0] as Buffer,
      gamma: { seed: seeds.gamma0 },
    });
    triples[1].push({
      alphaSeed: seeds.alpha[1] as Buffer,
      betaSeed: seeds.beta[1] as Buffer,
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
