import { openDataStore } from "../../compute/node/sources.js";
import type { AggregateQuery } from "../../compute/query/schema.js";

// One node's part of one aggregate, pushed down, in a process of its own, so that its peak resident
// memory is the node's: argv[2] is the node's dataset configuration and query as JSON. Prints
// {"seconds","cells","maxRssMb"} after `repeats` runs (the median's time).

const { dataset, query, measured, repeats } = JSON.parse(process.argv[2] as string) as {
  dataset: Parameters<typeof openDataStore>[0]["datasets"][number];
  query: AggregateQuery;
  measured: string;
  repeats: number;
};
const store = openDataStore({
  workDirectory: process.env.SOURCES_WORK ?? "/tmp/sluice-bench-sources/work",
  sources: { maxConnections: 4, statementTimeoutMs: 600_000, duckdbThreads: 2, duckdbMemoryLimit: "512MB" },
  datasets: [dataset],
});
const times: number[] = [];
let cells: string[] = [];
for (let i = 0; i < repeats + 1; i++) {
  const started = performance.now();
  cells = (await store.aggregate(dataset.id, measured, query)).map(String);
  if (i > 0) times.push((performance.now() - started) / 1000);
}
await store.close();
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    seconds: times[Math.floor(times.length / 2)],
    cells,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
