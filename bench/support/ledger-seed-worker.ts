import { serveOperations } from "../../lib/worker-serve.js";
import { seedRows } from "./ledger-seed-rows.js";

serveOperations({ seedRows });
