import { Hono } from "hono";
import type { GatewayDeps } from "../../deps.js";
import { scenarioStatusNow, scenariosVisibleTo } from "../../services/scenarios.js";
import { operatorGrants, operatorJobs } from "../data/operator.js";
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
    const operator = c.get("participant");
    const [grants, scenarios] = await Promise.all([
      operatorGrants(deps.db, operator.id),
      scenariosVisibleTo(deps.db, operator),
    ]);
    const withStatus = scenarios.map(({ scenario }) => ({
      ...scenario,
      currentStatus: scenarioStatusNow(scenario, now()),
    }));
    return c.html(<OperatorPage page={pageOf(c)} grants={grants} scenarios={withStatus} />);
  });
  app.get("/console/operator/jobs", async (c) =>
    c.html(<JobsPage page={pageOf(c)} jobs={await operatorJobs(deps.db, c.get("participant").id)} />),
  );
  return app;
}
