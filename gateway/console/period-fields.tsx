import type { PageContext } from "./layout.js";

/** A period's two date pickers (the viewer's wall clock, to the second), as the period forms have them. */
export function PeriodFields(props: { page: PageContext; period: { periodStart: string; periodEnd: string } }) {
  const { t } = props.page;
  return (
    <>
      <p>
        <label for="period-start">{t("common.from")}</label>
        <input
          id="period-start"
          type="datetime-local"
          step={1}
          name="periodStart"
          required
          value={props.period.periodStart}
        />
      </p>
      <p>
        <label for="period-end">{t("common.to")}</label>
        <input
          id="period-end"
          type="datetime-local"
          step={1}
          name="periodEnd"
          required
          value={props.period.periodEnd}
        />
      </p>
    </>
  );
}
