import { afterAll, describe, expect, it } from "vitest";
import { SluiceError } from "./errors.js";
import { WorkerPool } from "./worker-pool.js";

const pool = new WorkerPool(new URL("../test/support/echo-worker.mjs", import.meta.url), "he_worker_failed", 2);
afterAll(() => pool.close());

describe("WorkerPool", () => {
  it("answers every operation, more of them than workers, each with its own value", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run<number>("echo", [i])));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("passes a worker's typed error on with its code", async () => {
    const error = await pool.run("fail", ["no"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ code: "ciphertext_invalid", message: "no" });
    // A code outside the closed set is the platform's fault, not the caller's.
    expect(await pool.run("fail-unknown", ["odd"]).catch((e: unknown) => e)).toMatchObject({ code: "internal" });
  });

  it("fails the operation of a worker that crashed, and its replacement takes what was queued behind it", async () => {
    const single = new WorkerPool(new URL("../test/support/echo-worker.mjs", import.meta.url), "he_worker_failed", 1);
    try {
      const crashed = single.run("crash", []).catch((e: unknown) => e);
      const queued = Array.from({ length: 6 }, (_, i) => single.run<number>("echo", [i]));
      expect(await crashed).toMatchObject({ code: "he_worker_failed" });
      expect(await Promise.all(queued)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await single.close();
    }
  });

  it("refuses work once closed", async () => {
    const closed = new WorkerPool(new URL("../test/support/echo-worker.mjs", import.meta.url), "he_worker_failed", 1);
    await closed.close();
    await expect(closed.run("echo", [1])).rejects.toMatchObject({ code: "he_worker_failed" });
  });
});
