import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { mapConcurrently } from "./map-concurrently.js";

describe("mapConcurrently", () => {
  it("returns results in the items' order whatever order the calls finish in", async () => {
    const delays = [30, 5, 20, 1, 10, 0, 15];
    const results = await mapConcurrently(delays, 3, async (ms, i) => {
      await sleep(ms);
      return `${i}:${ms}`;
    });
    expect(results).toEqual(delays.map((ms, i) => `${i}:${ms}`));
  });

  it("never has more than the limit under way", async () => {
    let running = 0;
    let most = 0;
    await mapConcurrently(
      Array.from({ length: 12 }, (_, i) => i),
      2,
      async (i) => {
        running += 1;
        most = Math.max(most, running);
        await sleep(i % 3);
        running -= 1;
      },
    );
    expect(most).toBe(2);
  });

  it("starts nothing after a failure, waits for the calls under way, and throws the first failure", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const error = await mapConcurrently([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 1) throw new Error("item 1 failed");
      await sleep(20);
      finished.push(i);
      return i;
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: "item 1 failed" });
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([0]);
  });

  it("maps an empty list to an empty list and refuses a limit below one", async () => {
    expect(await mapConcurrently([], 4, async () => 1)).toEqual([]);
    await expect(mapConcurrently([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
