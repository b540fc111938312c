import { readFileSync } from "node:fs";
import path from "node:path";
import type { InterfaceAbi } from "ethers";
import { projectFile } from "../lib/runtime-files.js";
import { LedgerError } from "./errors.js";

const artifactsDir = projectFile("artifacts", "contracts");

export interface ContractArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  /** The runtime code a deployment of this contract holds. */
  deployedBytecode: string;
}

/** Reads a contract compiled by `npm run build:contracts` (Hardhat with solc from npm). */
export function loadArtifact(name: string): ContractArtifact {
  const file = path.join(artifactsDir, `${name}.sol`, `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ContractArtifact;
  } catch (cause) {
    throw new LedgerError(
      "artifact_missing",
      `contract ${name} is not compiled (${file}); run npm run build:contracts`,
      { cause },
    );
  }
}
