import { Hono } from "hono";
import { scenarioStatusAt } from "../../../policies/index.js";
import type { GatewayDeps } from "../../deps.js";
import { operatorGrants, operatorJobs, operatorScenarios } from "../data/operator.js";
import type { ConsoleEnv } from "../env.js";
import { pageOf } from "../page-context.js";
import { JobsPage, OperatorPage } from "../pages/operator.js";
import { onlyFor } from "../roles.js";

/** Operator pages: grants, scenarios with what is left of their budget and quota, jobs. */
export function createOperatorPages(deps: GatewayDeps) {
  const now = () => deps.now?.() ?? new Date();
  const app = new Hono<ConsoleEnv>();
  app.use("/console/operator", onlyFor("operator"));
  app.use("/console/operator/*", onlyFor("operator"));
  app.get("/console/operator", async (c) => {
    const operatorId = c.get("participant").id;
    const [grants, scenarios] = await Promise.all([
      operatorGrants(deps.db, operatorId),
      operatorScenarios(deps.db, operatorId),
    ]);
    const at = now().toISOString();
    const withStatus = scenarios.map((s) => ({
      ...s,
      currentStatus: scenarioStatusAt(
        { status: s.status, validFrom: s.validFrom.toISOString(), validUntil: s.validUntil.toISOString() },
        at,
      ),
    }));
    return c.html(<OperatorPage page={pageOf(c)} grants={grants} scenarios={withStatus} />);
  });
  app.get("/console/operator/jobs", async (c) =>
    c.html(<JobsPage page={pageOf(c)} jobs={await operatorJobs(deps.db, c.get("participant").id)} />),
  );
  return app;
}
