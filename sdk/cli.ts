import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createKeyFile, writeKeyFile } from "../lib/key-file.js";
import { createClient, SluiceApiError } from "./client.js";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

const HELP: Record<string, string> = {
  keygen:
    "sluice keygen --id <participant-id> --out <file>\n  Generate an Ed25519 key file (id, public key, private key). Give the public key to the authority.",
  health: "sluice health\n  Show the state of the database, the chain and each compute node.",
  admit:
    "sluice admit --id <id> --name <name> --role operator|owner|sector|regulator --public-key <key> [--sector <sector>]\n  (authority) Admit a participant.",
  grant:
    "sluice grant --body <file.json>\n  (authority: comprehensive; sector department: sector) Grant an authorisation to an operator.",
  propose:
    "sluice propose --body <file.json>\n  (operator) Propose a scenario; every owner of its datasets must approve it.",
  approve: "sluice approve <scenario-id>\n  (owner) Approve a scenario that uses your data.",
  reject: "sluice reject <scenario-id> --reason <text>\n  (owner) Reject a scenario, saying why.",
  scenarios:
    "sluice scenarios\n  List the scenarios you proposed (operator), that use your data (owner), or all (authority, regulator).",
  scenario: "sluice scenario <scenario-id>\n  Show a scenario and each owner's decision.",
  query:
    "sluice query --scenario <id> --sum <dataset.field> --sum <dataset.field>\n  (operator) Run a secure sum across owners inside a scenario.",
  job: "sluice job <job-id>\n  (operator, regulator) Show a job and its result.",
  verify: "sluice verify <usage-record-id>\n  (regulator, operator) Prove a usage record against the chain.",
};

const GLOBAL = `Global options:
  --url <url>    gateway address (SLUICE_URL, default http://127.0.0.1:8787)
  --key <file>   your key file (SLUICE_KEY_FILE)
  --json         print JSON for scripts
  --help         help for a command
Exit codes: 0 done, 1 refused by the gateway, 2 usage error, 3 gateway or node unavailable.`;

function usage(command?: string): string {
  if (command && HELP[command]) return `${HELP[command]}\n\n${GLOBAL}`;
  return `sluice <command> [options]\n\nCommands:\n${Object.entries(HELP)
    .map(([name, text]) => `  ${name.padEnd(9)} ${text.split("\n")[1]?.trim()}`)
    .join("\n")}\n\n${GLOBAL}`;
}

class UsageError extends Error {}

