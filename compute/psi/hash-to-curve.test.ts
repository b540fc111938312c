import { describe, expect, it } from "vitest";
import { encodeToCurve, expandMessageXmd, hashToField } from "./hash-to-curve.js";

// RFC 9380, Appendix K.3 (expand_message_xmd, SHA-512) and J.5.2 (edwards25519_XMD:SHA-512_ELL2_NU_).
const XMD_DST = Buffer.from("QUUX-V01-CS02-with-expander-SHA512-256");
const NU_DST = Buffer.from("QUUX-V01-CS02-with-edwards25519_XMD:SHA-512_ELL2_NU_");
const q128 = `q128_${"q".repeat(128)}`;

describe("RFC 9380 hashing to edwards25519", () => {
  it.each([
    ["", "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"],
    ["abc", "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"],
  ])("expand_message_xmd(SHA-512) of %j, 32 bytes (K.3)", (message, expected) => {
    expect(expandMessageXmd(Buffer.from(message), XMD_DST, 32).toString("hex")).toBe(expected);
  });

  it("expand_message_xmd(SHA-512) over two blocks, 128 bytes (K.3)", () => {
    expect(expandMessageXmd(Buffer.from(""), XMD_DST, 128).toString("hex")).toBe(
      "41b037d1734a5f8df225dd8c7de38f851efdb45c372887be655212d07251b921b052b62eaed99b46f72f2ef4cc96bfaf254ebbbec091e1a3b9e4fb5e5b619d2e0c5414800a1d882b62bb5cd1778f098b8eb6cb399d5d9d18f5d5842cf5d13d7eb00a7cff859b605da678b318bd0e65ebff70bec88c753b159a805d2c89c55961",
    );
  });

  it.each([
    ["", "7f3e7fb9428103ad7f52db32f9df32505d7b427d894c5093f7a0f0374a30641d"],
    ["abc", "09cfa30ad79bd59456594a0f5d3a76f6b71c6787b04de98be5cd201a556e253b"],
  ])("hash_to_field of %j (J.5.2 u0)", (message, expected) => {
    expect(
      Buffer.from(hashToField(Buffer.from(message), NU_DST))
        .reverse()
        .toString("hex"),
    ).toBe(expected);
  });

  it.each([
    ["", "222e314d04a4d5725e9f2aff9fb2a6b69ef375a1214eb19021ceab2d687f0f9b"],
    ["abc", "67732d50f9a26f73111dd1ed5dba225614e538599db58ba30aaea1f5c827fa42"],
    ["abcdef0123456789", "2f8a6c24dd1adde73909cada6a4a137577b0f179d336685c4a955a0a8e1a86fb"],
    [q128, "2af6ff6ef5ebba128b0774f4296cb4c2279a074658b083b8dcca91f57a603450"],
  ])("encode_to_curve of %j gives the vector's point (its y; x's sign is not used)", (message, y) => {
    const point = encodeToCurve(Buffer.from(message), NU_DST);
    point[31] = (point[31] as number) & 0x7f;
    expect(Buffer.from(point).reverse().toString("hex")).toBe(y);
  });
});
