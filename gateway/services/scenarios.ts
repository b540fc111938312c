import { and, desc, eq, inArray, ne, notInArray, sql } from "drizzle-orm";
import { scenarioTerms, verifyApproval } from "../../lib/approvals.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { ConflictError, ForbiddenError, NotFoundError, SluiceError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import {
  autoApprovalMismatch,
  type ComputeMode,
  defaultClassificationRules,
  MICRO_EPSILON,
  type QueryShape,
  scenarioProposalExcess,
  scenarioStatusAt,
} from "../../policies/index.js";
import {
  authorisationEvents,
  autoApprovalRules,
  type Db,
  type DbOrTx,
  datasets,
  grants,
  type Participant,
  type Scenario,
  type ScenarioApproval,
  scenarioApprovals,
  scenarios,
} from "../../store/index.js";
import { recordEvent } from "./events.js";
import { toDatasetView, toGrantView } from "./views.js";

export interface ScenarioInput {
  purpose: string;
  fields: string[];
  computeModes: ComputeMode[];
  queryShapes: QueryShape[];
  minGroupSize: number;
  epsilonPerQuery: number;
  epsilonBudget: number;
  queryQuota: number;
  pricePerQueryFen: number;
  platformShareBasisPoints: number;
  ownerShareBasisPoints?: Record<string, number>;
  requiresResultReview: boolean;
  validFrom: string;
  validUntil: string;
}

export const toMicro = (epsilon: number) => Math.round(epsilon * MICRO_EPSILON);

/** A scenario as the API shows it: its status at this moment, ε in plain numbers, and every owner's decision. */
/** A stored scenario's status at `now`: approved becomes active inside its window, and expires after it. */
export function scenarioStatusNow(s: Pick<Scenario, "status" | "validFrom" | "validUntil">, now: Date) {
  return scenarioStatusAt(
    { status: s.status, validFrom: s.validFrom.toISOString(), validUntil: s.validUntil.toISOString() },
    now.toISOString(),
  );
}

export function scenarioResponse(s: Scenario, approvals: ScenarioApproval[], now: Date) {
  return {
    ...s,
    status: scenarioStatusNow(s, now),
    storedStatus: s.status,
    epsilonPerQuery: s.epsilonPerQueryMicro / MICRO_EPSILON,
    epsilonBudget: s.epsilonBudgetMicro / MICRO_EPSILON,
    epsilonSpent: s.epsilonSpentMicro / MICRO_EPSILON,
    approvals,
  };
}

export async function loadScenario(db: DbOrTx, id: string) {
  const [scenario] = await db.select().from(scenarios).where(eq(scenarios.id, id));
  if (!scenario) throw new NotFoundError("scenario", id);
  const approvals = await db.select().from(scenarioApprovals).where(eq(scenarioApprovals.scenarioId, id));
  return { scenario, approvals };
}

/**
 * Refuses a caller who may not read a scenario or its history: the same participants
 * `scenariosVisibleTo` lists it for (its operator, the owners whose data it uses, and the
 * authority, regulators and sector departments).
 */
export function assertScenarioParty(caller: Participant, loaded: Awaited<ReturnType<typeof loadScenario>>): void {
  const involved =
    caller.role === "authority" ||
    caller.role === "regulator" ||
    caller.role === "sector" ||
    loaded.scenario.operatorId === caller.id ||
    loaded.approvals.some((a) => a.ownerId === caller.id);
  if (!involved) throw new ForbiddenError(`${caller.id} is not a party to scenario ${loaded.scenario.id}`);
}

/**
 * The scenarios a participant may list, newest first, each with its owners' decisions: an operator
 * its own, an owner those using its data, the others all of them.
 */
