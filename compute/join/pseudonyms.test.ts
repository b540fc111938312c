import { blake2b } from "@noble/hashes/blake2.js";
import sodium from "sodium-native";
import { describe, expect, it } from "vitest";
import { newPseudonymKey, pseudonymsOf } from "./pseudonyms.js";

describe("keyed pseudonyms of join keys", () => {
  it("use libsodium's BLAKE2b, which gives RFC 7693's Appendix A digest of 'abc'", () => {
    const digest = Buffer.alloc(64);
    sodium.crypto_generichash(digest, Buffer.from("abc"));
    expect(digest.toString("hex").toUpperCase()).toBe(
      "BA80A53F981C4D0D6A2797B69F12F6E94C212F14685AC4B74B12BB6FDBFFA2D17D87C5392AAB792DC252D5DE4533CC9518D38AA8DBF1925AB92386EDD4009923",
    );
  });

  it("are keyed BLAKE2b-128 of the domain and the key, as an independent implementation computes it", () => {
    const key = newPseudonymKey();
    const ids = ["91330100MA2CBLFY1J", "E000001", "长名称企业", "x".repeat(300)];
    const expected = ids.map((id) =>
      Buffer.from(
        blake2b(Buffer.concat([Buffer.from("sluice/join-pseudonym/v1\0"), Buffer.from(id)]), { key, dkLen: 16 }),
      ),
    );
    expect(pseudonymsOf(key, ids)).toEqual(Buffer.concat(expected));
  });

  it("differ per job key, and refuse a key of the wrong size", () => {
    const [one, two] = [newPseudonymKey(), newPseudonymKey()].map((k) => pseudonymsOf(k, ["E000001"]));
    expect(one?.equals(two as Buffer)).toBe(false);
    expect(pseudonymsOf(Buffer.alloc(32, 1), ["E000001"]).equals(pseudonymsOf(Buffer.alloc(32, 1), ["E000001"]))).toBe(
      true,
    );
    expect(() => pseudonymsOf(Buffer.alloc(16), ["E1"])).toThrow(/32 bytes/);
  });
});
