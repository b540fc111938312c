// The PSI worker is TypeScript like the rest of Sluice: register tsx in this thread, then load it.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
