import { readFileSync } from "node:fs";
import { createKeyFile, type KeyFile, readKeyFile, writeKeyFile } from "../../lib/key-file.js";
import { COMPUTE_MODES } from "../../lib/vocabulary.js";
import { type AutoApprovalRuleInput, createClient } from "../client.js";
import type { HeKeyFile, HeParameterSetId } from "../he.js";
import { assets } from "./assets.js";
import { describeResult, type Released } from "./describe-result.js";
import { didYouMean } from "./did-you-mean.js";
import { yuan } from "./format.js";
import { EXIT, type Handler, type Helpers, helpers, type Invocation, readListFile, UsageError } from "./handler.js";
import { usage } from "./help.js";
import { lazyHandler } from "./lazy.js";
import { datasets, grants, job, jobs, settlements } from "./lists.js";
import { withProgress } from "./progress.js";
import { records } from "./records.js";
import { describeScenario } from "./scenario-view.js";

export { EXIT, type Invocation, UsageError } from "./handler.js";

function epsilonOf(call: Invocation): number {
  const raw = call.options.epsilon;
  if (raw === undefined) return 0;
  const epsilon = Number(raw);
  if (!Number.isFinite(epsilon) || epsilon < 0) throw new UsageError("--epsilon must be a number ≥ 0");
  return epsilon;
}

const NUMBER = /^-?\d+(\.\d+)?$/;
/** A value as typed: a number when it looks like one, text otherwise; quotes make it text. */
const literal = (text: string) => {
  const quoted = /^(["'])(.*)\1$/.exec(text);
  if (quoted) return quoted[2] as string;
  return NUMBER.test(text) ? Number(text) : text;
};
const list = (text: string) =>
  text
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

/** `--where "district = 330102"`, `"employees between 10 and 50"`, `"industry in C13,C14"`. */
export function parseWhere(text: string) {
  const between = /^([a-z][a-z0-9_]*)\s+between\s+(\S+)\s+and\s+(\S+)$/i.exec(text.trim());
  if (between)
    return { field: between[1] as string, op: "between" as const, min: Number(between[2]), max: Number(between[3]) };
  const within = /^([a-z][a-z0-9_]*)\s+in\s+(.+)$/i.exec(text.trim());
  if (within) return { field: within[1] as string, op: "in" as const, values: list(within[2] as string).map(literal) };
  const compare = /^([a-z][a-z0-9_]*)\s*(<=|>=|!=|=|<|>)\s*(.+)$/.exec(text.trim());
  if (compare) {
    const op = compare[2] as "=" | "!=" | "<" | "<=" | ">" | ">=";
    const rest = (compare[3] as string).trim();
    if (/^[=<>!]/.test(rest)) {
      throw new UsageError(
        `--where "${text}": ${op}${rest[0]} is not an operator; use =, !=, <, <=, > or >= (a single = compares)`,
      );
    }
    return { field: compare[1] as string, op, value: literal(rest) };
  }
  throw new UsageError(
    `--where "${text}" is not a filter: use "<field> <op> <value>" (=, !=, <, <=, >, >=), "<field> in a,b" or "<field> between a and b"`,
  );
}

function numbers(text: string, what: string): number[] {
  const values = list(text).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v)))
    throw new UsageError(`${what} takes numbers separated by commas`);
  return values;
}

