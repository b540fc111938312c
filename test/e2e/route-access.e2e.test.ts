import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDatasetRegistration } from "../../compute/index.js";
import { routeTable } from "../../gateway/route-table.js";
import { signRequest } from "../../lib/http-signature.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { testDatabases } from "../support/databases.js";
import { YEAR_WINDOW } from "../support/gateway.js";
import { startWorld, type World } from "../support/world.js";

const [{ open }] = testDatabases() as [ReturnType<typeof testDatabases>[number]];

/**
 * Who calls: each role, and for the roles whose access depends on involvement, a participant of
 * that role who is not involved in the scenario, job and records the paths name.
 */
const CALLERS = ["authority", "regulator", "operator", "otherOperator", "owner", "otherOwner", "sector"] as const;
type Caller = (typeof CALLERS)[number];
const EVERYONE: readonly Caller[] = CALLERS;

/**
 * Every API route, the callers it lets through (answered with anything but 401 and 403: 200,
 * or 400/404/409/422 about the request itself), and the body it is sent with. Everyone else must be
 * refused 403; a request without a signature 401, except on public routes. A route missing from this
 * table fails the test, so a new route cannot go untested.
 */
interface Expectation {
  allow: readonly Caller[] | "public";
  body?: (ids: Ids) => unknown;
}

interface Ids {
  scenario: string;
  /** A second approved scenario, for the status changes. */
  actionScenario: string;
  job: string;
  record: string;
  datasetContent: unknown;
  decision: string;
  settlement: string;
  dataset: string;
  grant: string;
  operator: string;
  owner: string;
  /** A participant none of the callers is: the target of key rotation and revocation. */
  victim: string;
}

const reason = () => ({ reason: "access test" });

