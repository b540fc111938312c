import { readFileSync } from "node:fs";
import { z } from "zod";
import { MAX_SCORING_FEATURES } from "../../compute/he/scoring-model.js";
import { parseWith } from "../../lib/validate.js";
import { decryptScoringResult, encryptScoringModel, type HeKeyFile, readHeKeyFile } from "../he.js";
import { EXIT, type Handler, readListFile, UsageError } from "./handler.js";
import { withProgress } from "./progress.js";

const modelFileSchema = z
  .object({
    features: z.array(z.string().min(1)).min(1).max(MAX_SCORING_FEATURES),
    weights: z.array(z.number()).min(1).max(MAX_SCORING_FEATURES),
    bias: z.number(),
    polynomial: z.tuple([z.number(), z.number(), z.number()]).optional(),
    maxAbsScore: z.number().positive().optional(),
  })
  .refine((m) => m.weights.length === m.features.length, { message: "one weight per feature" });

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

/**
 * A model whose features are named `dataset.field` is a vertical score: its parts are the
 * datasets, in the order they first appear, each with its own features. Plain names: one dataset.
 */
function verticalParts(features: readonly string[]) {
  const qualified = features.filter((f) => f.includes("."));
  if (qualified.length === 0) return undefined;
  if (qualified.length !== features.length) {
    throw new UsageError("name every feature of the model as dataset.field (a vertical score) or none (--dataset)");
  }
  const parts: { datasetId: string; features: string[] }[] = [];
  for (const feature of features) {
    const [datasetId, field] = feature.split(".", 2) as [string, string];
    const part = parts.find((p) => p.datasetId === datasetId);
    if (part) part.features.push(field);
    else parts.push({ datasetId, features: [field] });
  }
  if (parts.length < 2)
    throw new UsageError("a vertical score takes features from at least two datasets; use --dataset for one");
  return parts;
}

/**
 * `sluice score`: encrypts the model here with the operator's CKKS key file, finds the registered
 * key set by its fingerprint, runs the job, and decrypts the scores here. Only ciphertexts leave.
 */
export const score: Handler = async (client, h) => {
  const keyFile = h.option("he-keys", "--he-keys <file>");
  let keys: HeKeyFile;
  let model: z.infer<typeof modelFileSchema>;
  try {
    keys = readHeKeyFile(keyFile);
    model = parseWith(modelFileSchema, readJson(h.option("model", "--model <file.json>"), "the model"), "the model");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
  const ids = readListFile(h.option("ids", "--ids <file>"), "the id list");
  const registered = (await client.listHeKeys()).keys.find((k) => k.fingerprint === keys.fingerprint);
  if (!registered) throw new UsageError(`register ${keyFile} first: sluice he-register --keys ${keyFile}`);
  const epsilon = h.call.options.epsilon === undefined ? 0 : Number(h.call.options.epsilon);
  if (!Number.isFinite(epsilon) || epsilon < 0) throw new UsageError("--epsilon must be a number ≥ 0");
  const jobId = h.call.options["job-id"];
  const common = {
    ...(typeof jobId === "string" ? { jobId } : {}),
    scenarioId: h.option("scenario", "--scenario <id>"),
    heKeysId: registered.id,
    epsilon,
    ids,
  };
  const idField = h.option("id-field", "--id-field <field>");
  const parts = verticalParts(model.features);
  const job = parts
    ? await withProgress(`scoring ${ids.length} ids at ${parts.length} owners' nodes`, h.call.json, async () => {
        const ordered = parts.flatMap((p) => p.features.map((f) => model.features.indexOf(`${p.datasetId}.${f}`)));
        const weights = ordered.map((i) => model.weights[i] as number);
        return client.scoreVertically({
          ...common,
          parts: parts.map((p) => ({ ...p, idField })),
          model: await encryptScoringModel(keys, {
            ...model,
            features: ordered.map((i) => model.features[i] as string),
            weights,
          }),
        });
      })
    : await withProgress(`scoring ${ids.length} ids at the owner's node`, h.call.json, async () =>
        client.scoreRecords({
          ...common,
          datasetId: h.option("dataset", "--dataset <id>"),
          idField,
          features: model.features,
          model: await encryptScoringModel(keys, model),
        }),
      );
  const { scores, missing } = await decryptScoringResult(job.result, keys);
  h.print({ jobId: job.jobId, usageRecordId: job.usageRecordId, noise: job.result.noise, scores, missing }, () =>
    [
      "id,score",
      ...scores.map((s) => `${s.id},${s.score}`),
      `# ${scores.length} scored, ${missing.length} not held by ${parts ? "every owner" : "the owner"}${missing.length ? `: ${missing.join(" ")}` : ""}`,
      `# noise: ${job.result.noise.mechanism}${job.result.noise.epsilon ? ` (ε ${job.result.noise.epsilon} per entity)` : ""}`,
      `# job ${job.jobId}, usage record ${job.usageRecordId}`,
    ].join("\n"),
  );
  return EXIT.ok;
};
