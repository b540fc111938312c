import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHeKeys, type HeKeyFile } from "../../compute/he/keys.js";
import { createKeyFile } from "../../lib/key-file.js";
import { createClient, type SluiceApiError } from "../../sdk/index.js";
import { testDatabases } from "../../test/support/databases.js";
import { startTestGateway, type TestGateway } from "../../test/support/gateway.js";

describe.each(testDatabases())("homomorphic keys at the gateway on $name", ({ open }) => {
  let gw: TestGateway;
  let bfv: HeKeyFile;
  let ckks: HeKeyFile;
  const bank = createKeyFile("bank_he");
  const owner = createKeyFile("owner_he");
  const wire: string[] = [];
  // A client whose every request body is recorded, to show what leaves the operator's machine.
  const recording = () =>
    createClient({
      url: "http://gateway.test",
      key: bank,
      fetch: async (input, init) => {
        wire.push(String(init?.body ?? ""));
        return gw.app.request(new Request(input, init));
      },
    });

  beforeAll(async () => {
    gw = await startTestGateway(await open());
    for (const [key, role] of [
      [bank, "operator"],
      [owner, "owner"],
    ] as const) {
      await gw.client().admitParticipant({ id: key.id, name: key.id, role, publicKey: key.publicKey });
    }
    bfv = await generateHeKeys("bfv-8192", { relinKeys: true, galoisSteps: [1, 2, 4] });
    ckks = await generateHeKeys("ckks-8192");
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await gw?.database.close();
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (e: SluiceApiError) => e,
    );

  it("keeps the public keys and never receives the secret key, even when the whole key file is passed", async () => {
    const registered = await recording().registerHeKeys(bfv);
    expect(registered).toMatchObject({ paramSet: "bfv-8192", fingerprint: bfv.fingerprint });
    expect(registered.sizes.galoisKeys).toBeGreaterThan(1024 * 1024); // larger than the default body limit
    const everything = wire.join("\n");
    for (const offset of [0, 1_000, 10_000]) expect(everything).not.toContain(bfv.secretKey.slice(offset, offset + 64));
    expect(everything).not.toContain("secretKey");
    const listed = await gw.client(bank).listHeKeys();
    expect(listed.keys.map((k) => k.fingerprint)).toEqual([bfv.fingerprint]);
  });

  it("refuses a body that carries a secret key, by name", async () => {
    const failure = (await refusal(gw.client(bank).request("POST", "/he-keys", { ...ckks }))) as SluiceApiError;
    expect(failure.status).toBe(400);
    expect(failure.problem.errors).toEqual(
      expect.arrayContaining([
        { path: "secretKey", message: "a secret key is never sent to Sluice: keep it on your machine" },
      ]),
    );
  });

  it("refuses keys made under other parameters, keys registered twice, and callers who are not operators", async () => {
    const mismatched = (await refusal(
      gw.client(bank).registerHeKeys({ paramSet: "bfv-8192", publicKey: ckks.publicKey }),
    )) as SluiceApiError;
    expect(mismatched.status).toBe(422);
    expect(mismatched.problem.type).toMatch(/he-key-invalid/);
    expect(((await refusal(gw.client(bank).registerHeKeys(bfv))) as SluiceApiError).status).toBe(409);
    expect(((await refusal(gw.client(owner).registerHeKeys(ckks))) as SluiceApiError).status).toBe(403);
  });

  it("allows the large body only where keys travel", async () => {
    const large = { purpose: "x".repeat(2 * 1024 * 1024) };
    expect(((await refusal(gw.client(bank).request("POST", "/scenarios", large))) as SluiceApiError).status).toBe(413);
  });
});
