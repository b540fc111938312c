import { writeFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../../gateway/services/scenarios.js";
import { anchorPending } from "../../ledger/index.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { usageRecords } from "../../store/index.js";
import { accessibilityViolations, artifactDirectory, launchChromium, unlabelledControls } from "../support/browser.js";
import { testDatabases } from "../support/databases.js";
import { testDirectory } from "../support/test-directory.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

describe("the console in a real browser: an owner approves, the operator's query runs, a regulator verifies it", () => {
  let world: World;
  let browser: Browser;
  let scenarioId: string;
  let recordId: string;
  const contexts: BrowserContext[] = [];
  const shots = artifactDirectory("console");
  const periodStart = new Date(Date.now() - 60_000).toISOString();

  /** Saves the page as an artifact and checks it against WCAG 2.1 AA with axe-core. */
  async function screenshot(page: Page, name: string) {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    expect(await accessibilityViolations(page), name).toEqual([]);
  }

  /** A fresh browser profile signed in with a key file chosen in the page, as a person would. */
  async function signIn(key: KeyFile, dir: string): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const file = path.join(dir, `${key.id}.json`);
    writeFileSync(file, JSON.stringify(key));
    await page.goto(`${world.url}/console/sign-in`);
    if (contexts.length === 1) await screenshot(page, "sign-in");
    await page.setInputFiles("#key-file", file);
    await Promise.all([
      page.waitForURL((url) => !url.pathname.endsWith("/sign-in")),
      page.click("button[type=submit]"),
    ]);
    return page;
  }

  beforeAll(async () => {
    world = await startWorld(await open());
    browser = await launchChromium();
    scenarioId = await world.proposedScenario();
  }, 180_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await world?.stop();
  });

  /** How many keys the page's browser holds for the console (IndexedDB). */
  const keysHeldIn = (page: Page) =>
    page.evaluate(`new Promise((resolve, reject) => {
      const request = indexedDB.open("sluice-console", 1);
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const count = request.result.transaction("keys").objectStore("keys").count();
        count.onsuccess = () => resolve(count.result);
      };
    })`);

  const decisionOf = async (ownerId: string) =>
    (await loadScenario(world.gw.database.db, scenarioId)).approvals.find((a) => a.ownerId === ownerId)?.decision;

  const query = () =>
    world.client(world.operator).runJob({
      scenarioId,
      queryShape: "sum",
      fields: world.fields,
      epsilon: 0.5,
      bounds: { min: 0, max: 500_000_000 },
    });

  it("signs each owner in with its key file and records its signed approval", async () => {
    // Before the owners approve, the operator's query is refused.
    await expect(query()).rejects.toMatchObject({ status: 403 });
    const dir = testDirectory("sluice-console-");
    for (const [index, { key }] of world.owners.entries()) {
      const page = await signIn(key, dir);
      expect(new URL(page.url()).pathname).toBe("/console/owner/scenarios");
      const card = page.locator(`section[data-scenario="${scenarioId}"]`);
      const terms = await card.textContent();
      expect(terms).toContain("Total wage base reported to tax and social insurance");
      expect(terms).toContain("最小分组 k10");
      expect(await unlabelledControls(page)).toEqual([]);
      await screenshot(page, `owner-${index + 1}-scenarios-pending`);
      if (index === 1) {
        // A browser that no longer holds the key (storage cleared) asks for the key file, then signs with it.
        await page.evaluate("new Promise((done) => { indexedDB.deleteDatabase('sluice-console').onsuccess = done; })");
        await card.getByRole("button", { name: "批准（签名）" }).click();
        await expect.poll(() => card.locator("output").textContent()).toContain("本浏览器未保存您的密钥");
        expect(await decisionOf(key.id)).toBe("pending");
        await card.locator("input[type=file]").setInputFiles(path.join(dir, `${key.id}.json`));
      }
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get("done") === "approve"),
        card.getByRole("button", { name: "批准（签名）" }).click(),
      ]);
      expect(await page.getByRole("status").first().textContent()).toContain(`已批准场景 ${scenarioId}`);
      await screenshot(page, `owner-${index + 1}-scenarios-approved`);
    }
    const scenario = await world.client(world.operator).getScenario(scenarioId);
    expect(scenario.status).toBe("active");
  });

  it("lets the operator's query run inside the approved scenario, and shows the job and what is left", async () => {
    const job = await query();
    expect(job.status).toBe("succeeded");
    recordId = job.usageRecordId;
    await anchorPending({
      db: world.gw.database.db,
      ledger: world.gw.ledger,
      gatewayPublicKey: world.gw.deps.gatewayKeys.publicKey,
    });
    await world.client().request("POST", "/settlements", { periodStart, periodEnd: new Date().toISOString() });

    const page = await signIn(world.operator, testDirectory("sluice-console-"));
    expect(new URL(page.url()).pathname).toBe("/console/operator");
    const row = await page.locator(`tr[data-scenario="${scenarioId}"]`).textContent();
    expect(row).toContain("99 / 100");
    expect(row).toContain("9.5 / 10");
    await screenshot(page, "operator-grants-and-scenarios");
    await page.goto(`${world.url}/console/operator/jobs?lang=en`);
    expect(await page.locator(`tr[data-job="${job.jobId}"]`).textContent()).toContain("succeeded");
    await screenshot(page, "operator-jobs");

    // A session that ends without signing out (here its cookie is gone, as when it expires) leads to
    // the sign-in page, which forgets the key the browser held.
    expect(await keysHeldIn(page)).toBe(1);
    await page.context().clearCookies();
    await page.goto(`${world.url}/console/operator/jobs`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await expect.poll(() => keysHeldIn(page)).toBe(0);
  });

  it("shows the owner its datasets, its usage and its revenue", async () => {
    const page = await signIn(world.owners[0]?.key as KeyFile, testDirectory("sluice-console-"));
    await page.goto(`${world.url}/console/owner/datasets`);
    expect(await page.locator("main").textContent()).toContain("wages_fen");
    await screenshot(page, "owner-datasets");
    await page.goto(`${world.url}/console/owner/usage`);
    expect(await page.locator("svg.chart").count()).toBe(1);
    expect(await page.locator("main table").last().textContent()).toMatch(/¥\d+\.\d\d/);
    await screenshot(page, "owner-usage-and-revenue");

    // Signing out ends the session and forgets the key this browser held.
    await Promise.all([page.waitForURL("**/console/sign-in"), page.getByRole("button", { name: "退出" }).click()]);
    expect(await keysHeldIn(page)).toBe(0);
    await page.goto(`${world.url}/console/owner/usage`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
  });

  it("lets a regulator verify the record, the period and the settlement in a click each, and see the charts", async () => {
    const page = await signIn(world.regulator, testDirectory("sluice-console-"));
    expect(new URL(page.url()).pathname).toBe("/console/ledger");
    await screenshot(page, "regulator-ledger");
    // Keyboard: the first Tab reaches the skip link, which takes focus to the page's content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.className")).toBe("skip");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");

    await Promise.all([
      page.waitForURL(`**/console/ledger/records/${recordId}`),
      page.locator(`tr[data-record="${recordId}"] a`).click(),
    ]);
    expect(await page.locator("[data-verdict]").getAttribute("data-verdict")).toBe("verified");
    expect(await page.getByRole("status").first().textContent()).toContain("核验通过");
    await screenshot(page, "regulator-record-verified");

    // The batch's period, from the ledger's batch table, verified with one more click.
    await page.goto(`${world.url}/console/ledger`);
    await Promise.all([page.waitForURL("**/console/audit?*"), page.getByRole("link", { name: "核验此期间" }).click()]);
    await Promise.all([page.waitForSelector("[data-audit]"), page.getByRole("button", { name: "开始核验" }).click()]);
    expect(await page.locator("[data-audit]").getAttribute("data-audit")).toBe("passed");
    expect(await page.locator("main").textContent()).toContain("核验通过：未发现问题");
    await screenshot(page, "regulator-audit-passed");

    await page.goto(`${world.url}/console/settlements`);
    await screenshot(page, "regulator-settlements");
    await page.locator("main table a").first().click();
    await page.waitForURL("**/console/settlements/*");
    expect(await page.getByRole("status").first().textContent()).toContain("与链上一致");
    await screenshot(page, "regulator-settlement");

    await page.goto(`${world.url}/console/charts?lang=en`);
    await screenshot(page, "regulator-charts");
    expect(await page.locator("svg.chart").count()).toBe(3);
    expect(await page.locator("#epsilon-per-scenario-desc").textContent()).toContain("ε 0.5 / 10");
  });

  it("shows a tampered record as failed verification, and the period's audit as failed", async () => {
    await world.gw.database.db
      .update(usageRecords)
      .set({ record: sql`jsonb_set(${usageRecords.record}, '{feeFen}', '1')` })
      .where(eq(usageRecords.id, recordId));
    const page = await signIn(world.regulator, testDirectory("sluice-console-"));
    await page.goto(`${world.url}/console/ledger/records/${recordId}`);
    expect(await page.locator("[data-verdict]").getAttribute("data-verdict")).toBe("failed");
    expect(await page.getByRole("alert").first().textContent()).toContain("核验未通过");
    expect(await page.locator("[data-check-result=false]").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("main").textContent()).toContain("记录在写入后被修改");
    await screenshot(page, "regulator-record-tampered");

    await page.goto(`${world.url}/console/audit?lang=en`);
    await page.fill("#period-start", periodStart);
    await page.fill("#period-end", new Date().toISOString());
    await Promise.all([page.waitForSelector("[data-audit]"), page.getByRole("button", { name: "Verify" }).click()]);
    expect(await page.locator("[data-audit]").getAttribute("data-audit")).toBe("failed");
    expect(await page.locator('[data-finding="record_altered"]').count()).toBe(1);
    await screenshot(page, "regulator-audit-failed");
  });

  it("refuses, saying why in the page, a file that is not a key and a key the platform never admitted", async () => {
    const dir = testDirectory("sluice-console-");
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${world.url}/console/sign-in`);
    const notAKey = path.join(dir, "notes.json");
    writeFileSync(notAKey, JSON.stringify({ hello: "world" }));
    await page.setInputFiles("#key-file", notAKey);
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("output").textContent()).toContain("这不是 Sluice 密钥文件");
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");

    const stranger = createKeyFile("stranger");
    const strangerFile = path.join(dir, "stranger.json");
    writeFileSync(strangerFile, JSON.stringify(stranger));
    await page.setInputFiles("#key-file", strangerFile);
    await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
    await page.waitForSelector("[role=alert]");
    expect(await page.getByRole("alert").textContent()).toContain("签名不属于任何已准入参与方的当前密钥");
    await screenshot(page, "sign-in-refused");
    expect((await context.cookies()).some((c) => c.name === "sluice_console")).toBe(false);
  });
});
