import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT, runCommand, UsageError } from "./cli/commands.js";
import { didYouMean } from "./cli/did-you-mean.js";
import { HELP, usage } from "./cli/help.js";
import { SluiceApiError } from "./client.js";

const OPTIONS = {
  url: { type: "string" },
  rpc: { type: "string" },
  contract: { type: "string" },
  "chain-id": { type: "string" },
  "gateway-key": { type: "string" },
  key: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
  version: { type: "boolean", default: false },
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
  field: { type: "string", multiple: true },
  shape: { type: "string" },
  where: { type: "string", multiple: true },
  "group-by": { type: "string" },
  groups: { type: "string" },
  bins: { type: "string" },
  bounds: { type: "string" },
  "job-id": { type: "string" },
  "param-set": { type: "string" },
  relin: { type: "boolean", default: false },
  keys: { type: "string" },
  dataset: { type: "string" },
  "id-field": { type: "string" },
  "he-keys": { type: "string" },
  model: { type: "string" },
  ids: { type: "string" },
  "id-kind": { type: "string" },
  "rows-per-key": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  operator: { type: "string" },
  owner: { type: "string" },
  batch: { type: "string" },
  limit: { type: "string" },
  status: { type: "string" },
  before: { type: "string" },
  html: { type: "string" },
  csv: { type: "string" },
  rate: { type: "string" },
  years: { type: "string" },
  membership: { type: "boolean", default: false },
  union: { type: "string" },
  intersection: { type: "string" },
  epsilon: { type: "string" },
  release: { type: "boolean", default: false },
  withhold: { type: "boolean", default: false },
  mode: { type: "string" },
  "id-only": { type: "boolean", default: false },
} as const;

/** Node's refusal of an unknown option, in our words, with the nearest options it may have meant. */
function unknownOption(error: Error): string | null {
  const typed = /Unknown option '(-{1,2})([^']+)'/.exec(error.message);
  if (!typed) return null;
  const [, dashes, name] = typed as unknown as [string, string, string];
  return `unknown option ${dashes}${name}${didYouMean(name, Object.keys(OPTIONS), "--")} (sluice --help lists every option)`;
}

// The `sluice` command: parse, run one command, exit with a code scripts can rely on.
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  const [command, ...args] = positionals;
  if (values.version && !command) {
    console.log(packageVersion());
    return EXIT.ok;
  }
  // Help asked for is an answer (0); no command at all is a usage error (2), with the same help.
  if (!command || command === "help") {
    console.log(usage(args[0]));
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  if (values.help && HELP[command]) {
    console.log(usage(command));
    return EXIT.ok;
  }
  return runCommand(
    { command, args, options: values, json: values.json ?? false },
    {
      url: values.url ?? process.env.SLUICE_URL ?? "http://127.0.0.1:8787",
      keyFile: values.key ?? process.env.SLUICE_KEY_FILE,
    },
  );
}

/** The version in the project's package.json, found from this module whether it runs compiled (dist/cli) or not (sdk). */
function packageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version: string;
      };
      if (manifest.name === "sluice") return `sluice ${manifest.version}`;
    } catch {}
  }
  return "sluice (version unknown)";
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(unknownOption(error as Error) ?? (error as Error).message);
      process.exit(EXIT.usage);
    }
    if (error instanceof SluiceApiError) {
      const details = error.problem.details as { tier?: string; rule?: string; reason?: { zh: string } } | undefined;
      const why = details?.tier
        ? `\ndenied by the ${details.tier} tier (${details.rule}): ${details.reason?.zh ?? ""}`
        : "";
      console.error(`refused (${error.status}): ${error.message}${why}`);
      process.exit(error.status >= 500 ? EXIT.unavailable : EXIT.refused);
    }
    console.error(`cannot reach the gateway: ${(error as Error).message}`);
    process.exit(EXIT.unavailable);
  },
);
