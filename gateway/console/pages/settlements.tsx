import type { getSettlement, listSettlements } from "../../services/settlement.js";
import { short, yuan } from "../format.js";
import { Layout, Notice, type PageContext, Table } from "../layout.js";
import { When } from "../when.js";

type Summary = Awaited<ReturnType<typeof listSettlements>>[number];
type Statement = Awaited<ReturnType<typeof getSettlement>>;

export function SettlementsPage({ page, statements }: { page: PageContext; statements: Summary[] }) {
  const { t } = page;
  return (
    <Layout page={page} title={t("settlements.title")}>
      {statements.length === 0 ? (
        <p class="empty">{t("common.none")}</p>
      ) : (
        <Table columns={[t("common.id"), t("common.period"), t("usage.records"), t("ledger.fee"), t("ledger.tx")]}>
          {statements.map((s) => (
            <tr>
              <td>
                <a href={`/console/settlements/${encodeURIComponent(s.id)}`}>{s.id}</a>
              </td>
              <td>
                <When at={s.periodStart} zone={page.timeZone} /> – <When at={s.periodEnd} zone={page.timeZone} />
              </td>
              <td class="number">{s.recordCount}</td>
              <td class="number">{yuan(s.feeTotalFen)}</td>
              <td>{s.txHash ? <code title={s.txHash}>{short(s.txHash)}</code> : t("ledger.pending")}</td>
            </tr>
          ))}
        </Table>
      )}
    </Layout>
  );
}

export function SettlementPage({
  page,
  statement,
  names,
}: {
  page: PageContext;
  statement: Statement;
  names: Map<string, string>;
}) {
  const { t } = page;
  const onChain = statement.chain?.anchored === true && statement.chain.rootMatches;
  return (
    <Layout page={page} title={`${t("settlements.title")} ${statement.id}`}>
      <Notice kind={onChain ? "ok" : "error"}>
        {t("settlements.chain")}: <strong>{onChain ? t("settlements.onChain") : t("settlements.notOnChain")}</strong>
      </Notice>
      <dl class="terms">
        <dt>{t("common.period")}</dt>
        <dd>
          <When at={statement.periodStart} zone={page.timeZone} /> –{" "}
          <When at={statement.periodEnd} zone={page.timeZone} />
        </dd>
        <dt>{t("usage.records")}</dt>
        <dd>{statement.recordCount}</dd>
        <dt>{t("ledger.fee")}</dt>
        <dd>{yuan(statement.feeTotalFen)}</dd>
        <dt>{t("ledger.root")}</dt>
        <dd>
          <code>{statement.root}</code>
        </dd>
        <dt>{t("ledger.tx")}</dt>
        <dd>
          <code>{statement.txHash ?? ""}</code>
        </dd>
      </dl>
      <Table
        columns={[t("settlements.payee"), t("usage.records"), t("settlements.amount")]}
        caption={t("settlements.lines")}
      >
        {statement.lines.map((line) => (
          <tr>
            <td>
              {line.role === "platform" ? (
                t("scenarios.platform")
              ) : (
                <>
                  {names.get(line.payeeId) ?? line.payeeId} <span class="muted">({t("role.owner")})</span>
                </>
              )}
            </td>
            <td class="number">{line.records}</td>
            <td class="number">{yuan(line.amountFen)}</td>
          </tr>
        ))}
      </Table>
      <p>
        <a
          href={`/console/assets?${new URLSearchParams({ periodStart: statement.periodStart, periodEnd: statement.periodEnd })}`}
        >
          {t("assets.ofStatement")}
        </a>
      </p>
      <p>
        <a href="/console/settlements">{t("error.back")}</a>
      </p>
    </Layout>
  );
}
