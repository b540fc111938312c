import { cpus } from "node:os";
import { SharedNonceStore } from "../gateway/auth/shared-nonce-store.js";
import { createDb } from "../store/index.js";
import { report } from "./report.js";

// What claiming a request's nonce in the shared database costs (the replicas' replay protection):
// one claim at a time (a request alone waits one statement) and 16 at once (as 16 connections'
// requests arrive together: one statement carries them). `BENCH_DATABASE_URL` for PostgreSQL;
// PGlite without it. `BENCH_NONCE_CLAIMS`, default 4,000.

const claims = Number(process.env.BENCH_NONCE_CLAIMS ?? 4_000);
const url = process.env.BENCH_DATABASE_URL;
const database = await createDb(url ? { url } : {});
const store = new SharedNonceStore(database.db);
await store.start();
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model.split(" ").slice(0, 2).join(" ") };
const run = `${Date.now()}-${Math.random()}`;
const inAMinute = () => new Date(Date.now() + 60_000);
try {
  for (let i = 0; i < 200; i++) await store.claim("bench", `warm-${run}-${i}`, inAMinute());
  let started = performance.now();
  for (let i = 0; i < claims; i++) await store.claim("bench", `alone-${run}-${i}`, inAMinute());
  const alone = ((performance.now() - started) * 1000) / claims;
  started = performance.now();
  for (let r = 0; r < claims / 16; r++) {
    const batch = Array.from({ length: 16 }, (_, j) => store.claim("bench", `together-${run}-${r}-${j}`, inAMinute()));
    if ((await Promise.all(batch)).some((claimed) => !claimed)) throw new Error("a fresh nonce was refused");
  }
  const together = ((performance.now() - started) * 1000) / claims;
  const context = { database: database.driver, claims, machine };
  report("nonces", "nonce_claim_us", together, "µs", { ...context, note: "per claim, 16 claimed at once" });
  report("nonces", "nonce_claim_alone_us", alone, "µs", {
    ...context,
    note: "one claim at a time: one statement's round trip",
  });
} finally {
  await store.stop();
  await database.close();
}
