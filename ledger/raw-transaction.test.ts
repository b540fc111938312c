import { randomBytes } from "node:crypto";
import { encodeRlp as ethersRlp, Transaction, Wallet } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRlp, signCall } from "./raw-transaction.js";

type Nested = Uint8Array | Nested[];
const nested: fc.Arbitrary<Nested> = fc.letrec<{ item: Nested }>((tie) => ({
  item: fc.oneof({ depthSize: "small" }, fc.uint8Array({ maxLength: 80 }), fc.array(tie("item"), { maxLength: 5 })),
})).item;
const toEthers = (item: Nested): unknown =>
  item instanceof Uint8Array ? `0x${Buffer.from(item).toString("hex")}` : item.map(toEthers);

describe("transactions with large calldata, signed without ethers' Transaction", () => {
  const wallet = new Wallet(`0x${"42".repeat(32)}`);

  it("encodes RLP exactly as ethers does, long strings and nested lists included", () => {
    fc.assert(
      fc.property(nested, (item) => {
        expect(`0x${encodeRlp(item).toString("hex")}`).toBe(ethersRlp(toEthers(item) as never));
      }),
    );
    const long = randomBytes(70_000);
    expect(`0x${encodeRlp([long, [long]]).toString("hex")}`).toBe(
      ethersRlp([`0x${long.toString("hex")}`, [`0x${long.toString("hex")}`]]),
    );
  });

  it("signs an EIP-1559 and an EIP-155 legacy transaction byte for byte as ethers' Wallet does", async () => {
    const data = randomBytes(131_300);
    const common = { chainId: 31337n, nonce: 7, to: `0x${"ab".repeat(20)}`, gasLimit: 5_300_000n };
    const typed = { ...common, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n };
    const legacy = { ...common, gasPrice: 0n };
    for (const [ours, fields] of [
      [typed, { ...typed, type: 2 }],
      [legacy, { ...legacy, type: 0 }],
    ] as const) {
      const raw = signCall(wallet, { ...ours, data });
      const theirs = await wallet.signTransaction({ ...fields, data: `0x${data.toString("hex")}`, value: 0n });
      expect(`0x${raw.toString("hex")}`).toBe(theirs);
      expect(Transaction.from(theirs).from).toBe(wallet.address);
    }
  });

  it("refuses an address that is not 20 bytes", () => {
    expect(() =>
      signCall(wallet, { chainId: 1n, nonce: 0, to: "0x1234", gasLimit: 1n, gasPrice: 0n, data: Buffer.alloc(0) }),
    ).toThrow(/not an address/);
  });
});