/** The body of a query, explain or scores request from the command line's options. */
export function aggregateQuery(h: Helpers) {
  const o = h.call.options;
  const fields = [...((o.sum as string[] | undefined) ?? []), ...((o.field as string[] | undefined) ?? [])];
  if (fields.length === 0)
    throw new UsageError(`${h.call.command} needs at least one --field <dataset.field>\n\n${usage(h.call.command)}`);
  const groupBy = o["group-by"];
  if (typeof groupBy === "string" && typeof o.groups !== "string")
    throw new UsageError("--group-by needs --groups <a,b,…>");
  if (typeof o.groups === "string" && typeof groupBy !== "string")
    throw new UsageError("--groups needs --group-by <field>: the values are of which field?");
  const bounds = typeof o.bounds === "string" ? numbers(o.bounds, "--bounds") : undefined;
  if (bounds && bounds.length !== 2) throw new UsageError("--bounds takes min,max");
  return {
    ...(typeof o["job-id"] === "string" ? { jobId: o["job-id"] } : {}),
    scenarioId: h.option("scenario", "--scenario"),
    queryShape: typeof o.shape === "string" ? o.shape : "sum",
    fields,
    epsilon: epsilonOf(h.call),
    filters: ((o.where as string[] | undefined) ?? []).map(parseWhere),
    ...(typeof groupBy === "string" ? { groupBy: { field: groupBy, values: list(o.groups as string) } } : {}),
    ...(typeof o.bins === "string" ? { bins: numbers(o.bins, "--bins") } : {}),
    ...(bounds ? { bounds: { min: bounds[0] as number, max: bounds[1] as number } } : {}),
  };
}

const statusChange =
  (action: "suspend" | "resume" | "revoke"): Handler =>
  async (client, h) => {
    const kind = h.arg(0, "scenario or grant");
    if (kind !== "scenario" && kind !== "grant")
      throw new UsageError(`${action} takes scenario or grant\n\n${usage(action)}`);
    const id = h.arg(1, `a ${kind} id`);
    const reason = h.option("reason", "--reason");
    const changed =
      kind === "scenario"
        ? await client.changeScenario(id, action, reason)
        : await client.changeGrant(id, action, reason);
    h.print(changed, () => `${kind} ${changed.id} is now ${changed.status}`);
    return EXIT.ok;
  };

