import type { PageContext } from "./layout.js";

const BOUNDS = [
  { id: "period-start", name: "periodStart", label: "common.from" },
  { id: "period-end", name: "periodEnd", label: "common.to" },
] as const;

/** A period's two date pickers (the viewer's wall clock, to the second), as the period forms have them. */
export function PeriodFields(props: { page: PageContext; period: { periodStart: string; periodEnd: string } }) {
  return (
    <>
      {BOUNDS.map((bound) => (
        <p>
          <label for={bound.id}>{props.page.t(bound.label)}</label>
          <input
            id={bound.id}
            type="datetime-local"
            step={1}
            name={bound.name}
            required
            value={props.period[bound.name]}
          />
        </p>
      ))}
    </>
  );
}
