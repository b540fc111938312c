import { addNoise, type NoiseScale } from "../dp/noise.js";
import { ComputeError } from "../errors.js";
import { gammaLength, openingShares, productShare, type TripleShares } from "./beaver.js";
import { dealtOperands, foldShapes, maskHolder } from "./fold.js";
import type { ComputePartyMessage } from "./helper.js";
import type { JoinRing, JoinRingArray } from "./join-ring.js";

/** A party's opening shares; one that is zero (`dealtOperands`) is empty, and not sent. */
export interface Opening {
  d: JoinRingArray;
  e: JoinRingArray;
}

/**
 * One compute party of a joined aggregate (an owner's node, for the job): it turns the helper's
 * message and the mask seeds it holds into shares of every owner's cells on the joined rows, then
 * runs the fold's Beaver multiplications with the other party, one opening each, and ends with its
 * share of the joined cells. It never sees an owner's cells, nor which of its own keys joined.
 */
export class JoinComputeParty {
  private readonly factors: JoinRingArray[];
  private readonly shapes;
  private step = 0;
  private accumulated: JoinRingArray;
  private pending?: { triple: TripleShares; mine: Opening };

  constructor(
    /** The ring the join computes in (`ring-bits.ts`), the helper's message's too. */
    readonly ring: JoinRing,
    private readonly message: ComputePartyMessage,
    /** The mask seeds of the owners whose masks this party removes, by owner index. */
    maskSeeds: ReadonlyMap<number, Uint8Array>,
  ) {
    const { rows, widths } = message;
    this.shapes = foldShapes(widths, rows);
    if (message.owners.length !== widths.length || message.triples.length !== this.shapes.length)
      throw new ComputeError("query_invalid", "the helper's message does not match the join's owners");
    this.factors = message.owners.map((source, owner) => {
      const width = widths[owner] as number;
      if (source.kind === "shares") {
        if (ring.length(source.values) !== rows * width)
          throw new ComputeError("query_invalid", `the helper sent the wrong number of shares for owner ${owner}`);
        return source.values;
      }
      if (maskHolder(owner) !== message.party)
        throw new ComputeError("query_invalid", `party ${message.party} does not hold owner ${owner}'s mask`);
      const seed = maskSeeds.get(owner);
      if (!seed) throw new ComputeError("query_invalid", `no mask seed from owner ${owner}`);
      if (source.positions.length !== rows)
        throw new ComputeError("query_invalid", `the helper sent the wrong number of positions for owner ${owner}`);
      return ring.subtractInto(
        ring.prfRows(seed, source.positions, width),
        ring.prfRange(source.refreshSeed, 0, rows * width),
      );
    });
    this.accumulated = this.factors[this.factors.length - 1] as JoinRingArray;
  }

  get multiplications(): number {
    return this.shapes.length;
  }

  /** This party's opening for the next multiplication, to send to the other party. */
  open(): Opening {
    if (this.pending) throw new ComputeError("query_invalid", "the previous opening has not been answered");
    const shape = this.shapes[this.step];
    if (!shape) throw new ComputeError("query_invalid", "every multiplication is done");
    const dealt = this.message.triples[this.step];
    if (!dealt) throw new ComputeError("query_invalid", "no triple for this multiplication");
    const { ring } = this;
    const gamma = "seed" in dealt.gamma ? ring.prfRange(dealt.gamma.seed, 0, gammaLength(shape)) : dealt.gamma.values;
    if (ring.length(gamma) !== gammaLength(shape))
      throw new ComputeError("query_invalid", "a triple of the wrong size");
    const known = dealtOperands(this.factors.length, this.step, this.message.party);
    if ((dealt.alphaSeed === null) !== known.left || (dealt.betaSeed === null) !== known.right)
      throw new ComputeError("query_invalid", "the helper's triple does not match the join's fold");
    const left = this.factors[this.factors.length - 2 - this.step] as JoinRingArray;
    const right = this.accumulated;
    const triple = {
      alpha: dealt.alphaSeed ? ring.prfRange(dealt.alphaSeed, 0, shape.rows * shape.p) : left,
      beta: dealt.betaSeed ? ring.prfRange(dealt.betaSeed, 0, shape.rows * shape.q) : right,
      gamma,
    };
    const mine = openingShares(ring, left, right, triple, known);
    this.pending = { triple, mine };
    return mine;
  }

  /** The number of elements of d and e the other party sends for the next multiplication. */
  theirOpeningSize(): { d: number; e: number } {
    const shape = this.shapes[this.step];
    if (!shape) throw new ComputeError("query_invalid", "every multiplication is done");
    const theirs = dealtOperands(this.factors.length, this.step, (1 - this.message.party) as 0 | 1);
    return { d: theirs.left ? 0 : shape.rows * shape.p, e: theirs.right ? 0 : shape.rows * shape.q };
  }

  /** Takes the other party's opening and finishes the multiplication. */
  receive(theirs: Opening): void {
    const { pending } = this;
    const shape = this.shapes[this.step];
    if (!pending || !shape) throw new ComputeError("query_invalid", "no opening is expected");
    const { ring } = this;
    const expected = this.theirOpeningSize();
    if (ring.length(theirs.d) !== expected.d || ring.length(theirs.e) !== expected.e)
      throw new ComputeError("query_invalid", "the other party's opening has the wrong size");
    // Where one party's share is zero (and empty), the other's is the whole opening.
    const sum = (a: JoinRingArray, b: JoinRingArray) =>
      ring.length(a) === 0 ? b : ring.length(b) === 0 ? a : ring.add(a, b);
    const opened = { d: sum(pending.mine.d, theirs.d), e: sum(pending.mine.e, theirs.e) };
    this.accumulated = productShare(ring, this.message.party, pending.triple, opened, shape);
    this.pending = undefined;
    this.step++;
  }

  /** This party's share of the joined cells, once every multiplication is done, with its own noise added. */
  result(noise: NoiseScale[] | null): bigint[] {
    if (this.step !== this.shapes.length) throw new ComputeError("query_invalid", "the join is not finished");
    const { ring } = this;
    const samples = addNoise(new Array<bigint>(ring.length(this.accumulated)).fill(0n), noise);
    return ring.toBigInts(ring.add(this.accumulated, ring.fromBigInts(samples)));
  }
}
