import { createPrivateKey } from "node:crypto";
import { deriveEncryptionKeys } from "../../compute/mpc/channel.js";
import { addInRing, decodeVector, fromRing, sumInRing } from "../../compute/mpc/ring.js";
import { createMemoryDataStore, datasetFromRows } from "../../compute/node/datastore.js";
import { createPsiResponder } from "../../compute/node/psi.js";
import { createPsiHelper } from "../../compute/node/psi-helper.js";
import { membershipIn, newBlindingKey } from "../../compute/psi/blind.js";
import { encodeBitmap } from "../../compute/psi/helper-protocol.js";
import type { PsiPool } from "../../compute/psi/pool.js";
import { type PsiPlan, signPsiPlan } from "../../compute/psi/protocol.js";
import { blindAll, reblindAll } from "../../compute/psi/psi-ca.js";
import { type ScenarioTerms, signApproval } from "../../lib/approvals.js";
import { generateEd25519KeyPair } from "../../lib/ed25519.js";

// PSI-sum with the real owner responder and helper (compute/node), without HTTP: the owner's set with
// its shares, the operator's blinding, the owner's answers, the operator's matching and share sum,
// and the helper's release, in the order a job runs them. Returns the released sum (ε 0, exact).

const DATASET = "ds_bench";

export function psiSumParties(ownerIds: string[], values: number[], pool: PsiPool) {
  const gateway = generateEd25519KeyPair();
  const node = generateEd25519KeyPair();
  const owner = generateEd25519KeyPair();
  const helperKeys = generateEd25519KeyPair();
  const helperEncryption = deriveEncryptionKeys(createPrivateKey(helperKeys.privateKeyPem));
  const store = createMemoryDataStore([
    datasetFromRows(
      DATASET,
      [
        { name: "id", type: "string", level: 1 },
        { name: "value", type: "integer", level: 1 },
      ],
      ownerIds.map((id, i) => ({ id, value: values[i] as number })),
    ),
  ]);
  const terms: ScenarioTerms = {
    scenarioId: "scn_bench",
    operatorId: "bench",
    fields: [`${DATASET}.id`, `${DATASET}.value`],
    computeModes: ["psi"],
    queryShapes: ["psi-sum"],
    minGroupSize: 1,
    epsilonPerQueryMicro: 1_000_000,
    validFrom: "2020-01-01T00:00:00.000Z",
    validUntil: "2099-01-01T00:00:00.000Z",
  };
  const responder = createPsiResponder({
    nodeId: "node_owner",
    privateKey: createPrivateKey(node.privateKeyPem),
    publicKey: node.publicKey,
    gatewayPublicKey: gateway.publicKey,
    store,
    pool: () => pool,
    approval: {
      ownerId: "owner",
      ownerPublicKeys: [owner.publicKey],
      holds: (id) => id === DATASET,
      levelOf: () => 1,
      noiseFromLevel: 3,
    },
    now: () => new Date(),
  });
  const helper = createPsiHelper({
    nodeId: "node_helper",
    publicKey: helperKeys.publicKey,
    privateKey: createPrivateKey(helperKeys.privateKeyPem),
    encryption: helperEncryption,
    gatewayPublicKey: gateway.publicKey,
    now: () => new Date(),
  });
  const plan: PsiPlan = {
    version: 2,
    kind: "psi",
    jobId: "job_bench",
    scenarioId: terms.scenarioId,
    idField: "id",
    idKind: "text",
    output: "sum",
    sum: { valueField: "value", valueScale: 1, min: 0, max: 1_000_000 },
    helper: {
      role: "helper",
      nodeId: "node_helper",
      url: "http://helper.invalid",
      publicKey: helperKeys.publicKey,
      encryptionKey: helperEncryption.publicKey,
    },
    epsilonMicro: 0,
    minGroupSize: 1,
    decisionHash: "0".repeat(64),
    terms,
    task: {
      role: "owner",
      nodeId: "node_owner",
      url: "http://owner.invalid",
      publicKey: node.publicKey,
      encryptionKey: deriveEncryptionKeys(createPrivateKey(node.privateKeyPem)).publicKey,
      datasetId: DATASET,
      field: "id",
      approval: { kind: "signed", ownerId: "owner", signature: signApproval("owner", terms, owner.privateKeyPem) },
    },
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const signed = signPsiPlan(plan, gateway.privateKeyPem);

  /** One whole PSI-sum of the operator's ids against the owner's column; the sum as released. */
  async function run(operatorIds: string[]): Promise<bigint> {
    const a = newBlindingKey();
    const [set, mine] = await Promise.all([responder.start(signed), blindAll(operatorIds, a, pool)]);
    const [ownerRaised, reply] = await Promise.all([
      reblindAll(Buffer.from(set.points, "base64"), a, pool),
      responder.answer({ jobId: plan.jobId, signature: signed.signature, operatorPoints: mine.toString("base64") }),
    ]);
    const matched = membershipIn(ownerRaised, Buffer.from(reply.answers ?? "", "base64"));
    const shares = decodeVector(Buffer.from(set.operatorShares ?? "", "base64"), set.count);
    const partial = sumInRing(shares.filter((_, i) => matched[i]));
    const release = helper.sum({
      ...signed,
      shares: set.helperShares as NonNullable<typeof set.helperShares>,
      matched: Buffer.from(encodeBitmap(matched)).toString("base64"),
    });
    return fromRing(addInRing(partial, BigInt(release.partial as string)));
  }
  return { run };
}
