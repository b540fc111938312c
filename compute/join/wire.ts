import { ComputeError } from "../errors.js";
import { SealablePlaintext } from "../mpc/channel.js";
import { PRF_SEED_BYTES } from "../mpc/prf.js";
import type { Opening } from "./compute-party.js";
import type { ComputePartyMessage, DealtTriple, OwnerShareSource } from "./helper.js";
import type { JoinRing, JoinRingArray } from "./join-ring.js";
import type { OwnerJoinInput } from "./owner-input.js";
import { PSEUDONYM_BYTES } from "./pseudonyms.js";

// The bytes of a join's messages between nodes (each then sealed to its recipient and signed):
// big-endian counts, then the pseudonyms, seeds, positions and ring elements back to back, each
// vector's elements starting on an 8-byte boundary (zeros pad it), so that the recipient reads them
// in place, without copying hundreds of megabytes.
// Every decoder checks every length against what the plan lets the recipient expect; elements are
// the join's ring's (8 or 16 bytes, `ring-bits.ts`), which both ends derive from the plan.

const malformed = (what: string) => new ComputeError("share_rejected", `a malformed join message: ${what}`);

const ALIGN = 8;

class Writer {
  private readonly parts: Buffer[] = [];
  private length = 0;
  constructor(private readonly ring: JoinRing) {}
  u32(value: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.bytes(b);
  }
  bytes(value: Uint8Array) {
    this.parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    this.length += value.byteLength;
    return this;
  }
  vector(values: JoinRingArray) {
    this.u32(this.ring.length(values));
    const pad = (ALIGN - (this.length % ALIGN)) % ALIGN;
    if (pad > 0) this.bytes(Buffer.alloc(pad));
    return this.bytes(this.ring.bytes(values));
  }
  /** The message, written once into a buffer with room for its seal's tag. */
  done(): SealablePlaintext {
    const out = SealablePlaintext.alloc(this.length);
    let at = 0;
    for (const part of this.parts) {
      part.copy(out.buffer, at);
      at += part.length;
    }
    return out;
  }
}

