// The ledger worker is TypeScript like the rest of Sluice: register tsx in this thread, then load it.
import { register } from "tsx/esm/api";

register();
await import("./ledger-worker.ts");
