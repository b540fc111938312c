import { type AuditReport, auditPeriod, ledgerPool } from "../../ledger/index.js";
import type { GatewayDeps } from "../deps.js";
import { scenarioShares } from "./settlement.js";

/** Audits a period with everything this gateway is connected to (the chain's registries when present). */
export function auditWith(deps: GatewayDeps, period: { start: Date; end: Date }): Promise<AuditReport> {
  return auditPeriod(
    {
      db: deps.db,
      ledger: deps.ledger,
      ...(deps.settlement ? { settlement: deps.settlement } : {}),
      ...(deps.participantRegistry ? { participantRegistry: deps.participantRegistry } : {}),
      ...(deps.authorisationRegistry ? { authorisationRegistry: deps.authorisationRegistry } : {}),
      gatewayPublicKey: deps.gatewayKeys.publicKey,
      sharesOf: (ids) => scenarioShares(deps, ids),
      pool: ledgerPool(),
    },
    period,
    deps.now?.() ?? new Date(),
  );
}
