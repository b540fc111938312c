import { privateSetIntersection } from "../psi.js";
import { EXIT, type Handler, readListFile, UsageError } from "./handler.js";
import { withProgress } from "./progress.js";

/** `sluice psi`: the intersection's size (or, with --membership, which of your ids) with an owner's dataset. */
export const psi: Handler = async (client, h) => {
  const ids = readListFile(h.option("ids", "--ids <file>"), "the id list");
  const epsilon = h.call.options.epsilon === undefined ? 0 : Number(h.call.options.epsilon);
  if (!Number.isFinite(epsilon) || epsilon < 0) throw new UsageError("--epsilon must be a number ≥ 0");
  const idKind = h.call.options["id-kind"] ?? "uscc";
  if (idKind !== "uscc" && idKind !== "text") throw new UsageError("--id-kind is uscc or text");
  const jobId = h.call.options["job-id"];
  const membership = h.call.options.membership === true;
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
        output: membership ? "membership" : "size",
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
      outcome.suppressed
        ? `intersection: withheld (below the scenario's minimum group size)`
        : `intersection: ${outcome.size}${epsilon > 0 && !membership ? ` (with noise, ε ${epsilon})` : ""}`,
      ...(outcome.members ? ["members:", ...outcome.members.map((m) => `  ${m}`)] : []),
      `your ids: ${ids.length}; refused as invalid: ${outcome.invalid.length}${outcome.invalid.length ? ` (${outcome.invalid.map((i) => `line ${i.index + 1}`).join(", ")})` : ""}; repeated: ${outcome.duplicates}`,
      `the owner's ids: ${outcome.ownerCount}`,
      `job ${outcome.jobId}, usage record ${outcome.usageRecordId}`,
    ].join("\n"),
  );
  return EXIT.ok;
};
