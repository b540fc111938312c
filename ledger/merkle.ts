import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

/** Leaf encoding: one bytes32, the SHA-256 of the record's RFC 8785 canonical JSON. */
export const LEAF_ENCODING = ["bytes32"] as const;

export function toLeafValue(recordHashHex: string): [string] {
  return [`0x${recordHashHex}`];
}

/** Builds the OpenZeppelin standard Merkle tree over records in leaf-index order. */
export function buildRecordTree(recordHashes: string[]) {
  return StandardMerkleTree.of(recordHashes.map(toLeafValue), [...LEAF_ENCODING]);
}

/** Verifies an inclusion proof exactly as any third party would with @openzeppelin/merkle-tree. */
export function verifyRecordProof(root: string, recordHashHex: string, proof: string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...LEAF_ENCODING], toLeafValue(recordHashHex), proof);
  } catch {
    return false;
  }
}
