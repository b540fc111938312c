/** One entry per command: the usage line, then what it does and who may. */
export const HELP: Record<string, string> = {
  keygen:
    "sluice keygen --id <participant-id> --out <file>\n  Generate an Ed25519 key file (id, public key, private key). Give the public key to the authority.",
  health: "sluice health\n  Show the state of the database, the chain and each compute node.",
  admit:
    "sluice admit --id <id> --name <name> --role operator|owner|sector|regulator --public-key <key> [--sector <sector>]\n  (authority) Admit a participant.",
  grant:
    "sluice grant --body <file.json>\n  (authority: comprehensive; sector department: sector) Grant an authorisation to an operator.",
  propose:
    "sluice propose --body <file.json>\n  (operator) Propose a scenario; every owner of its datasets must approve it.",
  scenarios:
    "sluice scenarios [--mode mpc|he|psi|join] [--id-only]\n  List the scenarios you proposed (operator), that use your data (owner), or all (authority, regulator).\n  --mode: those allowing that compute mode; --id-only: their ids only, one per line (exit 1 when none).",
  scenario:
    "sluice scenario <scenario-id>\n  Show every term of a scenario an owner signs on approval (fields, compute modes, k, ε, quota, price, validity), what a join combines and what leaves, and each owner's decision.",
  approve: "sluice approve <scenario-id>\n  (owner) Approve a scenario that uses your data.",
  reject: "sluice reject <scenario-id> --reason <text>\n  (owner) Reject a scenario, saying why.",
  suspend:
    "sluice suspend scenario|grant <id> --reason <text>\n  (authority, grantor, owner) Suspend a scenario or a grant.",
  resume:
    "sluice resume scenario|grant <id> --reason <text>\n  (authority, whoever suspended it) Resume a suspended scenario or grant.",
  revoke:
    "sluice revoke scenario|grant <id> --reason <text>\n  (authority, grantor, owner, the scenario's operator) Revoke for good.",
  "update-dataset":
    "sluice update-dataset <dataset-id> --body <file.json>\n  (owner) Change a dataset's schema or levels: a new version; scenarios using it need re-approval.",
  "auto-approve":
    "sluice auto-approve --body <rule.json>\n  (owner) Add a rule that approves matching scenarios automatically, logged like a manual approval.",
  explain:
    "sluice explain --scenario <id> --field <dataset.field> … [query options as for query]\n  (operator) Dry run: would the query be allowed, why, with which obligations. Nothing runs or is charged.",
  query: `sluice query --scenario <id> --field <dataset.field> --field <dataset.field> [options]
  (operator) Run an aggregate across owners' nodes inside a scenario (secure multi-party computation).
    --shape count|sum|mean|variance|histogram   what to compute (default sum)
    --field <dataset.field>       the measured field of each dataset, one per owner (--sum is the same)
    --where "<filter>"            repeatable: "district = 330102", "employees between 10 and 50",
                                  "industry in C13,C14", "wages_fen >= 100000" (bare field names)
    --group-by <field> --groups <a,b,…>   one cell per listed value of a categorical field
    --bins <e1,e2,…>              histogram edges: (−∞,e1), [e1,e2), …, [en,∞)
    --bounds <min,max>            clamp each value; needed for sums under differential privacy
    --epsilon <ε>                 privacy budget this query spends (0: no noise, if the rules allow)
    --job-id <id>                 your own id: retrying with it never runs the job twice`,
  sql: `sluice sql "<SELECT …>" --scenario <id> [--bounds <min,max>] [--epsilon <ε>] [--rows-per-key <n>] [--id-kind uscc|text] [--ids <file>]
  (operator) Run a joined aggregate across departments written as SQL. For example:
    sluice sql "SELECT tax.district, AVG(tax.tax_paid_fen) FROM ds_enterprise_tax tax
      JOIN ds_social_insurance si ON tax.uscc = si.uscc WHERE si.insured_employees >= 50
      AND tax.district IN ('330102','330105') GROUP BY tax.district" --scenario <id> --bounds 0,200000000 --epsilon 1
  COUNT(*), SUM, AVG or VARIANCE; two or three datasets INNER JOINed on their keys; WHERE with AND,
  comparisons, IN and BETWEEN on alias.column; GROUP BY one text column, its values declared by an IN.
  Anything else is refused naming it. --ids keeps only your own entities (one per line; a semi-join:
  your list ∩ every joined dataset). --json prints the structured query it stood for too.`,
  score: `sluice score --scenario <id> [--dataset <id>] --id-field <field> --he-keys <file> --model <model.json> --ids <file> [options]
  (operator) Score entities at the owner's node with a model encrypted here; the scores come back
  encrypted and are decrypted here. Prints id,score lines. Name the model's features dataset.field
  (no --dataset) for a vertical score over two or three owners' features: each owner weighs its own,
  the gateway adds the encrypted parts, you get the sums for the ids every owner holds (linear only).
    --he-keys <file>      your CKKS key set (sluice he-keygen --param-set ckks-8192 [--relin]), registered
    --model <file.json>   {"features": [...], "weights": [...], "bias": b, "polynomial"?: [a0,a1,a2],
                          "maxAbsScore"?: m}: score = w·x + b, or a0 + a1·z + a2·z² of it
    --ids <file>          the entities you may score, one per line
    --epsilon <ε>         noise per entity on every feature (needed for level-3 fields)
    --job-id <id>         your own id: retrying with it never scores twice`,
  psi: `sluice psi --scenario <id> --dataset <id> --id-field <field> --ids <file> [--membership | --sum <field> --bounds <min>,<max> | --union|--intersection <dataset>.<id field>] [--epsilon ε]
  (operator) Private set intersection with an owner's dataset: how many of your ids it holds (noisy
  with ε, withheld below k), with --membership which ones, with --sum the owner's column summed over
  them (noisy, withheld below k), or with --union/--intersection how many are in either or both of
  two owners' datasets. Your ids are hashed and blinded here with a secret made for this job; only
  the blinded points leave.
    --ids <file>          one id per line (unified social credit codes unless --id-kind text)
    --id-kind uscc|text   uscc (default): upper-cased and check-verified; invalid ones are reported
    --sum <field>         sum this numeric field of the owner's over the intersection
    --bounds <min>,<max>  each entity's total is clamped to these (the noise is scaled to them)
    --union <ds>.<field>  the second owner's dataset and id field: count ids in either owner's set
    --intersection <ds>.<field>  the same, counting ids in both
    --job-id <id>         your own id: retrying with it never runs twice`,
  audit:
    "sluice audit --from <ISO instant> --to <ISO instant> [--out report.json] [--html report.html]\n  (regulator, authority) Audit a period: every record against its hash, signature and anchored root; deletions and insertions named; decisions replayed; settlements recomputed. Exit 1 on any finding.",
  records:
    "sluice records [--operator <id>] [--scenario <id>] [--owner <id>] [--batch <id>] [--from <ISO instant>] [--to <ISO instant>] [--limit <n>] [--before <cursor>]\n  (regulator) Usage records, newest first, filtered; a page at a time (the last line gives the next page's --before).",
  settle:
    "sluice settle --from <ISO instant> --to <ISO instant>\n  (authority) Settle a period: split its usage records' fees between the platform and the owners, and anchor the statement. Exit 3 if the chain did not take it yet.",
  settlement:
    "sluice settlement <statement-id> [--rpc <url> [--contract <address>] [--chain-id <n>]]\n  (authority, regulator, owner) Show a settlement statement; an owner's own line is verified here against the anchored root (exit 1 if it fails). With --rpc, against the root SettlementLedger holds, read from that JSON-RPC endpoint.",
  "he-keygen":
    "sluice he-keygen --param-set bfv-8192|ckks-8192 --out <file> [--relin]\n  (operator) Make a homomorphic key set on this machine; the file holds the secret key and stays here.",
  "he-register":
    "sluice he-register --keys <file>\n  (operator) Register the public half of a key set with the gateway; the secret key is never sent.",
  node: "sluice node <node-config.json>\n  (owner, helper operator) Run a compute node; see compute/README.md for its configuration.",
  job: "sluice job <job-id>\n  (operator, regulator, reviewing owner) Show a job: what it asked, its status and why it failed, and its result.",
  jobs: "sluice jobs [--scenario <id>] [--status running|awaiting_review|succeeded|failed|withheld] [--limit <n>]\n  (operator, regulator) List your jobs (a regulator: every operator's), newest first; 20 unless --limit (at most 100).",
  datasets:
    "sluice datasets\n  (any participant) List the catalogue: each dataset's owner, sector, region, key and fields.",
  grants:
    "sluice grants [--operator <id>]\n  (any participant) List the authorisations granted, with their tier, scope and validity.",
  settlements:
    "sluice settlements\n  (authority, regulator, owner) List the settlement statements: each period, its records, its total and whether it is anchored.",
  assets:
    "sluice assets --from <ISO instant> --to <ISO instant> [--owner <id>] [--rate <basis points>] [--years <n>] [--csv <file>] [--html <file>]\n  (authority, regulator, owner) The data-asset accounts of a period: each dataset's uses, contribution units, revenue and a value by the income approach (default 8% a year over 5 years), each owner against its settlement statement of the same period (exit 1 if one differs); --csv and --html write the files an institution files.",
  review:
    "sluice review <job-id> --release | --withhold --reason <text>\n  (owner) Release or withhold a result held for your review.",
  chain:
    "sluice chain\n  (any participant) Where the ledger lives: the chain id, the JSON-RPC address the gateway publishes, the contracts and the gateway's key, for sluice verify --rpc (pin what you can check elsewhere).",
  verify:
    "sluice verify <usage-record-id> [--rpc <url> [--contract <address>] [--chain-id <n>] [--gateway-key <key>]]\n  (regulator, operator) Prove a usage record against the chain. With --rpc, every check is made here: the record's hash, the gateway's signature, the Merkle proof, and the root and the leaf read from that JSON-RPC endpoint (the contract, chain id and gateway key default to what GET /ledger/chain publishes; pin them).",
  replay:
    "sluice replay <usage-record-id>\n  (regulator) Re-run the decision behind a usage record and compare it with what was recorded.",
};

const GLOBAL = `Global options:
  --url <url>    gateway address (SLUICE_URL, default http://127.0.0.1:8787)
  --key <file>   your key file (SLUICE_KEY_FILE)
  --json         print JSON for scripts
  --help         help for a command (alone: this list)
  --version      the CLI's version
Exit codes: 0 done, 1 refused or denied, 2 usage error, 3 gateway or node unavailable (or not anchored yet).`;

/** A command's first sentence, however many lines its description takes. */
export function summaryOf(text: string): string {
  const description: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    if (/^\s*--/.test(line) || line.trim() === "") break;
    description.push(line.trim());
  }
  const joined = description.join(" ");
  return /^.*?[.!?](?=\s|$)/.exec(joined)?.[0] ?? joined;
}

export function usage(command?: string): string {
  if (command && HELP[command]) return `${HELP[command]}\n\n${GLOBAL}`;
  const lines = Object.entries(HELP).map(([name, text]) => `  ${name.padEnd(15)} ${summaryOf(text)}`);
  return `sluice <command> [options]\n\nCommands:\n${lines.join("\n")}\n\n${GLOBAL}`;
}
