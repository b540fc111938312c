import { keccak_256 } from "@noble/hashes/sha3.js";

// OpenZeppelin's StandardMerkleTree, for leaves of one bytes32, built with @noble/hashes' keccak-256
// instead of ethers' (about twice as fast, and without the library's per-leaf ABI encoding, which
// made a million leaves take 80 s and 2 GiB): leaf = keccak256(keccak256(abi.encode(bytes32))),
// leaves sorted by hash, pairs hashed in sorted order, the tree laid out as the library lays it
// out, so roots and proofs are the library's exactly (cross-checked in fast-merkle.test.ts).

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(64);
  if (compare(a, b) <= 0) {
    joined.set(a, 0);
    joined.set(b, 32);
  } else {
    joined.set(b, 0);
    joined.set(a, 32);
  }
  return keccak_256(joined);
}

/** The library's leaf hash for one bytes32 value (the record's SHA-256, hex without 0x). */
export function recordLeaf(recordHashHex: string): Uint8Array {
  return keccak_256(keccak_256(Buffer.from(recordHashHex, "hex")));
}

export interface FastTree {
  root: string;
  /** The proof of the value given at `index`, as the library's getProof(index) returns it. */
  getProof(index: number): string[];
}

/** Builds the tree over record hashes in the order given (the library's leaf index order). */
export function buildFastRecordTree(recordHashes: readonly string[]): FastTree {
  const n = recordHashes.length;
  if (n === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const leaves = recordHashes.map((h, index) => ({ hash: recordLeaf(h), index }));
  leaves.sort((a, b) => compare(a.hash, b.hash));
  const tree: Uint8Array[] = new Array(2 * n - 1);
  const position = new Int32Array(n);
  leaves.forEach((leaf, i) => {
    tree[tree.length - 1 - i] = leaf.hash;
    position[leaf.index] = tree.length - 1 - i;
  });
  for (let i = tree.length - 1 - n; i >= 0; i--) {
    tree[i] = hashPair(tree[2 * i + 1] as Uint8Array, tree[2 * i + 2] as Uint8Array);
  }
  return {
    root: hex(tree[0] as Uint8Array),
    getProof(index) {
      const proof: string[] = [];
      let i = position[index] as number;
      while (i > 0) {
        const sibling = i % 2 === 1 ? i + 1 : i - 1;
        proof.push(hex(tree[sibling] as Uint8Array));
        i = Math.floor((i - 1) / 2);
      }
      return proof;
    },
  };
}
