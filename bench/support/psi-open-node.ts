import { OwnerPsiSession } from "../../compute/node/psi-session.js";
import { openDataStore } from "../../compute/node/sources.js";
import type { PsiPlan } from "../../compute/psi/protocol.js";

// An owner's node opening a PSI session over a dataset, in a process of its own so that its peak
// resident memory is the node's: the identifiers streamed from the source, normalised, counted once
// and shuffled on disk (the stage whose memory used to grow with the set). argv[2] is the dataset's
// configuration and its id field as JSON. Prints {"seconds","count","maxRssMb"}.

const { dataset, idField } = JSON.parse(process.argv[2] as string) as {
  dataset: Parameters<typeof openDataStore>[0]["datasets"][number];
  idField: string;
};
const store = openDataStore({
  workDirectory: process.env.SOURCES_WORK ?? "/tmp/sluice-bench-sources/work",
  sources: { maxConnections: 4, statementTimeoutMs: 3_600_000, duckdbThreads: 2, duckdbMemoryLimit: "512MB" },
  datasets: [dataset],
});
// Opening reads only the plan's id field, kind and output; the rest of a signed plan plays no part here.
const plan = { jobId: "job_bench", idField, idKind: "text", output: "size" } as PsiPlan;
const started = performance.now();
const session = await OwnerPsiSession.open(plan, "bench", dataset.id, store, () => {
  throw new Error("opening blinds nothing");
});
const seconds = (performance.now() - started) / 1000;
const count = session.count;
session.end();
await store.close();
console.log(JSON.stringify({ seconds, count, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