const TABLE: Record<string, Expectation> = {
  "GET /health": { allow: "public" },
  "GET /openapi.json": { allow: "public" },
  "GET /docs": { allow: "public" },
  "GET /docs/assets/:file": { allow: "public" },
  "POST /participants": { allow: ["authority"] },
  "GET /participants": { allow: EVERYONE },
  "GET /participants/:id": { allow: EVERYONE },
  "GET /participants/:id/events": { allow: ["authority", "regulator"] },
  "GET /participants/:id/keys": { allow: EVERYONE },
  "POST /participants/:id/keys": { allow: ["authority"], body: () => ({ publicKey: createKeyFile("v").publicKey }) },
  "POST /participants/:id/revoke": { allow: ["authority"], body: reason },
  "POST /nodes": { allow: ["authority", "owner", "otherOwner"] },
  "GET /nodes": { allow: EVERYONE },
  "POST /datasets": { allow: ["owner", "otherOwner"] },
  // The dataset as it is registered: its owner's update changes nothing, another owner's is refused.
  "PUT /datasets/:id": { allow: ["owner"], body: (ids) => ids.datasetContent },
  "GET /datasets": { allow: EVERYONE },
  "GET /datasets/:id": { allow: EVERYONE },
  "GET /datasets/:id/versions": { allow: EVERYONE },
  "POST /grants": { allow: ["authority", "sector"] },
  "GET /grants": { allow: EVERYONE },
  "GET /grants/:id": { allow: EVERYONE },
  // The other department's sector grant: the authority may change it, this department may not.
  "POST /grants/:id/suspend": { allow: ["authority"], body: reason },
  "POST /grants/:id/resume": { allow: ["authority"], body: reason },
  "POST /grants/:id/revoke": { allow: ["authority"], body: reason },
  "POST /scenarios": { allow: ["operator", "otherOperator"] },
  "GET /scenarios": { allow: EVERYONE },
  "GET /scenarios/:id": { allow: ["authority", "regulator", "operator", "owner", "sector"] },
  "GET /scenarios/:id/events": { allow: ["authority", "regulator", "operator", "owner", "sector"] },
  "POST /scenarios/:id/decisions": { allow: ["owner"], body: () => ({ decision: "reject", reason: "access test" }) },
  // The authority suspends first: the owner then finds it suspended (409), and may not resume a
  // suspension that is not its own; the operator may only withdraw its scenario.
  "POST /scenarios/:id/suspend": { allow: ["authority", "owner"], body: reason },
  "POST /scenarios/:id/resume": { allow: ["authority"], body: reason },
  "POST /scenarios/:id/revoke": { allow: ["authority", "owner", "operator"], body: reason },
  "POST /auto-approval-rules": { allow: ["owner", "otherOwner"] },
  "GET /auto-approval-rules": { allow: ["owner", "otherOwner"] },
  "DELETE /auto-approval-rules/:id": { allow: ["owner", "otherOwner"] },
  "POST /jobs/psi": { allow: ["operator", "otherOperator"] },
  "GET /jobs/psi/:id/owners/:owner/pages/:index": { allow: ["operator", "otherOperator"] },
  "POST /jobs/psi/:id/points": { allow: ["operator", "otherOperator"] },
  "POST /jobs/psi/:id/owners/:owner/raised-points": { allow: ["operator", "otherOperator"] },
  "POST /jobs/psi/:id/answer": { allow: ["operator", "otherOperator"] },
  "GET /jobs/psi/:id/answers/:index": { allow: ["operator", "otherOperator"] },
  "POST /jobs/psi/:id/sum": { allow: ["operator", "otherOperator"] },
  "DELETE /jobs/psi/:id": { allow: ["operator", "otherOperator"] },
  "POST /settlements": { allow: ["authority"] },
  "GET /settlements": { allow: ["authority", "regulator", "owner", "otherOwner"] },
  "GET /settlements/:id": { allow: ["authority", "regulator", "owner", "otherOwner"] },
  "GET /assets/accounts": { allow: ["authority", "regulator", "owner", "otherOwner"] },
  "POST /audits": { allow: ["authority", "regulator"] },
  "POST /jobs/explain": { allow: ["operator", "otherOperator"] },
  "POST /jobs": { allow: ["operator", "otherOperator"] },
  "POST /jobs/scores": { allow: ["operator", "otherOperator"] },
  "POST /jobs/vertical-scores": { allow: ["operator", "otherOperator"] },
  "POST /jobs/joins": { allow: ["operator", "otherOperator"] },
  "POST /jobs/sql": { allow: ["operator", "otherOperator"] },
  "GET /jobs": { allow: ["regulator", "operator", "otherOperator"] },
  // The scenario holds no result for review: no owner reviews the job, so none may read or review it.
  "GET /jobs/:id": { allow: ["regulator", "operator"] },
  "POST /jobs/:id/reviews": { allow: [], body: () => ({ decision: "release" }) },
  "GET /ledger/records": { allow: ["regulator"] },
  "GET /ledger/records/:id/proof": { allow: ["regulator", "operator"] },
  "GET /ledger/records/:id/replay": { allow: ["regulator"] },
  "GET /decisions/:hash": { allow: ["authority", "regulator"] },
  "GET /ledger/gateway-key": { allow: EVERYONE },
  "GET /ledger/chain": { allow: EVERYONE },
  "POST /he-keys": { allow: ["operator", "otherOperator"] },
  "GET /he-keys": { allow: ["operator", "otherOperator"] },
  "GET /he-keys/:id": { allow: ["operator", "otherOperator"] },
};

/** The concrete path a route is called at: each parameter is an id of the world. */
function concretePath(method: string, path: string, ids: Ids): string {
  const [, collection] = path.split("/");
  return path
    .replace(":file", "swagger-ui.css")
    .replace(":owner", ids.owner)
    .replace(":index", "0")
    .replace(":hash", ids.decision)
    .replace(":id", () => {
      switch (collection) {
        case "participants":
          return method === "POST" ? ids.victim : ids.operator;
        case "datasets":
          return ids.dataset;
        case "grants":
          return ids.grant;
        case "scenarios":
          return path.endsWith("suspend") || path.endsWith("resume") || path.endsWith("revoke")
            ? ids.actionScenario
            : ids.scenario;
        case "jobs":
          return ids.job;
        case "ledger":
          return ids.record;
        case "settlements":
          return ids.settlement;
        default:
          return "none";
      }
    });
}