export async function scenariosVisibleTo(db: Db, caller: Participant) {
  const newestFirst = desc(scenarios.createdAt);
  const rows =
    caller.role === "operator"
      ? await db.select().from(scenarios).where(eq(scenarios.operatorId, caller.id)).orderBy(newestFirst)
      : caller.role === "owner"
        ? (
            await db
              .select({ scenario: scenarios })
              .from(scenarios)
              .innerJoin(scenarioApprovals, eq(scenarioApprovals.scenarioId, scenarios.id))
              .where(eq(scenarioApprovals.ownerId, caller.id))
              .orderBy(newestFirst)
          ).map((r) => r.scenario)
        : await db.select().from(scenarios).orderBy(newestFirst);
  const approvals = rows.length
    ? await db
        .select()
        .from(scenarioApprovals)
        .where(
          inArray(
            scenarioApprovals.scenarioId,
            rows.map((s) => s.id),
          ),
        )
    : [];
  return rows.map((scenario) => ({ scenario, approvals: approvals.filter((a) => a.scenarioId === scenario.id) }));
}

/** After any decision: rejected if one owner rejected, approved once all approved (pinning the dataset versions). */
async function settleApprovals(tx: DbOrTx, scenarioId: string, actorId: string) {
  const { scenario, approvals } = await loadScenario(tx, scenarioId);
  let status = scenario.status;
  if (approvals.some((a) => a.decision === "rejected")) status = "rejected";
  else if (approvals.every((a) => a.decision === "approved")) status = "approved";
  if (status === scenario.status) return;
  const current = await tx.select().from(datasets).where(inArray(datasets.id, scenario.datasetIds));
  const datasetVersions = Object.fromEntries(current.map((d) => [d.id, d.version]));
  await tx.update(scenarios).set({ status, datasetVersions }).where(eq(scenarios.id, scenarioId));
  await recordEvent(tx, {
    subjectType: "scenario",
    subjectId: scenarioId,
    actorId,
    action: status,
    details: { datasetVersions },
  });
}

/**
 * Proposes a scenario: refused at once, naming the excess, when it asks beyond the operator's grants
 * or the classification rules; otherwise every owner involved is asked, and owners' auto-approval
 * rules are applied and logged like a manual approval.
 */
export async function proposeScenario(db: Db, operator: Participant, input: ScenarioInput, now: Date) {
  const datasetIds = [...new Set(input.fields.map((f) => f.slice(0, f.indexOf("."))))].sort();
  const datasetRows = await db.select().from(datasets).where(inArray(datasets.id, datasetIds));
  const grantRows = await db.select().from(grants).where(eq(grants.operatorId, operator.id));
  const views = datasetRows.map(toDatasetView);
  const proposal = {
    operatorId: operator.id,
    fields: input.fields,
    computeModes: input.computeModes,
    queryShapes: input.queryShapes,
    minGroupSize: input.minGroupSize,
    epsilonPerQueryMicro: toMicro(input.epsilonPerQuery),
    validFrom: input.validFrom,
    validUntil: input.validUntil,
  };
  const excess = scenarioProposalExcess(proposal, {
    grants: grantRows.map(toGrantView),
    datasets: views,
    rules: defaultClassificationRules,
    at: now.toISOString(),
  });
  if (excess.length > 0) {
    throw new SluiceError(
      "exceeds_upper_tier",
      `the scenario asks for more than is authorised: ${excess.map((e) => e.reason.en).join("; ")}`,
      {
        details: { excess },
      },
    );
  }
  const ownerIds = [...new Set(datasetRows.map((d) => d.ownerId))].sort();
  const shareOwners = Object.keys(input.ownerShareBasisPoints ?? {});
  if (shareOwners.some((o) => !ownerIds.includes(o))) {
    throw new SluiceError(
      "validation_failed",
      `ownerShareBasisPoints names owners outside the scenario: ${shareOwners.filter((o) => !ownerIds.includes(o)).join(", ")}`,
    );
  }
  const id = newId("sc", 8);
  const content = {
    id,
    operatorId: operator.id,
    purpose: input.purpose,
    datasetIds,
    datasetVersions: Object.fromEntries(datasetRows.map((d) => [d.id, d.version])),
    fields: [...new Set(input.fields)],
    computeModes: input.computeModes,
    queryShapes: input.queryShapes,
    minGroupSize: input.minGroupSize,
    epsilonPerQueryMicro: toMicro(input.epsilonPerQuery),
    epsilonBudgetMicro: toMicro(input.epsilonBudget),
    queryQuota: input.queryQuota,
    pricePerQueryFen: input.pricePerQueryFen,
    platformShareBasisPoints: input.platformShareBasisPoints,
    ownerShareBasisPoints: input.ownerShareBasisPoints ?? null,
    requiresResultReview: input.requiresResultReview,
    validFrom: new Date(input.validFrom),
    validUntil: new Date(input.validUntil),
  };
  await db.transaction(async (tx) => {
    await tx.insert(scenarios).values(content);
    await tx.insert(scenarioApprovals).values(ownerIds.map((ownerId) => ({ scenarioId: id, ownerId })));
    await recordEvent(
      tx,
      {
        subjectType: "scenario",
        subjectId: id,
        actorId: operator.id,
        action: "proposed",
        details: { contentHash: canonicalHash(content) },
      },
      now,
    );
    await applyAutoApprovals(tx, id, operator.id, proposal, views, ownerIds, now);
    await settleApprovals(tx, id, operator.id);
  });
  return loadScenario(db, id);
}

