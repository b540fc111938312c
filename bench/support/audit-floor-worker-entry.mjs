// The audit floor's worker is TypeScript like the rest of Sluice: register tsx, then load it.
import { register } from "tsx/esm/api";

register();
await import("./audit-floor-worker.ts");
