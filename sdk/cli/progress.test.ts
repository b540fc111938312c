import { describe, expect, it } from "vitest";
import { PROGRESS_DELAY_MS, withProgress } from "./progress.js";

const sink = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) > 0 } };
};
const resolvesAfter = (ms: number, value = "done") =>
  new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

describe("a long call's progress line", () => {
  it("never shows for a call answered at once, such as a refusal", async () => {
    const { written, stream } = sink(false);
    await expect(
      withProgress("computing", false, () => Promise.reject(new Error("denied")), stream as never),
    ).rejects.toThrow("denied");
    expect(await withProgress("computing", false, () => resolvesAfter(10), stream as never)).toBe("done");
    expect(written).toEqual([]);
  });

  it("shows once the call runs on, as one line off a terminal and a spinner cleared afterwards on one", async () => {
    const plain = sink(false);
    await withProgress("computing", false, () => resolvesAfter(PROGRESS_DELAY_MS + 150), plain.stream as never);
    expect(plain.written).toEqual(["computing…\n"]);
    const tty = sink(true);
    await withProgress("computing", false, () => resolvesAfter(PROGRESS_DELAY_MS + 250), tty.stream as never);
    expect(tty.written.length).toBeGreaterThan(1);
    expect(tty.written[0]).toMatch(/^\r. computing \d+\.\d s$/);
    expect(tty.written.at(-1)).toBe("\r\x1b[2K");
  });

  it("prints nothing with --json", async () => {
    const { written, stream } = sink(true);
    await withProgress("computing", true, () => resolvesAfter(PROGRESS_DELAY_MS + 100), stream as never);
    expect(written).toEqual([]);
  });
});
