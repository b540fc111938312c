import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { newEncryptionKeys } from "../mpc/channel.js";
import { gammaLength } from "./beaver.js";
import { joinMessageBytes, joinMessageParts, openJoinMessage, parseJoinMessage, sealJoinMessage } from "./envelope.js";
import { foldShapes } from "./fold.js";
import { alignJoin } from "./helper.js";
import { type JoinRing, RING_64, RING_128 } from "./join-ring.js";
import { ownerJoinInput } from "./owner-input.js";
import { newPseudonymKey } from "./pseudonyms.js";
import {
  decodeOpening,
  decodeOwnerInput,
  decodePartyMessage,
  encodeOpening,
  encodeOwnerInput,
  encodePartyMessage,
} from "./wire.js";

const encode = { owner: encodeOwnerInput, party: encodePartyMessage, opening: encodeOpening };
const decode = { owner: decodeOwnerInput, party: decodePartyMessage, opening: decodeOpening };

const inputIn = (ring: JoinRing) => (count: number, width: number) => ({
  count,
  width,
  pseudonyms: randomBytes(count * 16),
  masked: ring.fromBigInts(Array.from({ length: count * width }, (_, i) => BigInt(i) * 7n - 3n)),
});

describe.each([RING_128, RING_64])("a join's messages between nodes, in Z/2^$bits", (ring) => {
  const input = inputIn(ring);
  const encodeOwnerInput = (sent: Parameters<typeof encode.owner>[1]) => encode.owner(ring, sent).bytes;
  const decodeOwnerInput = (bytes: Buffer, width: number, max: number) => decode.owner(ring, bytes, width, max);
  const encodePartyMessage = (m: Parameters<typeof encode.party>[1]) => encode.party(ring, m).bytes;
  const decodePartyMessage = (...args: Parameters<typeof decode.party> extends [JoinRing, ...infer R] ? R : never) =>
    decode.party(ring, ...args);
  const encodeOpening = (o: Parameters<typeof encode.opening>[1]) => encode.opening(ring, o).bytes;
  const decodeOpening = (bytes: Buffer, expected: { d: number; e: number }) => decode.opening(ring, bytes, expected);
  const fromBigInts = (values: bigint[]) => ring.fromBigInts(values);

  it("round-trip an owner's input, and refuse one of another width or truncated", () => {
    const sent = input(5, 3);
    const bytes = encodeOwnerInput(sent);
    expect(decodeOwnerInput(bytes, 3, 10)).toEqual(sent);
    expect(() => decodeOwnerInput(bytes, 2, 10)).toThrow(/another width/);
    expect(() => decodeOwnerInput(bytes, 3, 4)).toThrow(/more than the 4/);
    expect(() => decodeOwnerInput(bytes.subarray(0, bytes.length - 1), 3, 10)).toThrow(/ends early|elements/);
    expect(() => decodeOwnerInput(Buffer.concat([bytes, Buffer.alloc(1)]), 3, 10)).toThrow(/after its end/);
  });

  it("round-trip the helper's messages to both compute parties, checked against the plan", () => {
    const a = input(6, 2);
    const b = { ...input(4, 1), pseudonyms: Buffer.concat([a.pseudonyms.subarray(0, 32), randomBytes(32)]) };
    const messages = alignJoin({ ring, owners: [a, b] });
    for (const message of messages) {
      const gammas = (rows: number) => foldShapes([2, 1], rows).map(gammaLength);
      const decoded = decodePartyMessage(
        encodePartyMessage(message),
        { party: message.party, widths: [2, 1], maxRows: 10 },
        gammas,
      );
      expect(decoded).toEqual(message);
      expect(decoded.rows).toBe(2);
      expect(() =>
        decodePartyMessage(
          encodePartyMessage(message),
          { party: (1 - message.party) as 0 | 1, widths: [2, 1], maxRows: 10 },
          gammas,
        ),
      ).toThrow(/for party/);
      expect(() =>
        decodePartyMessage(encodePartyMessage(message), { party: message.party, widths: [3, 1], maxRows: 10 }, gammas),
      ).toThrow(/widths/);
    }
  });

  it("round-trip an opening of the expected size only", () => {
    const opening = { d: fromBigInts([1n, 2n]), e: fromBigInts([3n]) };
    expect(decodeOpening(encodeOpening(opening), { d: 2, e: 1 })).toEqual(opening);
    expect(() => decodeOpening(encodeOpening(opening), { d: 3, e: 1 })).toThrow(/3 were expected/);
  });

  it("lay an owner's input out in place exactly as it is encoded", () => {
    const cells = ring.fromBigInts(Array.from({ length: 12 }, (_, i) => BigInt(i) - 5n));
    const factors = { keys: ["a", "b", "c", "d"], cells, width: 3, invalidKeys: 0 };
    const { input, message } = ownerJoinInput(ring, factors, newPseudonymKey());
    expect(message.bytes).toEqual(encodeOwnerInput(input));
    expect(decodeOwnerInput(message.bytes, 3, 10)).toEqual(input);
  });

  it("refuse elements of the other ring's size", () => {
    const other = ring === RING_64 ? RING_128 : RING_64;
    const bytes = encodeOwnerInput(input(4, 2));
    expect(() => decode.owner(other, bytes, 2, 10)).toThrow(/ends early|after its end/);
  });
});

describe("a join's sealed envelopes", () => {
  it("seal to the recipient and sign by the sender: altered, misaddressed or forged messages are refused", () => {
    const sender = generateEd25519KeyPair();
    const recipient = newEncryptionKeys();
    const header = { jobId: "job_1", from: "node_a", to: "node_b", kind: "mask-seed" as const, step: 0 };
    const envelope = sealJoinMessage(header, Buffer.from("seed"), recipient.publicKey, sender.privateKeyPem);
    expect(openJoinMessage(envelope, sender.publicKey, recipient).toString()).toBe("seed");
    expect(() =>
      openJoinMessage({ ...envelope, header: { ...envelope.header, step: 1 } }, sender.publicKey, recipient),
    ).toThrow(/bad signature/);
    // Replayed into another job, or to another recipient: the header no longer verifies.
    for (const change of [{ jobId: "job_2" }, { to: "node_c" }, { kind: "opening" as const }]) {
      expect(() =>
        openJoinMessage({ ...envelope, header: { ...envelope.header, ...change } }, sender.publicKey, recipient),
      ).toThrow(/bad signature/);
    }
    const altered = Buffer.from(envelope.ciphertext);
    altered[0] = (altered[0] as number) ^ 1;
    expect(() => openJoinMessage({ ...envelope, ciphertext: altered }, sender.publicKey, recipient)).toThrow(
      /not the ciphertext its sender signed/,
    );
    const [prefix] = joinMessageParts(envelope);
    expect(prefix.length % 8).toBe(0);
    const onWire = parseJoinMessage(joinMessageBytes(envelope));
    expect(openJoinMessage(onWire, sender.publicKey, recipient).toString()).toBe("seed");
    expect(() => parseJoinMessage(Buffer.from([0, 0, 0, 9, 1]))).toThrow(/header's length is wrong/);
    expect(() => parseJoinMessage(Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from("{}")]))).toThrow(/jobId/);
    expect(() => openJoinMessage(envelope, generateEd25519KeyPair().publicKey, recipient)).toThrow(/bad signature/);
    expect(() => openJoinMessage(envelope, sender.publicKey, newEncryptionKeys())).toThrow(/cannot be opened/);
  });
});
