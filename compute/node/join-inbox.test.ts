import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";
import { sealJoinMessage } from "../join/envelope.js";
import { deriveEncryptionKeys } from "../mpc/channel.js";
import { createJoinInbox } from "./join-inbox.js";

const sender = generateEd25519KeyPair();
const recipient = deriveEncryptionKeys(createPrivateKey(generateEd25519KeyPair().privateKeyPem));
const message = (jobId: string, payload: string, step = 0) =>
  sealJoinMessage(
    { jobId, from: "node_a", to: "node_b", kind: "opening", step },
    Buffer.from(payload),
    recipient.publicKey,
    sender.privateKeyPem,
  );

describe("a node's inbox of join messages", () => {
  it("holds a message that comes before the node asks, and hands it over once", async () => {
    const inbox = createJoinInbox();
    const early = message("job_1", "d and e");
    inbox.deliver(early);
    await expect(inbox.receive("job_1", "opening", "node_a", 0, 1_000)).resolves.toBe(early);
    await expect(inbox.receive("job_1", "opening", "node_a", 0, 20)).rejects.toMatchObject({ code: "node_timeout" });
  });

  it("takes a sender's retry of the same message silently, and refuses a different one for the same slot", async () => {
    const inbox = createJoinInbox();
    const first = message("job_2", "the opening");
    inbox.deliver(first);
    expect(() => inbox.deliver(first)).not.toThrow();
    expect(() => inbox.deliver(message("job_2", "another opening"))).toThrow(/two different opening messages/);
    await expect(inbox.receive("job_2", "opening", "node_a", 0, 1_000)).resolves.toBe(first);
  });

  it("bounds what it keeps for joins it has no plan for: 32 messages a job, a number of jobs, for a while", () => {
    let clock = 0;
    const inbox = createJoinInbox({ maxJobs: 2, earlyTtlMs: 1_000, now: () => clock });
    for (let step = 0; step < 32; step++) inbox.deliver(message("job_3", `step ${step}`, step));
    expect(() => inbox.deliver(message("job_3", "one too many", 32))).toThrow(/too many early messages/);
    inbox.deliver(message("job_4", "x"));
    expect(() => inbox.deliver(message("job_5", "x"))).toThrow(/too many joins are waiting/);
    clock = 2_000; // the held messages expire; room again
    expect(() => inbox.deliver(message("job_5", "x"))).not.toThrow();
  });

  it("holds at most so many bytes of messages, and makes room as they are taken", async () => {
    const inbox = createJoinInbox({ maxHeldBytes: 200 });
    const big = message("job_7", "x".repeat(100)); // ciphertext: 100 bytes and the seal's tag
    inbox.deliver(big);
    expect(() => inbox.deliver(message("job_7", "y".repeat(100), 1))).toThrow(/as many bytes of join messages/);
    await inbox.receive("job_7", "opening", "node_a", 0, 1_000);
    expect(() => inbox.deliver(message("job_7", "y".repeat(100), 1))).not.toThrow();
  });

  it("forgets a finished job's messages", async () => {
    const inbox = createJoinInbox();
    inbox.deliver(message("job_6", "late"));
    inbox.forget("job_6");
    await expect(inbox.receive("job_6", "opening", "node_a", 0, 20)).rejects.toMatchObject({ code: "node_timeout" });
  });
});
