import path from "node:path";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import { subtask } from "hardhat/config";
import type { HardhatUserConfig } from "hardhat/types";
import "@nomicfoundation/hardhat-chai-matchers";
import "@nomicfoundation/hardhat-ethers";

// The compiler comes from the npm `solc` package: Hardhat must never download one (no network here).
const solcVersion: string = require("solc/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== solcVersion) return runSuper(args);
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
    isSolcJs: true,
    version: solcVersion,
    longVersion: require("solc").version(),
  };
});

const config: HardhatUserConfig = {
  // SLUICE_EVM_VERSION: "london" for a chain without PUSH0 and MCOPY (ledger/README.md, production chains).
  solidity: {
    version: solcVersion,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: process.env.SLUICE_EVM_VERSION || "cancun" },
  },
  paths: { sources: "contracts", tests: "test/contracts" },
  networks: {
    hardhat: { chainId: 31337, initialDate: "2026-01-01T00:00:00Z" },
  },
  mocha: { timeout: 60_000 },
};

export default config;
