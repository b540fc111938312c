import { expect } from "chai";
import hardhat from "hardhat";

// The default export: under Node 22+ these files load as ES modules, and Hardhat is CommonJS.
const { ethers } = hardhat;

const REGISTRAR_ROLE = ethers.id("REGISTRAR_ROLE");
const eventId = ethers.id("evt-1");
const participant = ethers.id("bank_one");
const action = ethers.id("admitted");
const keyHash = ethers.id("key");
const recordHash = ethers.id("record");

async function deploy() {
  const [admin, registrar, stranger] = await ethers.getSigners();
  const registry = await ethers.deployContract("ParticipantRegistry", [admin!.address]);
  await registry.grantRole(REGISTRAR_ROLE, registrar!.address);
  return { registry, admin: admin!, registrar: registrar!, stranger: stranger! };
}

describe("ParticipantRegistry", () => {
  it("records an event, emits ParticipantEventRecorded and returns its record hash", async () => {
    const { registry, registrar } = await deploy();
    await expect(registry.connect(registrar).recordEvent(eventId, participant, action, keyHash, recordHash))
      .to.emit(registry, "ParticipantEventRecorded")
      .withArgs(eventId, participant, action, keyHash, recordHash);
    expect(await registry.recordOf(eventId)).to.equal(recordHash);
    expect(await registry.recordOf(ethers.id("other"))).to.equal(ethers.ZeroHash);
  });

  it("refuses a caller without REGISTRAR_ROLE, the admin included", async () => {
    const { registry, admin, stranger } = await deploy();
    for (const caller of [admin, stranger]) {
      await expect(registry.connect(caller).recordEvent(eventId, participant, action, keyHash, recordHash))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, REGISTRAR_ROLE);
    }
  });

  it("refuses an event id recorded twice", async () => {
    const { registry, registrar } = await deploy();
    await registry.connect(registrar).recordEvent(eventId, participant, action, keyHash, recordHash);
    await expect(registry.connect(registrar).recordEvent(eventId, participant, action, keyHash, ethers.id("changed")))
      .to.be.revertedWithCustomError(registry, "ParticipantRegistryEventExists")
      .withArgs(eventId);
  });

  it("refuses an empty record hash", async () => {
    const { registry, registrar } = await deploy();
    await expect(registry.connect(registrar).recordEvent(eventId, participant, action, keyHash, ethers.ZeroHash))
      .to.be.revertedWithCustomError(registry, "ParticipantRegistryEmptyRecord")
      .withArgs(eventId);
  });
});
