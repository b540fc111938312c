import { serveOperations } from "../lib/worker-serve.js";
import { replayDecisions } from "./decision-check.js";
import { buildFastRecordTree } from "./fast-merkle.js";
import { checkRecords } from "./record-check.js";

// One ledger worker: a page of records to check, a page of decisions to replay, or a batch's root.
serveOperations({
  checkRecords,
  replayDecisions,
  recordTreeRoot: (recordHashes: string[]) => buildFastRecordTree(recordHashes).root,
});
