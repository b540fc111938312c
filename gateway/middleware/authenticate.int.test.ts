import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../lib/http-signature.js";
import { createKeyFile } from "../../lib/key-file.js";
import { createDb } from "../../store/index.js";
import { startTestGateway, type TestGateway } from "../../test/support/gateway.js";

describe("the body of a request is read only once its signature holds", () => {
  let gw: TestGateway;
  const bank = createKeyFile("bank_body");
  beforeAll(async () => {
    gw = await startTestGateway(await createDb());
    await gw.client().admitParticipant({ id: bank.id, name: "Bank", role: "operator", publicKey: bank.publicKey });
  });
  afterAll(async () => {
    await gw.stop();
    await gw.database.close();
  });

  const send = (signer: typeof bank) => {
    let pulled = false;
    const text = JSON.stringify({ paramSet: "bfv-8192", publicKey: "AAAA" });
    const url = "http://gateway.test/he-keys";
    const headers = signRequest({
      method: "POST",
      url,
      body: text,
      keyId: bank.id,
      privateKey: signer.privateKeyPem,
      nonce: randomBytes(12).toString("base64url"),
    });
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled = true;
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      },
      { highWaterMark: 0 },
    ); // pulled only when someone reads it
    const request = new Request(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    return Promise.resolve(gw.app.request(request)).then((response) => ({ response, pulled }));
  };

  it("never reads the body of a request signed with the wrong key", async () => {
    const { response, pulled } = await send(createKeyFile("impostor"));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { type: string }).type).toMatch(/signature-invalid/);
    expect(pulled).toBe(false);
  });

  it("reads it, and checks it against its digest, once the signature holds", async () => {
    const { response, pulled } = await send(bank);
    expect(pulled).toBe(true);
    expect(response.status).toBe(422); // signed and read: the key inside is then found invalid
  });
});
