import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../store/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { seedJob } from "../../test/support/usage-records.js";
import type { Evaluation } from "./evaluate.js";
import { OpenPsiJobs, type OpenPsiState } from "./open-psi-jobs.js";

const state = { signed: [], evaluation: { hash: "h" } as unknown as Evaluation, epsilon: 0.5 } as OpenPsiState;

describe.each(testDatabases())("open PSI jobs shared by replicas on $name", ({ open }) => {
  let database: Database;
  let now = new Date("2026-12-03T10:00:00Z");
  const store = () => new OpenPsiJobs(database.db, 60_000, () => now);
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  const openedJob = async (minutes = 15) => {
    const { record } = await seedJob(database, 1);
    await store().open(record.jobId, "op", state, new Date(now.getTime() + minutes * 60_000));
    return record.jobId;
  };

  it("serves a step from any replica, and lets one replica of two answer", async () => {
    const jobId = await openedJob();
    const [a, b] = [store(), store()];
    expect(await b.get("op", jobId, false)).toMatchObject({ operatorId: "op", epsilon: 0.5, answered: false });
    const answers = await Promise.allSettled([a.claim("op", jobId, false), b.claim("op", jobId, false)]);
    expect(answers.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = answers.find((r): r is PromiseRejectedResult => r.status === "rejected")?.reason;
    expect(refused).toMatchObject({ code: "conflict", message: expect.stringMatching(/being answered/) });
    await expect(b.get("op", jobId, false)).rejects.toMatchObject({ code: "conflict" });
    await a.markAnswered(jobId);
    await expect(b.get("op", jobId, false)).rejects.toMatchObject({
      message: expect.stringMatching(/release its sum/),
    });
    expect(await b.get("op", jobId, true)).toMatchObject({ answered: true });
  });

  it("refuses another operator's job, an unknown one and one past its window as not found", async () => {
    const jobId = await openedJob(1);
    await expect(store().get("someone_else", jobId, false)).rejects.toMatchObject({ code: "not_found" });
    await expect(store().get("op", "job_unknown", false)).rejects.toMatchObject({ code: "not_found" });
    await expect(store().claim("someone_else", jobId, false)).rejects.toMatchObject({ code: "not_found" });
    now = new Date(now.getTime() + 61_000);
    await expect(store().get("op", jobId, false)).rejects.toMatchObject({ code: "not_found" });
  });

  it("lets a busy mark lapse (the answering replica died), and gives each lapsed window to one replica", async () => {
    const jobId = await openedJob(5);
    await store().claim("op", jobId, false);
    now = new Date(now.getTime() + 60_001);
    expect(await store().claim("op", jobId, false)).toMatchObject({ operatorId: "op" });
    now = new Date(now.getTime() + 5 * 60_000);
    const taken = await Promise.all([store().takeExpired(), store().takeExpired()]);
    expect(taken.flat().filter((j) => j.jobId === jobId)).toHaveLength(1);
    expect(await store().isOpen(jobId)).toBe(false);
  });

  it("takes a job for its last step once, and removes it once", async () => {
    const jobId = await openedJob();
    const [a, b] = [store(), store()];
    await a.markAnswered(jobId);
    const takes = await Promise.allSettled([a.take("op", jobId, true), b.take("op", jobId, true)]);
    expect(takes.filter((t) => t.status === "fulfilled")).toHaveLength(1);
    expect(await a.remove(jobId)).toBe(false);
  });
});