function print(json: boolean, value: unknown, human: () => string) {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      key: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      id: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      role: { type: "string" },
      "public-key": { type: "string" },
      sector: { type: "string" },
      body: { type: "string" },
      reason: { type: "string" },
      scenario: { type: "string" },
      sum: { type: "string", multiple: true },
    },
  });
  const [command, arg] = positionals;
  if (!command || command === "help" || (values.help && !command)) {
    console.log(usage(arg));
    return command ? EXIT.ok : EXIT.usage;
  }
  if (!HELP[command]) throw new UsageError(`unknown command ${command}\n\n${usage()}`);
  if (values.help) {
    console.log(usage(command));
    return EXIT.ok;
  }
  const json = values.json ?? false;
  const need = (value: string | undefined, what: string) => {
    if (!value) throw new UsageError(`${command} needs ${what}\n\n${usage(command)}`);
    return value;
  };

  if (command === "keygen") {
    const key = createKeyFile(need(values.id, "--id"));
    const out = need(values.out, "--out");
    writeKeyFile(out, key);
    print(
      json,
      { id: key.id, publicKey: key.publicKey, file: out },
      () => `Wrote ${out}\nid:         ${key.id}\npublic key: ${key.publicKey}`,
    );
    return EXIT.ok;
  }

  const url = values.url ?? process.env.SLUICE_URL ?? "http://127.0.0.1:8787";
  const keyFile = values.key ?? process.env.SLUICE_KEY_FILE;
  const client = createClient({
    url,
    keyFile: command === "health" ? keyFile : need(keyFile, "--key or SLUICE_KEY_FILE"),
  });
  const readBody = () =>
    JSON.parse(readFileSync(need(values.body, "--body <file.json>"), "utf8")) as Record<string, unknown>;

  switch (command) {
    case "health": {
      const health = await client.health();
      print(
        json,
        health,
        () => `status: ${health.status}${health.down.length ? `\ndown: ${health.down.join(", ")}` : ""}`,
      );
      return health.status === "ok" ? EXIT.ok : EXIT.unavailable;
    }
    case "admit": {
      const p = await client.admitParticipant({
        id: need(values.id, "--id"),
        name: need(values.name, "--name"),
        role: need(values.role, "--role"),
        publicKey: need(values["public-key"], "--public-key"),
        sector: values.sector,
      });
      print(json, p, () => `Admitted ${p.id} as ${p.role}`);
      return EXIT.ok;
    }
    case "grant": {
      const g = await client.grant(readBody());
      print(json, g, () => `Granted ${g.tier} authorisation ${g.id}`);
      return EXIT.ok;
    }
    case "propose": {
      const s = await client.proposeScenario(readBody());
      print(json, s, () => `Proposed scenario ${s.id}; waiting for the owners' approval`);
      return EXIT.ok;
    }
    case "approve":
    case "reject": {
      const s = await client.decideScenario(need(arg, "a scenario id"), {
        decision: command,
        reason: command === "reject" ? need(values.reason, "--reason") : values.reason,
      });
      print(json, s, () => `Scenario ${s.id} is now ${s.status}`);
      return EXIT.ok;
    }
    case "scenarios": {
      const { scenarios } = await client.listScenarios();
      print(
        json,
        scenarios,
        () =>
          scenarios.map((s) => `${s.id}  ${s.status.padEnd(9)} ${s.purpose.slice(0, 70)}`).join("\n") || "no scenarios",
      );
      return EXIT.ok;
    }
    case "scenario": {
      const s = await client.getScenario(need(arg, "a scenario id"));
      const approvals = (s.approvals as { ownerId: string; decision: string }[]) ?? [];
      print(json, s, () => `${s.id}: ${s.status}\n${approvals.map((a) => `  ${a.ownerId}: ${a.decision}`).join("\n")}`);
      return EXIT.ok;
    }
    case "query": {
      const fields = values.sum ?? [];
      if (fields.length === 0)
        throw new UsageError(`query needs at least one --sum <dataset.field>\n\n${usage("query")}`);
      if (!json) process.stderr.write("computing across the owners' nodes… ");
      const job = await client.runJob({ scenarioId: need(values.scenario, "--scenario"), queryShape: "sum", fields });
      if (!json) process.stderr.write("done\n");
      print(json, job, () => `sum = ${job.result.value}\njob: ${job.jobId}\nusage record: ${job.usageRecordId}`);
      return EXIT.ok;
    }
    case "job": {
      const job = await client.getJob(need(arg, "a job id"));
      print(json, job, () => `${job.id}: ${job.status}${job.result ? `\nresult: ${JSON.stringify(job.result)}` : ""}`);
      return EXIT.ok;
    }
    case "verify": {
      const proof = await client.proveRecord(need(arg, "a usage record id"));
      print(json, proof, () =>
        proof.status === "pending"
          ? "not anchored yet: try again after the next anchoring run"
          : `${proof.verified ? "VERIFIED" : "FAILED"}: ${Object.entries(proof.checks)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}`,
      );
      return proof.status === "pending" ? EXIT.unavailable : proof.verified ? EXIT.ok : EXIT.refused;
    }
  }
  return EXIT.usage;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error((error as Error).message);
      process.exit(EXIT.usage);
    }
    if (error instanceof SluiceApiError) {
      console.error(`refused (${error.status}): ${error.message}`);
      process.exit(error.status >= 500 ? EXIT.unavailable : EXIT.refused);
    }
    console.error(`cannot reach the gateway: ${(error as Error).message}`);
    process.exit(EXIT.unavailable);
  },
);