async function applyAutoApprovals(
  tx: DbOrTx,
  scenarioId: string,
  operatorId: string,
  proposal: Parameters<typeof autoApprovalMismatch>[1],
  views: ReturnType<typeof toDatasetView>[],
  ownerIds: string[],
  now: Date,
) {
  const rules = await tx
    .select()
    .from(autoApprovalRules)
    .where(and(inArray(autoApprovalRules.ownerId, ownerIds), eq(autoApprovalRules.active, true)));
  const { scenario } = await loadScenario(tx, scenarioId);
  const termsHash = canonicalHash(scenarioTerms(scenario));
  for (const ownerId of ownerIds) {
    const match = rules
      .filter((r) => r.ownerId === ownerId)
      .find((r) => autoApprovalMismatch(r, { ...proposal, operatorId }, views) === null);
    if (!match) continue;
    const decidedBy = `auto-rule:${match.id}`;
    const reason = `approved by ${ownerId}'s auto-approval rule ${match.id}`;
    await tx
      .update(scenarioApprovals)
      .set({ decision: "approved", reason, decidedBy, decidedAt: now })
      .where(and(eq(scenarioApprovals.scenarioId, scenarioId), eq(scenarioApprovals.ownerId, ownerId)));
    await recordEvent(
      tx,
      {
        subjectType: "scenario",
        subjectId: scenarioId,
        actorId: decidedBy,
        action: "owner-approved",
        reason,
        details: { ownerId, termsHash },
      },
      now,
    );
  }
}

/** An owner approves or rejects (with a reason) a scenario that is waiting for it. */
export async function decideScenario(
  db: Db,
  owner: Participant,
  scenarioId: string,
  decision: "approve" | "reject",
  reason: string | undefined,
  signature?: string,
) {
  await db.transaction(async (tx) => {
    const { scenario, approvals } = await loadScenario(tx, scenarioId);
    if (!approvals.some((a) => a.ownerId === owner.id)) {
      throw new ForbiddenError(`scenario ${scenarioId} uses no dataset of ${owner.id}`);
    }
    if (scenario.status !== "proposed" && scenario.status !== "needs_reapproval") {
      throw new ConflictError(
        `scenario ${scenarioId} is ${scenario.status}; owners decide while it is proposed or needs re-approval`,
      );
    }
    // The owner signs the terms it approves, so its compute node can check every plan against them itself.
    if (
      decision === "approve" &&
      !(signature && verifyApproval(owner.id, scenarioTerms(scenario), signature, owner.publicKey))
    ) {
      throw new SluiceError(
        "approval_signature_invalid",
        `the approval is not signed with ${owner.id}'s key over this scenario's current terms`,
      );
    }
    await tx
      .update(scenarioApprovals)
      .set({
        decision: decision === "approve" ? "approved" : "rejected",
        reason: reason ?? null,
        decidedBy: owner.id,
        signature: decision === "approve" ? (signature ?? null) : null,
        decidedAt: new Date(),
      })
      .where(and(eq(scenarioApprovals.scenarioId, scenarioId), eq(scenarioApprovals.ownerId, owner.id)));
    await recordEvent(tx, {
      subjectType: "scenario",
      subjectId: scenarioId,
      actorId: owner.id,
      action: decision === "approve" ? "owner-approved" : "owner-rejected",
      reason,
      details: { ownerId: owner.id, termsHash: canonicalHash(scenarioTerms(scenario)) },
    });
    await settleApprovals(tx, scenarioId, owner.id);
  });
  return loadScenario(db, scenarioId);
}