describe("every route against every role, and against a participant not involved", () => {
  let world: World;
  let url: string;
  let ids: Ids;
  const keys = {} as Record<Caller, KeyFile>;

  beforeAll(async () => {
    world = await startWorld(await open());
    url = world.url;
    const authority = world.client();
    const owner = world.owners[0] as World["owners"][number];
    const otherOperator = createKeyFile("bank_b");
    const otherOwner = createKeyFile("owner_other");
    await authority.admitParticipant({
      id: otherOperator.id,
      name: "Other bank",
      role: "operator",
      publicKey: otherOperator.publicKey,
    });
    await authority.admitParticipant({
      id: otherOwner.id,
      name: "Other",
      role: "owner",
      publicKey: otherOwner.publicKey,
    });
    const victim = createKeyFile("victim");
    await authority.admitParticipant({ id: victim.id, name: "Victim", role: "operator", publicKey: victim.publicKey });
    Object.assign(keys, {
      authority: world.gw.authority,
      regulator: world.regulator,
      operator: world.operator,
      otherOperator,
      owner: owner.key,
      otherOwner,
      sector: owner.dept,
    });
    const scenario = await world.approvedScenario();
    const actionScenario = await world.approvedScenario();
    const job = await world.wageSum(scenario);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const settlement = await authority.request<{ id: string }>("POST", "/settlements", {
      periodStart: YEAR_WINDOW.validFrom,
      periodEnd: new Date(Date.now() + 1).toISOString(),
    });
    const grants = await authority.request<{ grants: { id: string; tier: string; sectors: string[] }[] }>(
      "GET",
      "/grants",
    );
    const otherSector = (world.owners[1] as World["owners"][number]).demo.sector;
    const otherGrant = grants.grants.find((g) => g.tier === "sector" && g.sectors.includes(otherSector));
    const { id: _id, ...datasetContent } = demoDatasetRegistration(owner.demo, `node_${owner.demo.key}`);
    ids = {
      scenario,
      actionScenario,
      job: job.jobId as string,
      record: job.usageRecordId as string,
      decision: job.decisionHash as string,
      settlement: settlement.id,
      dataset: owner.demo.dataset.id,
      grant: (otherGrant as { id: string }).id,
      datasetContent,
      operator: world.operator.id,
      owner: owner.key.id,
      victim: victim.id,
    };
  }, 180_000);
  afterAll(async () => {
    await world?.stop();
  });

  async function send(caller: Caller | "nobody", method: string, path: string, body?: unknown) {
    const target = `${url}${path}`;
    const text = body === undefined ? (method === "GET" || method === "DELETE" ? "" : "{}") : JSON.stringify(body);
    const headers: Record<string, string> = text ? { "content-type": "application/json" } : {};
    if (caller !== "nobody") {
      const key = keys[caller];
      Object.assign(
        headers,
        signRequest({
          method,
          url: target,
          body: text,
          keyId: key.id,
          privateKey: key.privateKeyPem,
          nonce: randomBytes(16).toString("base64url"),
        }),
      );
    }
    const response = await fetch(target, { method, headers, body: text || undefined });
    await response.arrayBuffer();
    return response.status;
  }

  it("has an expectation for every route the gateway serves, and no expectation for a route it does not", () => {
    const served = routeTable(world.gw.app).map((r) => `${r.method} ${r.path}`);
    expect(served.filter((r) => !(r in TABLE))).toEqual([]);
    expect(Object.keys(TABLE).filter((r) => !served.includes(r))).toEqual([]);
  });

  it("lets through exactly the callers each route names, refuses the rest 403 and the unsigned 401", async () => {
    const wrong: string[] = [];
    const seen: string[] = [];
    for (const [route, expectation] of Object.entries(TABLE)) {
      const [method, path] = route.split(" ") as [string, string];
      for (const caller of CALLERS) {
        const body = expectation.body?.(ids);
        const status = await send(caller, method, concretePath(method, path, ids), body);
        seen.push(`${route} ${caller} ${status}`);
        const through = status !== 401 && status !== 403;
        const expected = expectation.allow === "public" || expectation.allow.includes(caller);
        if (through !== expected || status >= 500) wrong.push(`${route} as ${caller}: ${status}`);
      }
      const unsigned = await send("nobody", method, concretePath(method, path, ids));
      if (expectation.allow === "public" ? unsigned >= 400 : unsigned !== 401) {
        wrong.push(`${route} unsigned: ${unsigned}`);
      }
    }
    if (process.env.ROUTE_ACCESS_DUMP) console.log(seen.join("\n"));
    expect(wrong).toEqual([]);
  }, 180_000);
});
