import { randomBytes } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { describe, expect, it } from "vitest";
import { buildFastRecordTree } from "./fast-merkle.js";
import { buildRecordTree, LEAF_ENCODING, toLeafValue } from "./merkle.js";

describe("the fast record tree is OpenZeppelin's StandardMerkleTree, root and proofs", () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 100])("with %i leaves", (n) => {
    const hashes = Array.from({ length: n }, () => randomBytes(32).toString("hex"));
    const fast = buildFastRecordTree(hashes);
    const library = buildRecordTree(hashes);
    expect(fast.root).toBe(library.root);
    hashes.forEach((hash, i) => {
      const proof = fast.getProof(i);
      expect(proof).toEqual(library.getProof(i));
      expect(StandardMerkleTree.verify(fast.root, [...LEAF_ENCODING], toLeafValue(hash), proof)).toBe(true);
    });
  });

  it("gives proofs that fail for another record or another root", () => {
    const hashes = Array.from({ length: 10 }, () => randomBytes(32).toString("hex"));
    const fast = buildFastRecordTree(hashes);
    const proof = fast.getProof(3);
    expect(StandardMerkleTree.verify(fast.root, [...LEAF_ENCODING], toLeafValue(hashes[4] as string), proof)).toBe(
      false,
    );
    const other = buildFastRecordTree(hashes.slice(1)).root;
    expect(StandardMerkleTree.verify(other, [...LEAF_ENCODING], toLeafValue(hashes[3] as string), proof)).toBe(false);
  });

  it("refuses an empty tree", () => {
    expect(() => buildFastRecordTree([])).toThrow(RangeError);
  });
});