const TRANSITIONS = {
  suspend: { from: ["approved", "active"], to: "suspended" },
  resume: { from: ["suspended"], to: "approved" },
  revoke: { from: ["proposed", "approved", "active", "suspended", "needs_reapproval"], to: "revoked" },
} as const;

/**
 * Suspends, resumes or revokes a scenario. The authority may do any; an owner involved may suspend,
 * resume what it suspended, or revoke its consent; the operator may revoke (withdraw) its own.
 */
export async function changeScenarioStatus(
  db: Db,
  actor: Participant,
  scenarioId: string,
  action: keyof typeof TRANSITIONS,
  reason: string,
) {
  await db.transaction(async (tx) => {
    const { scenario, approvals } = await loadScenario(tx, scenarioId);
    const isOwner = approvals.some((a) => a.ownerId === actor.id);
    const isOperator = scenario.operatorId === actor.id;
    const allowed =
      actor.role === "authority" ||
      (isOwner && (action !== "resume" || (await suspendedBy(tx, scenarioId)) === actor.id)) ||
      (isOperator && action === "revoke");
    if (!allowed) throw new ForbiddenError(`${actor.id} may not ${action} scenario ${scenarioId}`);
    const transition = TRANSITIONS[action];
    if (!(transition.from as readonly string[]).includes(scenario.status)) {
      throw new ConflictError(
        `scenario ${scenarioId} is ${scenario.status}; it cannot be ${action === "resume" ? "resumed" : `${action}ed`} from there`,
      );
    }
    await tx.update(scenarios).set({ status: transition.to }).where(eq(scenarios.id, scenarioId));
    await recordEvent(tx, {
      subjectType: "scenario",
      subjectId: scenarioId,
      actorId: actor.id,
      action: transition.to === "approved" ? "resumed" : transition.to,
      reason,
    });
  });
  return loadScenario(db, scenarioId);
}

async function suspendedBy(tx: DbOrTx, scenarioId: string): Promise<string | undefined> {
  const [last] = await tx
    .select()
    .from(authorisationEvents)
    .where(and(eq(authorisationEvents.subjectId, scenarioId), eq(authorisationEvents.action, "suspended")))
    .orderBy(desc(authorisationEvents.at))
    .limit(1);
  return last?.actorId;
}

/** A dataset's new version sends every scenario that uses it back to its owners. */
export async function requireReapproval(tx: DbOrTx, datasetId: string, actorId: string, version: number) {
  const using = await tx
    .select()
    .from(scenarios)
    .where(
      and(
        sql`${scenarios.datasetIds} @> ${JSON.stringify([datasetId])}::jsonb`,
        notInArray(scenarios.status, ["rejected", "revoked", "expired"]),
      ),
    );
  for (const scenario of using) {
    await tx.update(scenarios).set({ status: "needs_reapproval" }).where(eq(scenarios.id, scenario.id));
    const decided = await tx
      .select({ ownerId: scenarioApprovals.ownerId })
      .from(scenarioApprovals)
      .where(and(eq(scenarioApprovals.scenarioId, scenario.id), ne(scenarioApprovals.decision, "pending")));
    await tx
      .update(scenarioApprovals)
      .set({ decision: "pending", reason: null, decidedBy: null, signature: null, decidedAt: null })
      .where(eq(scenarioApprovals.scenarioId, scenario.id));
    // Each decision taken back is an event of its own, so the approval's state on chain follows.
    for (const { ownerId } of decided) {
      await recordEvent(tx, {
        subjectType: "scenario",
        subjectId: scenario.id,
        actorId,
        action: "owner-pending",
        reason: `dataset ${datasetId} changed to version ${version}`,
        details: { ownerId },
      });
    }
    await recordEvent(tx, {
      subjectType: "scenario",
      subjectId: scenario.id,
      actorId,
      action: "needs_reapproval",
      reason: `dataset ${datasetId} changed to version ${version}`,
      details: { datasetId, version },
    });
  }
  return using.map((s) => s.id);
}
