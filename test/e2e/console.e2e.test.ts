import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../../gateway/services/scenarios.js";
import { anchorPending } from "../../ledger/index.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { zonedLocalInput } from "../../lib/time-zone.js";
import { usageRecords } from "../../store/index.js";
import {
  accessibilityViolations,
  artifactDirectory,
  launchChromium,
  layoutProblems,
  unlabelledControls,
} from "../support/browser.js";
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

  /**
   * Saves the page as an artifact and checks it against WCAG 2.1 AA with axe-core, and its layout at
   * 1280 and 1920 px wide (a screenshot of each): nothing overflows its cell, no name, time or id is
   * broken over lines, no table leaves the page's width unused while it wraps.
   */
  async function screenshot(page: Page, name: string) {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    expect(await accessibilityViolations(page), name).toEqual([]);
    const viewport = page.viewportSize();
    for (const width of [1280, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
      expect(await layoutProblems(page), `${name} at ${width} px`).toEqual([]);
    }
    if (viewport) await page.setViewportSize(viewport);
  }

  /** No code the platform stores shows where a name should: the page's text without its ids. */
  const visibleCodes = async (page: Page, codes: string[]) => {
    const text = (await page.evaluate(`(() => {
      const main = document.querySelector("main").cloneNode(true);
      for (const hidden of main.querySelectorAll("code, pre, details:not([open]) > :not(summary)")) hidden.remove();
      return main.textContent;
    })()`)) as string;
    return codes.filter((code) => new RegExp(`(^|[^\\w-])${code}([^\\w-]|$)`).test(text));
  };

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
      // Each field with its level by the rules' name and what may leave of it; modes and shapes in words.
      expect(terms).toContain("一般数据（二级，受限）");
      expect(terms).toContain("仅提供达到最小分组 k 并加差分隐私噪声的聚合结果");
      expect(terms).toContain("多方安全计算");
      expect(terms).toContain("求和");
      expect(await visibleCodes(page, ["mpc", "sum", "string"])).toEqual([]);
      expect(await card.locator('.named[data-code="mpc"]').count()).toBeGreaterThan(0);
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
      const approved = await page.getByRole("status").first().textContent();
      expect(approved).toContain(`已批准场景 ${scenarioId}`);
      expect(approved).toContain(index === world.owners.length - 1 ? "场景现已生效" : "还在等待其他数据提供方批准");
      await screenshot(page, `owner-${index + 1}-scenarios-approved`);
    }
    const scenario = await world.client(world.operator).getScenario(scenarioId);
    expect(scenario.status).toBe("active");

    // Once active, the owner's card says so, in both languages.
    const page = await signIn(world.owners[0]?.key as KeyFile, dir);
    const card = page.locator(`section[data-scenario="${scenarioId}"]`);
    expect(await card.getByRole("status").textContent()).toContain("此场景已生效");
    await page.goto(`${world.url}/console/owner/scenarios?lang=en`);
    expect(await card.getByRole("status").textContent()).toContain("This scenario is active");
    await screenshot(page, "owner-scenario-active-en");
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
    expect(await page.locator("main").textContent()).toContain("杭州市");
    expect(await page.locator('.named[data-code="330100"]').first().getAttribute("title")).toBe("330100");
    expect(await visibleCodes(page, ["330100", "mpc", "psi", "social-insurance", "comprehensive"])).toEqual([]);
    // Times on Shanghai's wall clock, the instant kept in datetime.
    const time = page.locator("main time").first();
    const at = new Date((await time.getAttribute("datetime")) as string);
    expect(await time.textContent()).toBe(zonedLocalInput(at, "Asia/Shanghai").replace("T", " "));
    expect(await page.locator("header .zone").textContent()).toContain("Asia/Shanghai (UTC+08:00)");
    await screenshot(page, "operator-grants-and-scenarios");
    await page.goto(`${world.url}/console/operator?lang=en`);
    expect(await page.locator("main").textContent()).toContain("Hangzhou");
    expect(await page.locator("main").textContent()).toContain("important data");
    expect(await visibleCodes(page, ["330100", "mpc", "psi", "social-insurance"])).toEqual([]);
    await screenshot(page, "operator-grants-and-scenarios-en");
    await page.goto(`${world.url}/console/operator/jobs?lang=en`);
    const jobRow = await page.locator(`tr[data-job="${job.jobId}"]`).textContent();
    expect(jobRow).toContain("succeeded");
    expect(jobRow).toContain("secure multi-party computation · sum");
    expect(await page.locator(`tr[data-job="${job.jobId}"] code[data-code="${recordId}"]`).getAttribute("title")).toBe(
      recordId,
    );
    await screenshot(page, "operator-jobs");

    // The ledger is not the operator's: the page says whose it is and how to verify its own record.
    const refused = await page.goto(`${world.url}/console/ledger?lang=zh`);
    expect(refused?.status()).toBe(403);
    expect(await page.locator("h1").textContent()).toBe("无权访问此页面");
    expect(await page.locator("main").textContent()).toContain("此页面只向监管方和授权机构开放");
    expect(await page.locator("main").textContent()).toContain("sluice verify");
    await screenshot(page, "operator-ledger-refused");
    await page.goto(`${world.url}/console/ledger?lang=en`);
    expect(await page.locator("h1").textContent()).toBe("This page is not for your role");
    expect(await page.locator("main").textContent()).not.toContain("Something went wrong");

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
    const datasetsText = await page.locator("main").textContent();
    for (const words of ["杭州市", "税务", "企业纳税", "文本", "整数", "重要数据", "一般数据（二级，受限）"])
      expect(datasetsText).toContain(words);
    expect(await visibleCodes(page, ["330100", "enterprise-tax", "string", "integer"])).toEqual([]);
    expect(await page.locator('.named[data-code="tax"]').first().textContent()).toBe("税务");
    await screenshot(page, "owner-datasets");
    await page.goto(`${world.url}/console/owner/datasets?lang=en`);
    const datasetsEn = await page.locator("main").textContent();
    for (const words of ["Hangzhou", "enterprise tax", "important data", "general data, grade 2 (restricted)"])
      expect(datasetsEn).toContain(words);
    expect(datasetsEn).not.toContain("1 level");
    await screenshot(page, "owner-datasets-en");
    await page.goto(`${world.url}/console/owner/usage?lang=zh`);
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
    // The record as a labelled table, in words; the signed JSON folded beneath it.
    expect(await page.locator('tr[data-field="feeFen"] th').textContent()).toBe("费用");
    expect(await page.locator('tr[data-field="feeFen"] td').textContent()).toMatch(/^¥\d/);
    expect(await page.locator('tr[data-field="computeMode"] td').textContent()).toBe("多方安全计算");
    expect(await page.locator("details pre.record").isVisible()).toBe(false);
    await screenshot(page, "regulator-record-verified");

    // The batch's period, from the ledger's batch table, verified with one more click.
    await page.goto(`${world.url}/console/ledger`);
    await Promise.all([page.waitForURL("**/console/audit?*"), page.getByRole("link", { name: "核验此期间" }).click()]);
    await Promise.all([page.waitForSelector("[data-audit]"), page.getByRole("button", { name: "开始核验" }).click()]);
    expect(await page.locator("[data-audit]").getAttribute("data-audit")).toBe("passed");
    expect(await page.locator("main").textContent()).toContain("核验通过：未发现问题");
    await screenshot(page, "regulator-audit-passed");
    // The report a regulator files: the HTML page, and the same printed to PDF by Chromium.
    for (const [button, kind] of [
      ["下载审计报告（HTML）", "html"],
      ["下载审计报告（PDF）", "pdf"],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: button }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(
        new RegExp(`^sluice-audit-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.${kind}$`),
      );
      const saved = path.join(shots, `audit-report.${kind}`);
      await download.saveAs(saved);
      const bytes = readFileSync(saved);
      if (kind === "html") expect(bytes.toString("utf8")).toContain("通过 / PASSED");
      else expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    }

    await page.goto(`${world.url}/console/settlements`);
    await screenshot(page, "regulator-settlements");
    await page.locator("main table a").first().click();
    await page.waitForURL("**/console/settlements/*");
    expect(await page.getByRole("status").first().textContent()).toContain("与链上一致");
    await screenshot(page, "regulator-settlement");

    // From the statement to the data-asset accounts of exactly its period: each owner's total is its line.
    await Promise.all([
      page.waitForURL("**/console/assets?*"),
      page.getByRole("link", { name: "本期间各数据集的数据资产账户" }).click(),
    ]);
    const settled = page.locator("td[data-settlement]");
    expect(await settled.evaluateAll((cells) => cells.map((c) => c.getAttribute("data-settlement")))).toEqual([
      "matches",
      "matches",
    ]);
    expect(await page.locator("tr[data-dataset]").count()).toBe(2);
    await screenshot(page, "regulator-assets");
    await page.goto(`${page.url()}&lang=en`);
    expect(await page.locator("main").textContent()).toContain("Valuation method: income approach");
    await screenshot(page, "regulator-assets-en");

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
    // The date pickers take Shanghai's wall clock, to the second (the end rounded up past now).
    await page.fill("#period-start", zonedLocalInput(new Date(periodStart), "Asia/Shanghai"));
    await page.fill("#period-end", zonedLocalInput(new Date(Date.now() + 1_000), "Asia/Shanghai"));
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
    // The file picker speaks the page's language, and names the file chosen.
    expect(await page.locator(".file-choose").textContent()).toBe("选择文件…");
    expect(await page.locator(".file-name").textContent()).toBe("未选择文件");
    await page.setInputFiles("#key-file", notAKey);
    expect(await page.locator(".file-name").textContent()).toBe("notes.json");
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
  it("serves a favicon, and an API reference without Swagger UI's dialect warning or a second Authorize", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${world.url}/console/sign-in`);
    const icon = await page.locator('link[rel="icon"]').getAttribute("href");
    const served = await page.request.get(`${world.url}${icon}`);
    expect(served.status()).toBe(200);
    expect(served.headers()["content-type"]).toBe("image/svg+xml");
    await page.goto(`${world.url}/docs`);
    await page.waitForSelector(".opblock-tag");
    expect(await page.locator("body").textContent()).not.toContain("jsonSchemaDialect");
    expect(await page.locator(".errors-wrapper").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Authorize" }).filter({ visible: true }).count()).toBe(0);
    await page.screenshot({ path: path.join(shots, "docs.png") });
  });

  it("says in words why a job failed, with the node's own reason folded beneath", async () => {
    // The social insurance fund's node stops: the next query cannot reach it.
    await world.nodes.find((n) => n.nodeId === "node_social")?.stop();
    await query().catch(() => undefined);
    const page = await signIn(world.operator, testDirectory("sluice-console-"));
    await page.goto(`${world.url}/console/operator/jobs?lang=zh`);
    const failed = page
      .locator("tr[data-job]")
      .filter({ has: page.locator("td.job-failed") })
      .first();
    expect(await failed.locator(".failure p").textContent()).toContain("无法连接");
    expect(await failed.locator(".failure details").getAttribute("open")).toBeNull();
    expect(await failed.locator(".failure code").textContent()).toContain("node_social");
    await screenshot(page, "operator-job-failed");
    await page.goto(`${world.url}/console/operator/jobs?lang=en`);
    expect(await failed.locator(".failure p").textContent()).toContain("could not be reached");
    await screenshot(page, "operator-job-failed-en");
  });
});
