import { createHash } from "node:crypto";
import { canonicalize } from "../../lib/canonical-json.js";
import { serveOperations } from "../../lib/worker-serve.js";

// The floor's worker: the RFC 8785 form of each stored JSON text, hashed, as any audit must do.
serveOperations({
  hashCanonical: (texts: string[]) => {
    let hashed = 0;
    for (const text of texts) {
      createHash("sha256")
        .update(canonicalize(JSON.parse(text)))
        .digest();
      hashed++;
    }
    return hashed;
  },
});
