import { eq, inArray } from "drizzle-orm";
import type { NodeTask, OwnerTask } from "../../compute/protocol.js";

type HelperTask = Extract<NodeTask, { role: "helper" }>;

import { SluiceError } from "../../lib/errors.js";
import { computeNodes, type DbOrTx, datasets } from "../../store/index.js";
import type { approvalProofs } from "./approval-proofs.js";

export interface PlannedTasks {
  tasks: NodeTask[];
  /** The fixed point of the measured fields: 100 when they are decimals (hundredths), else 1. */
  valueScale: 1 | 100;
}

const notExecutable = (message: string) => new SluiceError("not_executable", message);

/**
 * One owner task per measured field (each on its dataset's node), and a helper node when only two
 * owners take part, so that every job has at least three parties.
 */
export async function planTasks(
  db: DbOrTx,
  measuredFields: string[],
  aggregate: string,
  proofs: Awaited<ReturnType<typeof approvalProofs>>,
  computeMode: "mpc" | "he" = "mpc",
): Promise<PlannedTasks> {
  const datasetIds = measuredFields.map((f) => f.slice(0, f.indexOf(".")));
  const rows = await db
    .select({ dataset: datasets, node: computeNodes })
    .from(datasets)
    .innerJoin(computeNodes, eq(datasets.nodeId, computeNodes.id))
    .where(inArray(datasets.id, datasetIds));
  const types = new Set<string>();
  const tasks: NodeTask[] = measuredFields.map((qualified) => {
    const [datasetId, field] = qualified.split(".") as [string, string];
    const row = rows.find((r) => r.dataset.id === datasetId);
    const task = taskOfRow(row, datasetId, field, proofs);
    const type = row?.dataset.fields.find((f) => f.name === field)?.type;
    if (aggregate !== "count") {
      if (type !== "integer" && type !== "decimal")
        throw notExecutable(`${qualified} is ${type ?? "unknown"}; only integer and decimal fields aggregate`);
      types.add(type);
    }
    return task;
  });
  if (new Set(tasks.map((t) => t.nodeId)).size !== tasks.length || tasks.length < 2) {
    throw notExecutable("a secure aggregate needs one measured field from each of at least two owner nodes");
  }
  if (types.size > 1)
    throw notExecutable("the measured fields mix integers and decimals; aggregate one kind at a time");
  // Secret sharing between two owners needs a third party; encryption under the operator's key does not.
  if (tasks.length === 2 && computeMode === "mpc") {
    tasks.push(await helperTask(db, "a two-owner job needs a helper node as third party"));
  }
  return { tasks, valueScale: types.has("decimal") ? 100 : 1 };
}

/** The platform's helper node as a task; `why` says what needs it when none is registered. */
export async function helperTask(db: DbOrTx, why: string): Promise<HelperTask> {
  const [helper] = await db.select().from(computeNodes).where(eq(computeNodes.kind, "helper")).limit(1);
  if (!helper?.encryptionKey) {
    throw notExecutable(`${why}, and none is registered (the authority registers one)`);
  }
  return {
    role: "helper",
    nodeId: helper.id,
    url: helper.url,
    publicKey: helper.publicKey,
    encryptionKey: helper.encryptionKey,
  };
}

/** The fixed point of a registered dataset's numeric field: 100 for a decimal (hundredths), 1 for an integer. */
export async function valueScaleOf(db: DbOrTx, datasetId: string, field: string): Promise<1 | 100> {
  const [row] = await db.select({ fields: datasets.fields }).from(datasets).where(eq(datasets.id, datasetId));
  const type = row?.fields.find((f) => f.name === field)?.type;
  if (type !== "integer" && type !== "decimal") {
    throw notExecutable(`${datasetId}.${field} is ${type ?? "unknown"}; only integer and decimal fields are summed`);
  }
  return type === "decimal" ? 100 : 1;
}

type DatasetNodeRow = { dataset: typeof datasets.$inferSelect; node: typeof computeNodes.$inferSelect };

/** A dataset's node as the task of one owner, reading `field`, under its owner's proof of approval. */
function taskOfRow(
  row: DatasetNodeRow | undefined,
  datasetId: string,
  field: string,
  proofs: Awaited<ReturnType<typeof approvalProofs>>,
): OwnerTask {
  if (!row) throw new SluiceError("dataset_unknown", `dataset ${datasetId} has no registered compute node`);
  if (!row.node.encryptionKey) {
    throw notExecutable(`node ${row.node.id} has no encryption key; its owner must register it again`);
  }
  return {
    role: "owner",
    nodeId: row.node.id,
    url: row.node.url,
    publicKey: row.node.publicKey,
    encryptionKey: row.node.encryptionKey,
    datasetId,
    field,
    approval: proofs.proofFor(row.dataset.ownerId),
  };
}

/** The task of a one-node job (scoring, PSI): the dataset's node, reading `field`, under its owner's proof. */
export async function ownerTaskFor(
  db: DbOrTx,
  datasetId: string,
  field: string,
  proofs: Awaited<ReturnType<typeof approvalProofs>>,
): Promise<OwnerTask> {
  const [row] = await db
    .select({ dataset: datasets, node: computeNodes })
    .from(datasets)
    .innerJoin(computeNodes, eq(datasets.nodeId, computeNodes.id))
    .where(eq(datasets.id, datasetId));
  return taskOfRow(row, datasetId, field, proofs);
}
