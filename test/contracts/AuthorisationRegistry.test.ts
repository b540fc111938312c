import { expect } from "chai";
import hardhat from "hardhat";

// The default export: under Node 22+ these files load as ES modules, and Hardhat is CommonJS.
const { ethers } = hardhat;

const REGISTRAR_ROLE = ethers.id("REGISTRAR_ROLE");
const Kind = { Dataset: 0, Grant: 1, Scenario: 2, Approval: 3, AutoApprovalRule: 4 } as const;
const scenario = ethers.id("sc_1");
const terms = ethers.id("terms");
const record = (n: number) => ethers.id(`record-${n}`);
const eventId = (n: number) => ethers.id(`evt-${n}`);

async function deploy() {
  const [admin, registrar, stranger] = await ethers.getSigners();
  const registry = await ethers.deployContract("AuthorisationRegistry", [admin!.address]);
  await registry.grantRole(REGISTRAR_ROLE, registrar!.address);
  return { registry, admin: admin!, registrar: registrar!, stranger: stranger! };
}

describe("AuthorisationRegistry", () => {
  it("records a subject's events in order, keeping its latest state and its content until changed", async () => {
    const { registry, registrar } = await deploy();
    const r = registry.connect(registrar);
    await expect(r.recordEvent(eventId(1), Kind.Scenario, scenario, ethers.id("proposed"), terms, record(1)))
      .to.emit(registry, "AuthorisationEventRecorded")
      .withArgs(eventId(1), Kind.Scenario, scenario, ethers.id("proposed"), terms, record(1));
    await r.recordEvent(eventId(2), Kind.Scenario, scenario, ethers.id("approved"), ethers.ZeroHash, record(2));

    const state = await registry.subjectOf(Kind.Scenario, scenario);
    expect(state.state).to.equal(ethers.id("approved"));
    expect(state.contentHash).to.equal(terms);
    expect(state.lastEventId).to.equal(eventId(2));
    expect(state.eventCount).to.equal(2n);
    expect(state.updatedAt).to.be.greaterThan(0n);
    expect(await registry.recordOf(eventId(1))).to.equal(record(1));
    expect(await registry.recordOf(eventId(9))).to.equal(ethers.ZeroHash);
  });

  it("keeps subjects of different kinds apart, even under the same id", async () => {
    const { registry, registrar } = await deploy();
    const r = registry.connect(registrar);
    await r.recordEvent(eventId(1), Kind.Scenario, scenario, ethers.id("proposed"), terms, record(1));
    await r.recordEvent(eventId(2), Kind.Approval, scenario, ethers.id("approved"), ethers.id("other"), record(2));
    expect((await registry.subjectOf(Kind.Scenario, scenario)).state).to.equal(ethers.id("proposed"));
    expect((await registry.subjectOf(Kind.Approval, scenario)).state).to.equal(ethers.id("approved"));
    expect((await registry.subjectOf(Kind.Grant, scenario)).eventCount).to.equal(0n);
  });

  it("refuses a caller without REGISTRAR_ROLE, the admin included", async () => {
    const { registry, admin, stranger } = await deploy();
    for (const caller of [admin, stranger]) {
      await expect(
        registry.connect(caller).recordEvent(eventId(1), Kind.Grant, scenario, ethers.id("granted"), terms, record(1)),
      )
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, REGISTRAR_ROLE);
    }
  });

  it("refuses an event id recorded twice", async () => {
    const { registry, registrar } = await deploy();
    const r = registry.connect(registrar);
    await r.recordEvent(eventId(1), Kind.Dataset, scenario, ethers.id("registered"), terms, record(1));
    await expect(r.recordEvent(eventId(1), Kind.Dataset, scenario, ethers.id("new-version"), terms, record(2)))
      .to.be.revertedWithCustomError(registry, "AuthorisationRegistryEventExists")
      .withArgs(eventId(1));
  });

  it("refuses an empty record hash", async () => {
    const { registry, registrar } = await deploy();
    await expect(
      registry
        .connect(registrar)
        .recordEvent(eventId(1), Kind.Dataset, scenario, ethers.id("registered"), terms, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(registry, "AuthorisationRegistryEmptyRecord")
      .withArgs(eventId(1));
  });

  it("refuses an empty subject id or state", async () => {
    const { registry, registrar } = await deploy();
    const r = registry.connect(registrar);
    await expect(r.recordEvent(eventId(1), Kind.Grant, ethers.ZeroHash, ethers.id("granted"), terms, record(1)))
      .to.be.revertedWithCustomError(registry, "AuthorisationRegistryEmptySubject")
      .withArgs(eventId(1));
    await expect(r.recordEvent(eventId(1), Kind.Grant, scenario, ethers.ZeroHash, terms, record(1)))
      .to.be.revertedWithCustomError(registry, "AuthorisationRegistryEmptySubject")
      .withArgs(eventId(1));
  });

  it("refuses a subject's first event when it registers no content", async () => {
    const { registry, registrar } = await deploy();
    await expect(
      registry
        .connect(registrar)
        .recordEvent(eventId(1), Kind.Grant, scenario, ethers.id("suspended"), ethers.ZeroHash, record(1)),
    )
      .to.be.revertedWithCustomError(registry, "AuthorisationRegistryUnregisteredSubject")
      .withArgs(eventId(1), scenario);
  });

  it("refuses an out-of-range subject kind", async () => {
    const { registry, registrar } = await deploy();
    await expect(registry.connect(registrar).recordEvent(eventId(1), 5, scenario, ethers.id("x"), terms, record(1))).to
      .be.reverted;
  });
});
