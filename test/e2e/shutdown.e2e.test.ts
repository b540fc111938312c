import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServerBundles, startPlatformProcess, stopPlatformProcess } from "../support/platform-process.js";

// `npm start`'s platform stopped by Ctrl-C; SIGTERM is tried at the end of
// test/e2e/compiled-platform.e2e.test.ts, on a platform that has run jobs.
describe("stopping the platform", () => {
  let bundles: ReturnType<typeof buildServerBundles>;
  beforeAll(() => {
    bundles = buildServerBundles();
  }, 60_000);
  afterAll(() => bundles?.remove());

  it("ends the gateway, its compute nodes and its chain within 10 s of SIGINT to the process group", async () => {
    const platform = await startPlatformProcess(bundles.outdir);
    const stoppedAfterMs = await stopPlatformProcess(platform, "SIGINT");
    expect(stoppedAfterMs, platform.output.slice(-20).join("\n")).toBeLessThan(10_000);
    expect(platform.output.join("\n")).not.toMatch(/not stopped after/);
  }, 180_000);
});
