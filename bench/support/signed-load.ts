import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { signRequest } from "../../lib/http-signature.js";
import type { KeyFile } from "../../lib/key-file.js";

/**
 * Signed GETs of `target` for `seconds` from `connections` connections, each with its own nonce.
 * They are signed before the clock starts (well inside the 300 s skew), so the load generator's
 * signing does not take the cores the gateway is measured on; it signs live only if the gateway
 * outruns the `presigned` stock. Returns autocannon's result and how many were left unsent.
 */
export async function signedLoad(options: {
  target: string;
  key: KeyFile;
  connections: number;
  seconds: number;
  presigned: number;
}): Promise<{ result: autocannon.Result; presignedLeft: number }> {
  const sign = () =>
    signRequest({
      method: "GET",
      url: options.target,
      keyId: options.key.id,
      privateKey: options.key.privateKeyPem,
      nonce: randomBytes(16).toString("base64url"),
    });
  const stock = Array.from({ length: options.presigned }, sign);
  const result = await autocannon({
    url: options.target,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: "GET",
        setupRequest: (request) => {
          request.headers = { ...request.headers, ...(stock.pop() ?? sign()) };
          return request;
        },
      },
    ],
  });
  return { result, presignedLeft: stock.length };
}
