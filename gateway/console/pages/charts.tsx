import { BarChart, ColumnChart } from "../charts.js";
import type { epsilonPerScenario, revenueSplit } from "../data/regulator.js";
import { epsilon, yuan } from "../format.js";
import { Layout, type PageContext } from "../layout.js";

export function ChartsPage(props: {
  page: PageContext;
  perDay: { label: string; value: number }[];
  split: Awaited<ReturnType<typeof revenueSplit>>;
  epsilonUse: Awaited<ReturnType<typeof epsilonPerScenario>>;
}) {
  const { page } = props;
  const { t } = page;
  const common = { dataLabel: t("charts.data"), emptyText: t("common.none") };
  return (
    <Layout page={page} title={t("charts.title")}>
      <ColumnChart id="usage-per-day" title={t("charts.usagePerDay")} columns={props.perDay} {...common} />
      <BarChart
        id="revenue-split"
        title={t("charts.revenueSplit")}
        bars={props.split.map((s) => ({
          label: s.payeeId === "platform" ? t("scenarios.platform") : s.name,
          value: s.amountFen,
          display: yuan(s.amountFen),
        }))}
        {...common}
      />
      <BarChart
        id="epsilon-per-scenario"
        title={t("charts.epsilon")}
        bars={props.epsilonUse.map((s) => ({
          label: `${s.purpose} (${s.id})`,
          value: s.spent,
          display: `ε ${epsilon(s.spent)}`,
          of: s.budget,
          ofDisplay: epsilon(s.budget),
        }))}
        {...common}
      />
    </Layout>
  );
}