const HANDLERS: Record<string, Handler> = {
  health: async (client, h) => {
    const health = await client.health();
    h.print(health, () => `status: ${health.status}${health.down.length ? `\ndown: ${health.down.join(", ")}` : ""}`);
    return health.status === "ok" ? EXIT.ok : EXIT.unavailable;
  },
  admit: async (client, h) => {
    const sector = h.call.options.sector;
    const p = await client.admitParticipant({
      id: h.option("id", "--id"),
      name: h.option("name", "--name"),
      role: h.option("role", "--role"),
      publicKey: h.option("public-key", "--public-key"),
      ...(typeof sector === "string" ? { sector } : {}),
    });
    h.print(p, () => `Admitted ${p.id} as ${p.role}`);
    return EXIT.ok;
  },
  grant: async (client, h) => {
    const g = await client.grant(h.body());
    h.print(g, () => `Granted ${g.tier} authorisation ${g.id}`);
    return EXIT.ok;
  },
  propose: async (client, h) => {
    const s = await client.proposeScenario(h.body());
    h.print(s, () => `Proposed scenario ${s.id}: ${s.status}`);
    return EXIT.ok;
  },
  scenarios: async (client, h) => {
    const mode = h.call.options.mode;
    if (mode !== undefined && (typeof mode !== "string" || !(COMPUTE_MODES as readonly string[]).includes(mode))) {
      throw new UsageError(`--mode is one of ${COMPUTE_MODES.join(", ")}`);
    }
    const listed = (await client.listScenarios()).scenarios;
    const scenarios = mode ? listed.filter((s) => (s.computeModes as string[]).includes(mode)) : listed;
    // For scripts: SCORE=$(sluice scenarios --mode he --id-only)
    if (h.call.options["id-only"] === true) {
      if (scenarios.length > 0) console.log(scenarios.map((s) => s.id).join("\n"));
      return scenarios.length > 0 ? EXIT.ok : EXIT.refused;
    }
    h.print(
      scenarios,
      () =>
        scenarios.map((s) => `${s.id}  ${s.status.padEnd(16)} ${s.purpose.slice(0, 70)}`).join("\n") || "no scenarios",
    );
    return EXIT.ok;
  },
  scenario: async (client, h) => {
    const s = await client.getScenario(h.arg(0, "a scenario id"));
    h.print(s, () => describeScenario(s));
    return EXIT.ok;
  },
  approve: async (client, h) => {
    const s = await client.decideScenario(h.arg(0, "a scenario id"), { decision: "approve" });
    h.print(s, () => `Scenario ${s.id} is now ${s.status}`);
    return EXIT.ok;
  },
  reject: async (client, h) => {
    const s = await client.decideScenario(h.arg(0, "a scenario id"), {
      decision: "reject",
      reason: h.option("reason", "--reason"),
    });
    h.print(s, () => `Scenario ${s.id} is now ${s.status}`);
    return EXIT.ok;
  },
  suspend: statusChange("suspend"),
  resume: statusChange("resume"),
  revoke: statusChange("revoke"),
  "update-dataset": async (client, h) => {
    const updated = await client.updateDataset(h.arg(0, "a dataset id"), h.body());
    const waiting = updated.scenariosNeedingReapproval;
    h.print(
      updated,
      () =>
        `dataset is at version ${updated.dataset.version}${waiting.length ? `; needing re-approval: ${waiting.join(", ")}` : ""}`,
    );
    return EXIT.ok;
  },
  "auto-approve": async (client, h) => {
    const rule = await client.addAutoApprovalRule(h.body() as unknown as AutoApprovalRuleInput);
    h.print(rule, () => `auto-approval rule ${rule.id} is on`);
    return EXIT.ok;
  },
  explain: async (client, h) => {
    const answer = await client.explainJob(aggregateQuery(h));
    const d = answer.decision as {
      effect: string;
      tier?: string;
      rule?: string;
      reason?: { en: string; zh: string };
      obligations?: {
        minGroupSize: number;
        epsilonMicro: number;
        dpMechanism: string;
        priceFen: number;
        ownerIds: string[];
        resultClassification: { level: number; category: string; handling: { zh: string; en: string } };
      };
    };
    const o = d.obligations;
    h.print(answer, () =>
      d.effect === "allow" && o
        ? [
            `ALLOWED${answer.executable ? "" : " by policy, but not executable yet"}`,
            `  minimum group size k: ${o.minGroupSize}`,
            `  ε: ${o.epsilonMicro / 1_000_000} (${o.dpMechanism === "none" ? "no noise" : o.dpMechanism})`,
            `  price: ${yuan(o.priceFen)} a query, shared with ${o.ownerIds.join(", ")}`,
            `  result: level ${o.resultClassification.level} (${o.resultClassification.category}); ${o.resultClassification.handling.zh} ${o.resultClassification.handling.en}`,
          ].join("\n")
        : `DENIED by the ${d.tier} tier (${d.rule})\n${d.reason?.zh}\n${d.reason?.en}`,
    );
    return d.effect === "allow" ? EXIT.ok : EXIT.refused;
  },
  query: async (client, h) => {
    const query = aggregateQuery(h);
    const job = await withProgress("computing across the owners' nodes", h.call.json, () => client.runJob(query));
    h.print(job, () =>
      job.status === "succeeded"
        ? `${describeResult(query.queryShape, job.result, query.fields[0])}\nclassification: level ${job.result.classification?.level}\njob: ${job.jobId}\nusage record: ${job.usageRecordId}`
        : `job ${job.jobId} is ${job.status}: the owners review the result before it is released`,
    );
    return EXIT.ok;
  },
  sql: async (client, h) => {
    const o = h.call.options;
    const bounds = typeof o.bounds === "string" ? numbers(o.bounds, "--bounds") : undefined;
    if (bounds && bounds.length !== 2) throw new UsageError("--bounds takes min,max");
    const rowsPerKey = typeof o["rows-per-key"] === "string" ? Number(o["rows-per-key"]) : undefined;
    if (rowsPerKey !== undefined && !(Number.isInteger(rowsPerKey) && rowsPerKey >= 1))
      throw new UsageError("--rows-per-key takes a whole number ≥ 1");
    const idKind = o["id-kind"];
    if (idKind !== undefined && idKind !== "uscc" && idKind !== "text")
      throw new UsageError("--id-kind is uscc or text");
    const job = await withProgress("joining across the owners' nodes", h.call.json, () =>
      client.runSql({
        ...(typeof o["job-id"] === "string" ? { jobId: o["job-id"] } : {}),
        scenarioId: h.option("scenario", "--scenario"),
        sql: h.arg(0, 'the query, "SELECT …"'),
        epsilon: epsilonOf(h.call),
        ...(bounds ? { bounds: { min: bounds[0] as number, max: bounds[1] as number } } : {}),
        ...(rowsPerKey ? { maxRowsPerKey: rowsPerKey } : {}),
        ...(idKind ? { keyKind: idKind } : {}),
        ...(typeof o.ids === "string" ? { operatorIds: readListFile(o.ids, "the id list") } : {}),
      }),
    );
    h.print(job, () =>
      job.status === "succeeded"
        ? `${describeResult(job.structured.queryShape, job.result as unknown as Released, job.structured.measure)}\njob: ${job.jobId}\nusage record: ${job.usageRecordId}`
        : `job ${job.jobId} is ${job.status}: the owners review the result before it is released`,
    );
    return EXIT.ok;
  },
  score: lazyHandler(async () => (await import("./score.js")).score),
  psi: lazyHandler(async () => (await import("./psi.js")).psi),
  settle: lazyHandler(async () => (await import("./settlement.js")).settlePeriod),
  audit: lazyHandler(async () => (await import("./audit.js")).audit),
  records,
  settlement: lazyHandler(async () => (await import("./settlement.js")).showSettlement),
  "he-register": async (client, h) => {
    const file = h.option("keys", "--keys <file>");
    const { readHeKeyFile } = await import("../he.js");
    let keys: HeKeyFile;
    try {
      keys = readHeKeyFile(file);
    } catch (error) {
      throw new UsageError(`cannot use ${file}: ${(error as Error).message}`);
    }
    const registered = await client.registerHeKeys(keys);
    h.print(
      registered,
      () => `Registered ${registered.id} (${registered.paramSet}); fingerprint ${registered.fingerprint}`,
    );
    return EXIT.ok;
  },
  job,
  jobs,
  datasets,
  grants,
  settlements,
  assets,
  review: async (client, h) => {
    const { release, withhold, reason } = h.call.options;
    if (Boolean(release) === Boolean(withhold))
      throw new UsageError(`review needs exactly one of --release and --withhold\n\n${usage("review")}`);
    const outcome = await client.reviewJob(h.arg(0, "a job id"), {
      decision: release ? "release" : "withhold",
      ...(typeof reason === "string" ? { reason } : {}),
    });
    h.print(outcome, () => `job ${outcome.jobId} is ${outcome.status}`);
    return EXIT.ok;
  },
  verify: async (client, h) => {
    if (typeof h.call.options.rpc === "string") {
      const { verifyIndependently } = await import("./verify.js");
      return verifyIndependently(client, h);
    }
    const proof = await client.proveRecord(h.arg(0, "a usage record id"));
    const checks = Object.entries(proof.checks).map(([k, v]) => `${k}=${v}`);
    h.print(proof, () =>
      proof.status === "pending"
        ? "not anchored yet: try again after the next anchoring run"
        : `${proof.verified ? "VERIFIED" : "FAILED"}: ${checks.join(" ")}`,
    );
    return proof.status === "pending" ? EXIT.unavailable : proof.verified ? EXIT.ok : EXIT.refused;
  },
  chain: async (client, h) => {
    const chain = await client.request<{
      chainId: number;
      contracts: Record<string, string | null>;
      rpcUrl: string | null;
      gatewayPublicKey: string;
    }>("GET", "/ledger/chain");
    h.print(chain, () =>
      [
        `chain id     ${chain.chainId}`,
        `JSON-RPC     ${chain.rpcUrl ?? "not published: ask the chain's operator for a read-only node"}`,
        ...Object.entries(chain.contracts).map(([name, address]) => `${name.padEnd(12)} ${address ?? "none"}`),
        `gateway key  ${chain.gatewayPublicKey}`,
      ].join("\n"),
    );
    return EXIT.ok;
  },
  replay: async (client, h) => {
    const r = await client.replayDecision(h.arg(0, "a usage record id"));
    h.print(
      r,
      () =>
        `${r.verified ? "REPRODUCED" : "MISMATCH"}: hashMatches=${r.hashMatches} rulesPublished=${r.rulesPublished} decisionReproduced=${r.decisionReproduced}`,
    );
    return r.verified ? EXIT.ok : EXIT.refused;
  },
};

