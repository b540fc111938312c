import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalMessage, scenarioTerms, signApproval } from "../../lib/approvals.js";
import { signBytes } from "../../lib/ed25519.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { zonedLocalInput } from "../../lib/time-zone.js";
import { challengeOf, consoleVisitor, csrfOf } from "../../test/support/console.js";
import { testDatabases } from "../../test/support/databases.js";
import { startTestGateway, type TestGateway, YEAR_WINDOW } from "../../test/support/gateway.js";
import { seedJob } from "../../test/support/usage-records.js";
import { createApp } from "../app.js";
import { loadScenario } from "../services/scenarios.js";
import { CONSOLE_MAX_FORM_BYTES } from "./app.js";
import { signInMessage } from "./sign-in.js";

describe.each(testDatabases())("the console on $name", ({ open }) => {
  let gw: TestGateway;
  const bank = createKeyFile("bank");
  const taxOwner = createKeyFile("owner_tax");
  const siOwner = createKeyFile("owner_si");
  const regulator = createKeyFile("regulator");
  const outsider = createKeyFile("outsider");
  const fields = ["ds_tax.wages_fen", "ds_si.wages_fen"];
  const as = (key: KeyFile) => gw.client(key);
  const visitor = () => consoleVisitor(gw.app);
  const signedIn = async (key: KeyFile) => {
    const v = visitor();
    expect((await v.signIn(key)).status).toBe(303);
    return v;
  };
  const propose = async (purpose: string, overrides: Record<string, unknown> = {}) =>
    (
      await as(bank).proposeScenario({
        purpose,
        fields,
        computeModes: ["mpc"],
        queryShapes: ["sum"],
        minGroupSize: 20,
        epsilonPerQuery: 0.5,
        epsilonBudget: 5,
        queryQuota: 100,
        pricePerQueryFen: 500,
        platformShareBasisPoints: 1000,
        ...YEAR_WINDOW,
        ...overrides,
      })
    ).id;
  const decisionOf = async (scenarioId: string, ownerId: string) =>
    (await loadScenario(gw.database.db, scenarioId)).approvals.find((a) => a.ownerId === ownerId)?.decision;

  beforeAll(async () => {
    gw = await startTestGateway(await open());
    const authority = as(gw.authority);
    await authority.admitParticipant({ id: bank.id, name: "Bank", role: "operator", publicKey: bank.publicKey });
    await authority.admitParticipant({
      id: regulator.id,
      name: "Regulator",
      role: "regulator",
      publicKey: regulator.publicKey,
    });
    for (const [key, name, id, sector] of [
      [taxOwner, "Tax bureau", "ds_tax", "tax"],
      [siOwner, "Social insurance fund", "ds_si", "social-insurance"],
    ] as const) {
      await authority.admitParticipant({ id: key.id, name, role: "owner", publicKey: key.publicKey });
      const node = await as(key).registerNode({
        url: `http://127.0.0.1:9/${id}`,
        publicKey: createKeyFile("n").publicKey,
        encryptionKey: createKeyFile("x").publicKey,
      });
      await as(key).registerDataset({
        id,
        name: `${name} wages`,
        nodeId: node.id,
        sector,
        category: `enterprise-${sector}`,
        region: "330100",
        keyField: "uscc",
        fields: [
          { name: "uscc", type: "string", level: 1 },
          { name: "wages_fen", type: "integer", level: 2 },
        ],
      });
    }
    const grant = {
      operatorId: bank.id,
      regions: ["330100"],
      computeModes: ["mpc", "join", "he"],
      maxLevel: 3,
      ...YEAR_WINDOW,
    };
    await authority.grant({ ...grant, sectors: ["tax", "social-insurance"] });
    for (const sector of ["tax", "social-insurance"]) {
      const dept = createKeyFile(`dept_${sector.replace("-", "_")}`);
      await authority.admitParticipant({
        id: dept.id,
        name: sector,
        role: "sector",
        sector,
        publicKey: dept.publicKey,
      });
      await as(dept).grant({ ...grant, sectors: [sector] });
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.database.close();
  });

  describe("signing in", () => {
    it("serves the sign-in page in Chinese by default, in English when asked, and remembers the choice", async () => {
      const v = visitor();
      const zh = await v.get("/console/sign-in");
      expect(zh.status).toBe(200);
      expect(zh.html).toContain('lang="zh-CN"');
      expect(zh.html).toContain("签名并登录");
      expect(zh.html).toMatch(/<label for="key-file">/);
      const en = await v.get("/console/sign-in?lang=en");
      expect(en.html).toContain('lang="en"');
      expect(en.html).toContain("Sign and sign in");
      expect((await v.get("/console/sign-in")).html).toContain("Sign and sign in");
      // The key file input has no name: the browser never sends the file.
      expect(zh.html).not.toMatch(/type="file"[^>]*name=/);
    });

    it("sends every page with a strict content security policy and no caching", async () => {
      const { response } = await visitor().get("/console/sign-in");
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("cache-control")).toBe("no-store");
    });

    it("signs in with the participant's signature over the challenge and sets a short, HttpOnly, SameSite=Strict cookie", async () => {
      const v = visitor();
      const { status, response } = await v.signIn(taxOwner);
      expect(status).toBe(303);
      expect(response.headers.get("location")).toBe("/console");
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith("sluice_console=")) ?? "";
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\/console/);
      expect(cookie).toMatch(/Max-Age=1800/);
      expect(cookie).not.toMatch(/Secure/);
      const home = await v.get("/console");
      expect(home.response.headers.get("location")).toBe("/console/owner/scenarios");
      expect((await v.get("/console/owner/scenarios")).html).toContain("Tax bureau");
    });

    it("marks the cookie Secure when the console's public origin is https", async () => {
      const app = createApp({ ...gw.deps, console: { publicOrigin: "https://sluice.example.gov.cn" } });
      const v = consoleVisitor(app, "https://sluice.example.gov.cn");
      const { status, response } = await v.signIn(taxOwner);
      expect(status).toBe(303);
      expect(response.headers.getSetCookie().find((c) => c.startsWith("sluice_console="))).toMatch(/Secure/);
    });

    it("refuses a challenge used twice", async () => {
      const v = visitor();
      const challenge = challengeOf((await v.get("/console/sign-in")).html);
      const signature = signBytes(taxOwner.privateKeyPem, signInMessage(challenge, "http://gateway.test", taxOwner.id));
      expect((await v.post("/console/sign-in", { challenge, participantId: taxOwner.id, signature })).status).toBe(303);
      const again = await visitor().post("/console/sign-in", { challenge, participantId: taxOwner.id, signature });
      expect(again.status).toBe(400);
      expect(again.html).toContain("登录挑战已过期或已被使用");
      expect(again.response.headers.getSetCookie().some((c) => c.startsWith("sluice_console="))).toBe(false);
    });

    it.each([
      ["a challenge the console never issued", { challenge: "A".repeat(43) }, 400],
      ["a malformed challenge", { challenge: "short" }, 400],
      ["a malformed signature", { signature: "not-a-signature" }, 400],
    ])("refuses %s", async (_, override, status) => {
      const v = visitor();
      const challenge = challengeOf((await v.get("/console/sign-in")).html);
      const signature = signBytes(taxOwner.privateKeyPem, signInMessage(challenge, "http://gateway.test", taxOwner.id));
      const result = await v.post("/console/sign-in", {
        challenge,
        participantId: taxOwner.id,
        signature,
        ...override,
      });
      expect(result.status).toBe(status);
      expect((await v.get("/console/owner/scenarios")).status).toBe(303);
    });

    it.each([
      ["another participant's key", () => ({ key: siOwner, as: taxOwner.id, origin: "http://gateway.test" })],
      ["a key never admitted", () => ({ key: outsider, as: outsider.id, origin: "http://gateway.test" })],
      [
        "a signature over another origin (a relaying page)",
        () => ({ key: taxOwner, as: taxOwner.id, origin: "https://evil.example" }),
      ],
    ])("refuses %s", async (_, setup) => {
      const { key, as: participantId, origin } = setup();
      const v = visitor();
      const challenge = challengeOf((await v.get("/console/sign-in")).html);
      const signature = signBytes(key.privateKeyPem, signInMessage(challenge, origin, participantId));
      const result = await v.post("/console/sign-in", { challenge, participantId, signature });
      expect(result.status).toBe(403);
      expect(result.html).toContain("签名不属于任何已准入参与方的当前密钥");
      expect((await v.get("/console")).status).toBe(303);
      expect((await v.get("/console")).response.headers.get("location")).toBe("/console/sign-in");
    });

    it.each([
      ["from another origin", { origin: "https://evil.example" }],
      ["marked cross-site by the browser", { origin: "http://gateway.test", "sec-fetch-site": "cross-site" }],
    ])("refuses a sign-in posted %s", async (_, headers) => {
      const v = visitor();
      const challenge = challengeOf((await v.get("/console/sign-in")).html);
      const signature = signBytes(taxOwner.privateKeyPem, signInMessage(challenge, "http://gateway.test", taxOwner.id));
      const result = await v.post("/console/sign-in", { challenge, participantId: taxOwner.id, signature }, headers);
      expect(result.status).toBe(403);
      expect(result.response.headers.getSetCookie().some((c) => c.startsWith("sluice_console="))).toBe(false);
    });

    it("refuses a form that is not URL-encoded, and one larger than a form can be, chunked or not", async () => {
      const v = await signedIn(taxOwner);
      const multipart = await gw.app.request("http://gateway.test/console/sign-out", {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=x", origin: "http://gateway.test" },
        body: "--x--",
      });
      expect(multipart.status).toBe(415);
      const huge = `csrf=x&reason=${"a".repeat(CONSOLE_MAX_FORM_BYTES)}`;
      const declared = await v.post("/console/sign-out", { csrf: "x", reason: "a".repeat(CONSOLE_MAX_FORM_BYTES) });
      expect(declared.status).toBe(413);
      const chunked = await gw.app.request("http://gateway.test/console/sign-out", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "http://gateway.test",
          cookie: [...v.jar].map(([k, val]) => `${k}=${val}`).join("; "),
        },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(huge));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(await chunked.text()).toContain("提交的内容太大");
      expect((await v.get("/console/owner/datasets")).status).toBe(200);
    });

    it("sends every page to sign-in without a session, or with a cookie the console never gave", async () => {
      for (const path of [
        "/console",
        "/console/owner/scenarios",
        "/console/ledger",
        "/console/operator",
        "/console/nope",
      ]) {
        const v = visitor();
        expect((await v.get(path)).response.headers.get("location")).toBe("/console/sign-in");
        v.jar.set("sluice_console", "forged");
        expect((await v.get(path)).response.headers.get("location")).toBe("/console/sign-in");
      }
    });

    it("ends the session when the participant's key is rotated", async () => {
      const key = createKeyFile("owner_rotating");
      await as(gw.authority).admitParticipant({
        id: key.id,
        name: "Rotating",
        role: "owner",
        publicKey: key.publicKey,
      });
      const v = await signedIn(key);
      expect((await v.get("/console/owner/datasets")).status).toBe(200);
      await as(key).request("POST", `/participants/${key.id}/keys`, { publicKey: createKeyFile(key.id).publicKey });
      const after = await v.get("/console/owner/datasets");
      expect(after.status).toBe(303);
      expect(after.response.headers.get("location")).toBe("/console/sign-in");
    });

    it("ends the session of a participant revoked, and refuses its sign-in", async () => {
      const key = createKeyFile("owner_revoked");
      await as(gw.authority).admitParticipant({ id: key.id, name: "Revoked", role: "owner", publicKey: key.publicKey });
      const v = await signedIn(key);
      await as(gw.authority).request("POST", `/participants/${key.id}/revoke`, { reason: "left the programme" });
      expect((await v.get("/console/owner/datasets")).response.headers.get("location")).toBe("/console/sign-in");
      expect((await visitor().signIn(key)).status).toBe(403);
    });

    it("signs out only with the session's CSRF token, and the session is then gone", async () => {
      const v = await signedIn(regulator);
      expect((await v.post("/console/sign-out", {})).status).toBe(403);
      expect((await v.get("/console/ledger")).status).toBe(200);
      const out = await v.post("/console/sign-out", { csrf: await v.csrf("/console/ledger") });
      expect(out.response.headers.get("location")).toBe("/console/sign-in");
      expect((await v.get("/console/ledger")).status).toBe(303);
    });
  });

  describe("roles", () => {
    it.each([
      ["an operator", () => bank, ["/console/owner/scenarios", "/console/ledger", "/console/audit", "/console/charts"]],
      ["an owner", () => taxOwner, ["/console/ledger", "/console/settlements", "/console/operator"]],
      ["a regulator", () => regulator, ["/console/owner/scenarios", "/console/owner/usage", "/console/operator/jobs"]],
    ])("shows %s only its own pages", async (_, key, forbidden) => {
      const v = await signedIn(key());
      for (const path of forbidden) {
        const page = await v.get(path);
        expect(page.status, path).toBe(403);
        expect(page.html).toContain("无权访问此页面");
        expect(page.html).toContain("此页面只向");
      }
    });
  });

  describe("an owner's decisions", () => {
    it("shows every term the owner approves: operator, purpose, exact fields, modes, k, ε, quota, price and shares", async () => {
      const id = await propose("Wage base for credit scoring");
      const v = await signedIn(taxOwner);
      const { html } = await v.get("/console/owner/scenarios?lang=en");
      const card = html.slice(html.indexOf(`data-scenario="${id}"`));
      for (const text of [
        "Bank",
        bank.id,
        "Wage base for credit scoring",
        "ds_si.wages_fen",
        "ds_tax.wages_fen",
        "mpc",
        "sum",
        "Minimum group size k</dt><dd>20",
        "ε per query</dt><dd>0.5",
        "ε budget</dt><dd>5",
        "Query quota</dt><dd>100",
        "¥5.00",
        "Platform 10%",
      ]) {
        expect(card).toContain(text);
      }
      const message = approvalMessage(taxOwner.id, scenarioTerms((await loadScenario(gw.database.db, id)).scenario));
      expect(card).toContain(`data-approval-message="${message.replaceAll('"', "&quot;")}"`);
    });

    it("shows a joined scenario's clerk which departments' columns are joined on the key and what leaves, in Chinese and English", async () => {
      const id = await propose("Wages joined across departments", {
        fields: ["ds_tax.uscc", "ds_tax.wages_fen", "ds_si.uscc"],
        computeModes: ["join"],
        queryShapes: ["mean"],
      });
      const v = await signedIn(taxOwner);
      const cardOf = (html: string) =>
        html.slice(html.indexOf(`data-scenario="${id}"`)).split("</section>")[0] as string;
      const en = cardOf((await v.get("/console/owner/scenarios?lang=en")).html);
      expect(en).toContain("Joined across departments</dt>");
      expect(en).toContain("<code>ds_tax</code>: <code>uscc</code>, <code>wages_fen</code>");
      expect(en).toContain("<code>ds_si</code>: <code>uscc</code>");
      expect(en).toContain("nor learns which of its enterprises the others hold");
      const zh = cardOf((await v.get("/console/owner/scenarios?lang=zh")).html);
      expect(zh).toContain("跨部门关联</dt>");
      expect(zh).toContain("按统一社会信用代码关联");
      // A scenario that does not join says nothing of joins.
      const other = await propose("No join here");
      const plain = (await v.get("/console/owner/scenarios?lang=en")).html;
      expect(plain.slice(plain.indexOf(`data-scenario="${other}"`)).split("</section>")[0]).not.toContain(
        "Joined across",
      );
    });

    it("shows a vertical score's clerk whose columns the model weighs and what leaves, in Chinese and English", async () => {
      const id = await propose("A credit score from both departments", {
        fields: ["ds_tax.uscc", "ds_tax.wages_fen", "ds_si.uscc", "ds_si.wages_fen"],
        computeModes: ["he"],
        queryShapes: ["he-score"],
      });
      const v = await signedIn(taxOwner);
      const cardOf = (html: string) =>
        html.slice(html.indexOf(`data-scenario="${id}"`)).split("</section>")[0] as string;
      const en = cardOf((await v.get("/console/owner/scenarios?lang=en")).html);
      expect(en).toContain("Scored across departments</dt>");
      expect(en).toContain("<code>ds_si</code>: <code>uscc</code>, <code>wages_fen</code>");
      expect(en).toContain("which only the operator can open");
      expect(en).not.toContain("Joined across");
      const zh = cardOf((await v.get("/console/owner/scenarios?lang=zh")).html);
      expect(zh).toContain("跨部门联合评分</dt>");
      expect(zh).toContain("只有运营方能解密");
    });

    it("approves with the owner's signature over the terms, and only with it", async () => {
      const id = await propose("Approve me: wage totals");
      const v = await signedIn(taxOwner);
      const csrf = await v.csrf("/console/owner/scenarios");
      const terms = scenarioTerms((await loadScenario(gw.database.db, id)).scenario);
      const good = signApproval(taxOwner.id, terms, taxOwner.privateKeyPem);

      const unsigned = await v.post(`/console/owner/scenarios/${id}/approve`, { csrf, signature: "" });
      expect(unsigned.status).toBe(400);
      expect(unsigned.html).toContain("批准没有签名");
      const otherKey = signApproval(taxOwner.id, terms, siOwner.privateKeyPem);
      const forged = await v.post(`/console/owner/scenarios/${id}/approve`, { csrf, signature: otherKey });
      expect(forged.status).toBe(422);
      expect(forged.html).toContain("批准签名无效");
      expect(forged.html).toContain("not signed with owner_tax");
      const otherTerms = signApproval(taxOwner.id, { ...terms, minGroupSize: 2 }, taxOwner.privateKeyPem);
      expect((await v.post(`/console/owner/scenarios/${id}/approve`, { csrf, signature: otherTerms })).status).toBe(
        422,
      );
      expect(await decisionOf(id, taxOwner.id)).toBe("pending");

      const done = await v.post(`/console/owner/scenarios/${id}/approve`, { csrf, signature: good });
      expect(done.status).toBe(303);
      expect(done.response.headers.get("location")).toBe(`/console/owner/scenarios?done=approve&scenario=${id}`);
      expect(await decisionOf(id, taxOwner.id)).toBe("approved");
      expect((await v.get(`/console/owner/scenarios?done=approve&scenario=${id}`)).html).toContain("已批准场景");
    });

    it("refuses a decision without the session's CSRF token, or posted from elsewhere", async () => {
      const id = await propose("CSRF target: wage totals");
      const v = await signedIn(taxOwner);
      const csrf = await v.csrf("/console/owner/scenarios");
      const attempts: [Record<string, string>, Record<string, string> | undefined][] = [
        [{ reason: "no token" }, undefined],
        [{ reason: "wrong token", csrf: `${csrf.slice(0, -2)}xx` }, undefined],
        [
          {
            reason: "another session's token",
            csrf: await (await signedIn(taxOwner)).csrf("/console/owner/scenarios"),
          },
          undefined,
        ],
        [{ reason: "from elsewhere", csrf }, { origin: "https://evil.example" }],
        [
          { reason: "cross-site", csrf },
          { origin: "http://gateway.test", "sec-fetch-site": "cross-site" },
        ],
      ];
      for (const [form, headers] of attempts) {
        const result = await v.post(`/console/owner/scenarios/${id}/reject`, form, headers);
        expect(result.status, form.reason).toBe(403);
        expect(result.html).toContain("表单已失效或来源不符");
      }
      expect(await decisionOf(id, taxOwner.id)).toBe("pending");
    });

    it("rejects only with a reason, and then records it", async () => {
      const id = await propose("Reject me: wage totals");
      const v = await signedIn(siOwner);
      const csrf = await v.csrf("/console/owner/scenarios");
      for (const reason of ["", "   "]) {
        const result = await v.post(`/console/owner/scenarios/${id}/reject`, { csrf, reason });
        expect(result.status).toBe(400);
        expect(result.html).toContain("请填写理由");
      }
      expect(await decisionOf(id, siOwner.id)).toBe("pending");
      expect(
        (await v.post(`/console/owner/scenarios/${id}/reject`, { csrf, reason: "k too small for us" })).status,
      ).toBe(303);
      const { approvals } = await loadScenario(gw.database.db, id);
      expect(approvals.find((a) => a.ownerId === siOwner.id)).toMatchObject({
        decision: "rejected",
        reason: "k too small for us",
      });
      // Decided: a second decision is refused and changes nothing.
      const again = await v.post(`/console/owner/scenarios/${id}/reject`, { csrf, reason: "again" });
      expect(again.status).toBe(409);
      expect(again.html).toContain("当前状态下不能这样操作");
      expect((await loadScenario(gw.database.db, id)).approvals.find((a) => a.ownerId === siOwner.id)?.reason).toBe(
        "k too small for us",
      );
    });

    it("suspends an approved scenario with a reason", async () => {
      const id = await propose("Suspend me: wage totals");
      for (const key of [taxOwner, siOwner]) await as(key).decideScenario(id, { decision: "approve" });
      const v = await signedIn(taxOwner);
      const { html } = await v.get("/console/owner/scenarios");
      expect(html).toContain(`action="/console/owner/scenarios/${id}/suspend"`);
      const csrf = csrfOf(html);
      expect((await v.post(`/console/owner/scenarios/${id}/suspend`, { csrf, reason: "" })).status).toBe(400);
      expect((await loadScenario(gw.database.db, id)).scenario.status).toBe("approved");
      expect((await v.post(`/console/owner/scenarios/${id}/suspend`, { csrf, reason: "audit under way" })).status).toBe(
        303,
      );
      expect((await loadScenario(gw.database.db, id)).scenario.status).toBe("suspended");
    });

    it("refuses a decision on a scenario that does not use the owner's data", async () => {
      const id = await propose("Not yours: wage totals");
      const stranger = createKeyFile("owner_stranger");
      await as(gw.authority).admitParticipant({
        id: stranger.id,
        name: "Stranger",
        role: "owner",
        publicKey: stranger.publicKey,
      });
      const v = await signedIn(stranger);
      const csrf = await v.csrf("/console/owner/scenarios");
      const result = await v.post(`/console/owner/scenarios/${id}/reject`, { csrf, reason: "not mine" });
      expect(result.status).toBe(403);
      expect(await decisionOf(id, taxOwner.id)).toBe("pending");
    });

    it("lists the owner's datasets with each field's classification", async () => {
      const v = await signedIn(taxOwner);
      const { status, html } = await v.get("/console/owner/datasets?lang=en");
      expect(status).toBe(200);
      expect(html).toContain("Tax bureau wages");
      expect(html).toContain("wages_fen");
      expect(html).toMatch(/level-2"><span class="named" title="2" data-code="2">general data, grade 2 \(restricted\)/);
      expect(html).not.toContain("2 level");
      expect(html).not.toContain("Social insurance fund wages");
    });
  });

  describe("an operator's pages", () => {
    it("shows its grants and its scenarios with the quota and budget left", async () => {
      const v = await signedIn(bank);
      const { status, html } = await v.get("/console/operator?lang=en");
      expect(status).toBe(200);
      expect(html).toContain("comprehensive");
      expect(html).toContain("100 / 100");
      expect(html).toContain("5 / 5");
      expect((await v.get("/console/operator/jobs")).status).toBe(200);
    });
  });

  describe("a regulator's pages", () => {
    it("refuses a malformed ledger filter with the reason, and an audit period that ends before it starts", async () => {
      const v = await signedIn(regulator);
      const ledger = await v.get("/console/ledger?from=yesterday");
      expect(ledger.status).toBe(400);
      expect(ledger.html).toContain("from:");
      expect(ledger.html).toContain('name="from" value="yesterday"');
      const csrf = csrfOf((await v.get("/console/audit")).html);
      // The form takes the date pickers' wall-clock times in the viewer's zone (Asia/Shanghai here).
      const backwards = await v.post("/console/audit", {
        csrf,
        periodStart: "2026-11-02T08:00",
        periodEnd: "2026-11-01T08:00",
      });
      expect(backwards.status).toBe(400);
      expect(backwards.html).toContain("期间的结束时间必须晚于开始时间");
      const typed = await v.post("/console/audit", {
        csrf,
        periodStart: "2026-11-01T00:00:00Z",
        periodEnd: "yesterday",
      });
      expect(typed.status).toBe(400);
      expect(typed.html).toContain("请用日期选择器填写期间的起止时间");
      expect(typed.html).toContain('value="yesterday"');
      const empty = await v.post("/console/audit", {
        csrf,
        periodStart: "2020-01-01T08:00:00",
        periodEnd: "2020-01-02T08:00:00",
      });
      expect(empty.status).toBe(200);
      expect(empty.html).toContain('data-audit="passed"');
      // Shanghai's 08:00 is midnight UTC: the period audited is the UTC day.
      expect(empty.html).toContain('name="periodStart" value="2020-01-01T00:00:00.000Z"');
      const report = await v.post("/console/audit/report/html", {
        csrf,
        periodStart: "2020-01-01T00:00:00.000Z",
        periodEnd: "2020-01-02T00:00:00.000Z",
      });
      expect(report.status).toBe(200);
      expect(report.html).toContain("审计报告 / Audit report");
      expect(report.html).toContain("2020-01-01T00:00:00.000Z");
      const badReport = await v.post("/console/audit/report/pdf", { csrf, periodStart: "then", periodEnd: "now" });
      expect(badReport.status).toBe(400);
      // Without the session's token, or from any role but the regulator's and the authority's, no report is made.
      const period = { periodStart: "2020-01-01T00:00:00.000Z", periodEnd: "2020-01-02T00:00:00.000Z" };
      expect((await v.post("/console/audit/report/html", period)).status).toBe(403);
      for (const key of [bank, taxOwner]) {
        const other = await signedIn(key);
        const token = csrfOf((await other.get(key === bank ? "/console/operator" : "/console/owner/datasets")).html);
        const refused = await other.post("/console/audit/report/html", { csrf: token, ...period });
        expect(refused.status).toBe(403);
        expect(refused.html).not.toContain("Audit report");
      }
      // Another zone chosen with ?tz= is kept for the pages after; an unknown one is ignored.
      expect((await v.get("/console/audit?tz=America/New_York")).html).toContain("America/New_York (UTC-0");
      expect((await v.get("/console/audit")).html).toContain("America/New_York (UTC-0");
      expect((await v.get("/console/audit?tz=Mars/Olympus")).html).toContain("America/New_York (UTC-0");
    });

    it("lists the ledger a page at a time, filtered, each record with its verification link", async () => {
      const seeded = [];
      for (const fee of [100, 200, 300]) seeded.push((await seedJob(gw.database, fee)).record.recordId);
      const v = await signedIn(regulator);
      const first = await v.get("/console/ledger?operatorId=op&limit=2");
      expect(first.status).toBe(200);
      const shown = (html: string) => [...html.matchAll(/data-record="([^"]+)"/g)].map((m) => m[1]);
      expect(shown(first.html)).toEqual([seeded[2], seeded[1]]);
      expect(first.html).toContain(`href="/console/ledger/records/${seeded[2]}"`);
      const next = /href="(\/console\/ledger\?[^"]*before=[^"]+)"/.exec(first.html)?.[1]?.replaceAll("&amp;", "&");
      expect(next).toContain("operatorId=op");
      const second = await v.get(next ?? "");
      expect(shown(second.html)).toEqual([seeded[0]]);
      expect(second.html).not.toContain("下一页");
      expect(first.html).toContain("下一页");
      expect(shown((await v.get("/console/ledger?operatorId=nobody")).html)).toEqual([]);
    });

    it("answers a record it does not have with a page saying so", async () => {
      const v = await signedIn(regulator);
      const page = await v.get("/console/ledger/records/rec_missing");
      expect(page.status).toBe(404);
      expect(page.html).toContain("rec_missing");
    });
  });

  describe("data-asset accounts", () => {
    it("shows an owner its own datasets' accounts for a period picked by date, with the CSV and the report to file", async () => {
      const start = new Date(Date.now() - 1_000);
      await seedJob(gw.database, 1_000, [{ ownerId: taxOwner.id, datasetId: "ds_tax", contributionUnits: 2 }]);
      await seedJob(gw.database, 1_000, [{ ownerId: siOwner.id, datasetId: "ds_si", contributionUnits: 1 }]);
      const end = new Date(Date.now() + 2_000);
      const local = (at: Date) => zonedLocalInput(at, "Asia/Shanghai");
      const v = await signedIn(taxOwner);
      const blank = await v.get("/console/assets");
      expect(blank.status).toBe(200);
      expect(blank.html).toContain('type="datetime-local"');
      const page = await v.get(`/console/assets?periodStart=${local(start)}&periodEnd=${local(end)}`);
      expect(page.status).toBe(200);
      // The seeded scenario gives the platform 10%: the tax bureau's 900 fen, its one use, its scenario.
      const row = page.html.slice(page.html.indexOf('data-dataset="ds_tax"')).split("</tr>")[0] as string;
      expect(row).toContain("Tax bureau wages");
      expect(row).toContain("¥9.00");
      expect(page.html).not.toContain('data-dataset="ds_si"');
      expect(page.html).toContain("尚无恰好覆盖本期间的结算单");
      expect(page.html).toContain("估值方法：收益法");
      expect(page.html).toContain("今后 5 年每年的收益，按年折现率 8% 折现");
      expect(row).toMatch(/<span class="named"[^>]*>Tax bureau</);
      const query = new URLSearchParams({ periodStart: start.toISOString(), periodEnd: end.toISOString() });
      const csv = await v.get(`/console/assets/report/csv?${query}`);
      expect(csv.status).toBe(200);
      expect(csv.response.headers.get("content-type")).toContain("text/csv");
      expect(csv.response.headers.get("content-disposition")).toMatch(/attachment; filename="sluice-assets-.*\.csv"/);
      expect(csv.html.split("\r\n")).toHaveLength(3);
      expect(csv.html).toMatch(new RegExp(`,${taxOwner.id},ds_tax,Tax bureau wages,1,2,900,9\\.00,`));
      const report = await v.get(`/console/assets/report/html?${query}`);
      expect(report.html).toContain("数据资产账户 / Data-asset accounts");

      const english = await v.get(`/console/assets?periodStart=${local(start)}&periodEnd=${local(end)}&lang=en`);
      expect(english.html).toContain("Valuation method: income approach");
      const asRegulator = await signedIn(regulator);
      const all = await asRegulator.get(`/console/assets?periodStart=${local(start)}&periodEnd=${local(end)}`);
      expect(all.html).toContain('data-dataset="ds_tax"');
      expect(all.html).toContain('data-dataset="ds_si"');
    });

    it("refuses a period not given by the pickers or ending before it starts, and an operator", async () => {
      const v = await signedIn(taxOwner);
      const backwards = await v.get("/console/assets?periodStart=2026-12-02T00:00:00&periodEnd=2026-12-01T00:00:00");
      expect(backwards.status).toBe(400);
      expect(backwards.html).toContain("期间的结束时间必须晚于开始时间");
      expect((await v.get("/console/assets?periodStart=then&periodEnd=now")).status).toBe(400);
      expect((await v.get("/console/assets/report/csv?periodStart=then&periodEnd=now")).status).toBe(400);
      const operator = await signedIn(bank);
      expect((await operator.get("/console/assets")).status).toBe(403);
      expect(
        (
          await operator.get(
            "/console/assets/report/csv?periodStart=2026-01-01T00:00:00Z&periodEnd=2026-02-01T00:00:00Z",
          )
        ).status,
      ).toBe(403);
    });
  });
});
