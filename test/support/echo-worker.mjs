// A worker for the WorkerPool tests: "echo" answers with its argument, "fail" answers with a typed
// error, "crash" throws outside any handler so the thread dies.
import { parentPort } from "node:worker_threads";

parentPort.on("message", ({ op, args }) => {
  if (op === "echo") parentPort.postMessage({ ok: true, value: args[0] });
  else if (op === "fail") parentPort.postMessage({ ok: false, code: "ciphertext_invalid", message: String(args[0]) });
  else if (op === "fail-unknown") parentPort.postMessage({ ok: false, code: "made_up", message: String(args[0]) });
  else if (op === "crash")
    setTimeout(() => {
      throw new Error("the worker crashed");
    });
});
