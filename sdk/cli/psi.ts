import { privateSetIntersection } from "../psi.js";
import { EXIT, type Handler, readListFile, UsageError } from "./handler.js";
import { withProgress } from "./progress.js";

type Options = Parameters<Handler>[1];

/** --sum <field> --bounds <min>,<max>: a sum's value field and clamping bounds. */
function sumOption(h: Options) {
  const given = h.call.options.sum;
  if (given === undefined) return undefined;
  const fields = [given].flat();
  const [field] = fields;
  if (fields.length !== 1 || typeof field !== "string")
    throw new UsageError("--sum takes one of the owner's numeric fields");
  const bounds = String(h.option("bounds", "--bounds <min>,<max>")).split(",").map(Number);
  const [min, max] = bounds as [number, number];
  if (bounds.length !== 2 || !bounds.every(Number.isFinite) || min > max) {
    throw new UsageError("--bounds is two numbers, min,max, with min ≤ max (write --bounds=-5,100 for a negative min)");
  }
  return { field, min, max };
}

/** --union or --intersection <dataset>.<id field>: a second owner's set to combine. */
function combineOption(h: Options) {
  const op =
    h.call.options.union !== undefined
      ? "union"
      : h.call.options.intersection !== undefined
        ? "intersection"
        : undefined;
  if (!op) return undefined;
  if (h.call.options.union !== undefined && h.call.options.intersection !== undefined) {
    throw new UsageError("choose --union or --intersection, not both");
  }
  const target = String(h.call.options[op]);
  const dot = target.indexOf(".");
  if (dot <= 0 || dot === target.length - 1) throw new UsageError(`--${op} is <dataset>.<id field>`);
  return { datasetId: target.slice(0, dot), idField: target.slice(dot + 1), op } as const;
}

/** `sluice psi`: the intersection's size (or, with --membership, which of your ids) with an owner's dataset. */
export const psi: Handler = async (client, h) => {
  const ids = readListFile(h.option("ids", "--ids <file>"), "the id list");
  const epsilon = h.call.options.epsilon === undefined ? 0 : Number(h.call.options.epsilon);
  if (!Number.isFinite(epsilon) || epsilon < 0) throw new UsageError("--epsilon must be a number ≥ 0");
  const idKind = h.call.options["id-kind"] ?? "uscc";
  if (idKind !== "uscc" && idKind !== "text") throw new UsageError("--id-kind is uscc or text");
  const jobId = h.call.options["job-id"];
  const membership = h.call.options.membership === true;
  const sum = sumOption(h);
  const combineWith = combineOption(h);
  if ([membership, sum !== undefined, combineWith !== undefined].filter(Boolean).length > 1) {
    throw new UsageError("choose one of --membership, --sum and --union/--intersection");
  }
  // Ctrl-C cancels the job: the gateway gives its quota and ε back and the owner drops its session.
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort(new Error("interrupted"));
  process.once("SIGINT", onInterrupt);
  let shownPercent = -1;
  const showProgress = (done: number, total: number) => {
    const percent = Math.floor((100 * done) / Math.max(1, total));
    if (h.call.json || percent < shownPercent + 10) return;
    shownPercent = percent - (percent % 10);
    process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[2K" : ""}blinded ${done} of ${total} (${percent}%)\n`);
  };
  const outcome = await withProgress(`private set intersection of ${ids.length} ids`, h.call.json, () =>
    privateSetIntersection(
      client,
      {
        ...(typeof jobId === "string" ? { jobId } : {}),
        scenarioId: h.option("scenario", "--scenario <id>"),
        datasetId: h.option("dataset", "--dataset <id>"),
        idField: h.option("id-field", "--id-field <field>"),
        idKind,
        output: membership ? "membership" : sum ? "sum" : "size",
        ...(sum ? { value: sum } : {}),
        ...(combineWith ? { combineWith } : {}),
        epsilon,
        ids,
      },
      {
        // On a terminal the spinner shows the time; in a log, each step gets its line.
        onStep: (now) => h.call.json || process.stderr.isTTY || process.stderr.write(`${now}…\n`),
        onProgress: showProgress,
        signal: interrupt.signal,
      },
    ),
  )
    .catch((error: unknown) => {
      if (!interrupt.signal.aborted) throw error;
      process.stderr.write("cancelled: the job gave its quota and ε back\n");
      return null;
    })
    .finally(() => process.off("SIGINT", onInterrupt));
  if (!outcome) return EXIT.refused;
  h.print(outcome, () =>
    [
      ...(sum
        ? [
            outcome.suppressed
              ? `sum of ${sum.field}: withheld (fewer matched than the scenario's minimum group size)`
              : `sum of ${sum.field}: ${outcome.sum}${epsilon > 0 ? ` (with noise, ε ${epsilon})` : ""}`,
            `matched: ${outcome.size} of the owner's entities (exact: matching reveals it to you)`,
          ]
        : [
            outcome.suppressed
              ? `intersection${combineWith ? ` with the ${combineWith.op}` : ""}: withheld (below the scenario's minimum group size)`
              : `intersection${combineWith ? ` with the ${combineWith.op}` : ""}: ${outcome.size}${epsilon > 0 && !membership ? ` (with noise, ε ${epsilon})` : ""}`,
          ]),
      ...(outcome.members ? ["members:", ...outcome.members.map((m) => `  ${m}`)] : []),
      `your ids: ${ids.length}; refused as invalid: ${outcome.invalid.length}${outcome.invalid.length ? ` (${outcome.invalid.map((i) => `line ${i.index + 1}`).join(", ")})` : ""}; repeated: ${outcome.duplicates}`,
      `the owner's ids: ${outcome.ownerCount}${outcome.secondOwnerCount === undefined ? "" : `; the second owner's: ${outcome.secondOwnerCount}`}`,
      `job ${outcome.jobId}, usage record ${outcome.usageRecordId}`,
    ].join("\n"),
  );
  return EXIT.ok;
};