const WHAT_A_KEY_FILE_IS =
  "a key file is the JSON that `sluice keygen --id <your id> --out <file>` writes: your participant id, public key and private key together";

/** Why a key file cannot be used, and what a key file is. */
export function keyFileProblem(file: string, error: Error): string {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return `no key file at ${file}; ${WHAT_A_KEY_FILE_IS}`;
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {}
  if (/-----BEGIN [A-Z ]*(PRIVATE|PUBLIC) KEY-----/.test(text)) {
    return `${file} is a PEM key, not a Sluice key file; ${WHAT_A_KEY_FILE_IS} (its privateKeyPem holds a key like this one)`;
  }
  const reason = error instanceof SyntaxError ? "it is not JSON" : error.message.replace(`key file ${file}`, "it");
  return `${file} is not a Sluice key file (${reason}); ${WHAT_A_KEY_FILE_IS}`;
}

/** Runs one CLI command; returns its exit code. */
export async function runCommand(call: Invocation, env: { url: string; keyFile: string | undefined }): Promise<number> {
  const h = helpers(call);
  if (call.command === "keygen") {
    const key = createKeyFile(h.option("id", "--id"));
    const out = h.option("out", "--out");
    writeKeyFile(out, key);
    h.print(
      { id: key.id, publicKey: key.publicKey, file: out },
      () => `Wrote ${out}\nid:         ${key.id}\npublic key: ${key.publicKey}`,
    );
    return EXIT.ok;
  }
  if (call.command === "he-keygen") {
    const paramSet = h.option("param-set", "--param-set bfv-8192|ckks-8192");
    const { generateHeKeys, HE_PARAMETER_SETS, writeHeKeyFile } = await import("../he.js");
    if (!(paramSet in HE_PARAMETER_SETS)) {
      throw new UsageError(`--param-set must be one of ${Object.keys(HE_PARAMETER_SETS).join(", ")}`);
    }
    const out = h.option("out", "--out <file>");
    const keys = await generateHeKeys(paramSet as HeParameterSetId, { relinKeys: call.options.relin === true });
    writeHeKeyFile(out, keys);
    h.print(
      { file: out, paramSet, fingerprint: keys.fingerprint },
      () =>
        `Wrote ${out} (keep it: it holds your secret key, which never leaves this machine)\nparameter set: ${paramSet}\nfingerprint:   ${keys.fingerprint}\nRegister the public keys with: sluice he-register --keys ${out}`,
    );
    return EXIT.ok;
  }
  if (call.command === "node") {
    const { NodeConfigError, runNodeServer } = await import("../../compute/node/server.js");
    try {
      await runNodeServer(h.arg(0, "a node configuration file"));
    } catch (error) {
      if (error instanceof NodeConfigError) throw new UsageError(error.message);
      throw error;
    }
    return EXIT.ok;
  }
  const handler = HANDLERS[call.command];
  if (!handler)
    throw new UsageError(
      `unknown command ${call.command}${didYouMean(call.command, Object.keys(HANDLERS))}\n\n${usage()}`,
    );
  if (call.command !== "health" && !env.keyFile)
    throw new UsageError(`${call.command} needs --key or SLUICE_KEY_FILE\n\n${usage(call.command)}`);
  let key: KeyFile | undefined;
  try {
    key = env.keyFile ? readKeyFile(env.keyFile) : undefined;
  } catch (error) {
    throw new UsageError(keyFileProblem(env.keyFile as string, error as Error));
  }
  return handler(createClient({ url: env.url, key }), h);
}
