import { expect } from "chai";
import hardhat from "hardhat";

// The default export: under Node 22+ these files load as ES modules, and Hardhat is CommonJS.
const { ethers } = hardhat;

const ANCHOR_ROLE = ethers.id("ANCHOR_ROLE");
const batchId = ethers.id("batch-1");
const root = ethers.id("root-1");
const leaves = [ethers.id("record-1"), ethers.id("record-2"), ethers.id("record-3")];
const one = [ethers.id("record-1")];

async function deploy() {
  const [admin, anchorer, stranger] = await ethers.getSigners();
  const ledger = await ethers.deployContract("UsageLedger", [admin!.address]);
  await ledger.grantRole(ANCHOR_ROLE, anchorer!.address);
  return { ledger, admin: admin!, anchorer: anchorer!, stranger: stranger! };
}

describe("UsageLedger", () => {
  it("anchors a batch with its leaves, emits BatchAnchored and returns it", async () => {
    const { ledger, anchorer } = await deploy();
    const leavesHash = ethers.solidityPackedKeccak256(["bytes32[]"], [leaves]);
    const sent = ledger.connect(anchorer).anchorBatch(batchId, root, leaves, 1500, 100, 200);
    await expect(sent).to.emit(ledger, "BatchAnchored").withArgs(batchId, root, 3, 1500, 100, 200, leavesHash);
    const batch = await ledger.getBatch(batchId);
    expect(batch.root).to.equal(root);
    expect(batch.recordCount).to.equal(3n);
    expect(batch.feeTotalFen).to.equal(1500n);
    expect(batch.leavesHash).to.equal(leavesHash);
    // The leaves are readable from the transaction itself, in leaf order.
    const tx = await ethers.provider.getTransaction((await sent).hash);
    const call = ledger.interface.parseTransaction({ data: tx!.data });
    expect(call?.args.leaves).to.deep.equal(leaves);
    expect(batch.anchoredAt).to.be.greaterThan(0n);
    expect(await ledger.batchOfRoot(root)).to.equal(batchId);
    expect(await ledger.batchCount()).to.equal(1n);
  });

  it("refuses a caller without ANCHOR_ROLE", async () => {
    const { ledger, stranger } = await deploy();
    await expect(ledger.connect(stranger).anchorBatch(batchId, root, one, 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, ANCHOR_ROLE);
  });

  it("refuses the admin itself until it is granted ANCHOR_ROLE", async () => {
    const { ledger, admin } = await deploy();
    await expect(ledger.connect(admin).anchorBatch(batchId, root, one, 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(admin.address, ANCHOR_ROLE);
  });

  it("stops accepting an anchorer whose role was revoked", async () => {
    const { ledger, anchorer } = await deploy();
    await ledger.revokeRole(ANCHOR_ROLE, anchorer.address);
    await expect(ledger.connect(anchorer).anchorBatch(batchId, root, one, 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(anchorer.address, ANCHOR_ROLE);
  });

  it("refuses a stranger granting roles", async () => {
    const { ledger, stranger } = await deploy();
    await expect(ledger.connect(stranger).grantRole(ANCHOR_ROLE, stranger.address))
      .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, ethers.ZeroHash);
  });

  it("refuses a batch id anchored twice", async () => {
    const { ledger, anchorer } = await deploy();
    await ledger.connect(anchorer).anchorBatch(batchId, root, one, 0, 0, 0);
    await expect(ledger.connect(anchorer).anchorBatch(batchId, ethers.id("other"), one, 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "UsageLedgerBatchExists")
      .withArgs(batchId);
  });

  it("refuses an empty root", async () => {
    const { ledger, anchorer } = await deploy();
    await expect(ledger.connect(anchorer).anchorBatch(batchId, ethers.ZeroHash, one, 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "UsageLedgerEmptyRoot")
      .withArgs(batchId);
  });

  it("refuses an empty batch", async () => {
    const { ledger, anchorer } = await deploy();
    await expect(ledger.connect(anchorer).anchorBatch(batchId, root, [], 0, 0, 0))
      .to.be.revertedWithCustomError(ledger, "UsageLedgerEmptyBatch")
      .withArgs(batchId);
  });

  it("refuses a period that ends before it starts", async () => {
    const { ledger, anchorer } = await deploy();
    await expect(ledger.connect(anchorer).anchorBatch(batchId, root, one, 0, 200, 100))
      .to.be.revertedWithCustomError(ledger, "UsageLedgerInvalidPeriod")
      .withArgs(200, 100);
  });

  it("refuses to return a batch that was never anchored", async () => {
    const { ledger } = await deploy();
    await expect(ledger.getBatch(batchId))
      .to.be.revertedWithCustomError(ledger, "UsageLedgerUnknownBatch")
      .withArgs(batchId);
  });
});