class Reader {
  private offset = 0;
  constructor(
    private readonly ring: JoinRing,
    private readonly buffer: Buffer,
  ) {}
  u32() {
    if (this.offset + 4 > this.buffer.length) throw malformed("it ends early");
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(length: number) {
    if (this.offset + length > this.buffer.length) throw malformed("it ends early");
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  vector(expected: number) {
    const length = this.u32();
    if (length !== expected) throw malformed(`a vector of ${length} elements where ${expected} were expected`);
    const pad = this.bytes((ALIGN - (this.offset % ALIGN)) % ALIGN);
    if (pad.some((b) => b !== 0)) throw malformed("a vector's padding is not zeros");
    return this.ring.fromBytes(this.bytes(length * this.ring.elementBytes));
  }
  end() {
    if (this.offset !== this.buffer.length) throw malformed("it has bytes after its end");
  }
}

export function encodeOwnerInput(ring: JoinRing, input: OwnerJoinInput): SealablePlaintext {
  return new Writer(ring).u32(input.count).u32(input.width).bytes(input.pseudonyms).vector(input.masked).done();
}

/**
 * An owner's input laid out as `encodeOwnerInput` writes it, for the owner to fill in place: the
 * pseudonyms and the masked cells are views of the message, so none of its hundreds of megabytes is
 * copied to send it.
 */
export function ownerInputLayout(ring: JoinRing, count: number, width: number) {
  const pseudonymsAt = 8;
  const lengthAt = pseudonymsAt + count * PSEUDONYM_BYTES;
  const maskedAt = lengthAt + 4 + ((ALIGN - ((lengthAt + 4) % ALIGN)) % ALIGN);
  const message = SealablePlaintext.alloc(maskedAt + count * width * ring.elementBytes);
  const bytes = message.buffer;
  bytes.fill(0, 0, maskedAt);
  bytes.writeUInt32BE(count, 0);
  bytes.writeUInt32BE(width, 4);
  bytes.writeUInt32BE(count * width, lengthAt);
  return {
    message,
    pseudonyms: bytes.subarray(pseudonymsAt, lengthAt),
    masked: ring.fromBytes(bytes.subarray(maskedAt, maskedAt + count * width * ring.elementBytes)),
  };
}

/** An owner's input as the helper reads it: `width` is what the plan says that owner's cells are. */
export function decodeOwnerInput(ring: JoinRing, bytes: Buffer, width: number, maxKeys: number): OwnerJoinInput {
  const reader = new Reader(ring, bytes);
  const count = reader.u32();
  if (count > maxKeys) throw malformed(`${count} keys, more than the ${maxKeys} a join takes`);
  if (reader.u32() !== width) throw malformed("cells of another width than the plan's");
  const pseudonyms = reader.bytes(count * PSEUDONYM_BYTES);
  const masked = reader.vector(count * width);
  reader.end();
  return { count, width, pseudonyms, masked };
}

export function encodePartyMessage(ring: JoinRing, message: ComputePartyMessage): SealablePlaintext {
  const writer = new Writer(ring).u32(message.party).u32(message.rows).u32(message.widths.length);
  for (const width of message.widths) writer.u32(width);
  for (const source of message.owners) {
    if (source.kind === "unmask") {
      writer.u32(0).bytes(source.refreshSeed).u32(source.positions.length);
      const positions = Buffer.alloc(source.positions.length * 4);
      for (const [i, p] of source.positions.entries()) positions.writeUInt32BE(p, i * 4);
      writer.bytes(positions);
    } else writer.u32(1).vector(source.values);
  }
  for (const triple of message.triples) {
    for (const s of [triple.alphaSeed, triple.betaSeed]) {
      if (s) writer.u32(1).bytes(s);
      else writer.u32(0);
    }
    if ("seed" in triple.gamma) writer.u32(0).bytes(triple.gamma.seed);
    else writer.u32(1).vector(triple.gamma.values);
  }
  return writer.done();
}

/** The helper's message as a compute party reads it, checked against the plan's party and widths. */
export function decodePartyMessage(
  ring: JoinRing,
  bytes: Buffer,
  expected: { party: 0 | 1; widths: number[]; maxRows: number },
  gammaLengths: (rows: number) => number[],
): ComputePartyMessage {
  const reader = new Reader(ring, bytes);
  const party = reader.u32();
  if (party !== expected.party) throw malformed(`a message for party ${party}, not ${expected.party}`);
  const rows = reader.u32();
  if (rows > expected.maxRows) throw malformed(`${rows} joined rows, more than any owner sent`);
  const count = reader.u32();
  const widths = Array.from({ length: count }, () => reader.u32());
  if (widths.join() !== expected.widths.join()) throw malformed("widths other than the plan's");
  const owners: OwnerShareSource[] = widths.map((width) => {
    const kind = reader.u32();
    if (kind === 0) {
      const refreshSeed = Buffer.from(reader.bytes(PRF_SEED_BYTES));
      const length = reader.u32();
      if (length !== rows) throw malformed("positions for another number of rows");
      const raw = reader.bytes(length * 4);
      const positions = Uint32Array.from({ length }, (_, i) => raw.readUInt32BE(i * 4));
      return { kind: "unmask", positions, refreshSeed };
    }
    if (kind !== 1) throw malformed("an unknown kind of share");
    return { kind: "shares", values: reader.vector(rows * width) };
  });
  const triples: DealtTriple[] = gammaLengths(rows).map((length) => {
    const optionalSeed = () => {
      const present = reader.u32();
      if (present > 1) throw malformed("an unknown kind of triple share");
      return present === 1 ? Buffer.from(reader.bytes(PRF_SEED_BYTES)) : null;
    };
    const alphaSeed = optionalSeed();
    const betaSeed = optionalSeed();
    const kind = reader.u32();
    if (kind === 0) return { alphaSeed, betaSeed, gamma: { seed: Buffer.from(reader.bytes(PRF_SEED_BYTES)) } };
    if (kind !== 1) throw malformed("an unknown kind of triple");
    return { alphaSeed, betaSeed, gamma: { values: reader.vector(length) } };
  });
  reader.end();
  return { party: party as 0 | 1, rows, widths, owners, triples };
}

export function encodeOpening(ring: JoinRing, opening: Opening): SealablePlaintext {
  return new Writer(ring).vector(opening.d).vector(opening.e).done();
}

export function decodeOpening(ring: JoinRing, bytes: Buffer, expected: { d: number; e: number }): Opening {
  const reader = new Reader(ring, bytes);
  const d = reader.vector(expected.d);
  const e = reader.vector(expected.e);
  reader.end();
  return { d, e };
}

export function decodeSeed(bytes: Buffer): Buffer {
  if (bytes.length !== PRF_SEED_BYTES) throw malformed(`a seed of ${bytes.length} bytes`);
  return bytes;
}
