import type { Child } from "hono/jsx";

/** One bar: a label, a value, and the text shown for it; `of` draws the bar as a share of a whole. */
export interface ChartBar {
  label: string;
  value: number;
  display: string;
  of?: number;
  ofDisplay?: string;
}

interface ChartProps {
  id: string;
  title: string;
  /** The heading of the data table that follows each chart, for those who read rather than look. */
  dataLabel: string;
  emptyText: string;
}

const WIDTH = 720;
const VALUE_WIDTH = 150;
const LABEL_HEIGHT = 20;
const BAR = 18;
const ROW = LABEL_HEIGHT + BAR + 12;

const scaled = (value: number, max: number, span: number) => (max > 0 ? Math.max(0, (value / max) * span) : 0);
const round = (n: number) => Math.round(n * 10) / 10;

function DataTable({ dataLabel, rows }: { dataLabel: string; rows: [string, string][] }) {
  return (
    <details class="chart-data">
      <summary>{dataLabel}</summary>
      <table>
        <tbody>
          {rows.map(([label, value]) => (
            <tr>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Figure(props: { id: string; title: string; summary: string; height: number; children: Child }) {
  return (
    <svg
      class="chart"
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      viewBox={`0 0 ${WIDTH} ${props.height}`}
      width={WIDTH}
      height={props.height}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.summary}</desc>
      {props.children}
    </svg>
  );
}

/** Horizontal bars, one per category (its label above it), drawn server-side as SVG with the same figures as a table. */
export function BarChart(props: ChartProps & { bars: ChartBar[] }) {
  const { bars } = props;
  if (bars.length === 0) return <p class="empty">{props.emptyText}</p>;
  const max = Math.max(...bars.map((b) => b.of ?? b.value));
  const span = WIDTH - VALUE_WIDTH;
  const height = bars.length * ROW + 4;
  const shown = (b: ChartBar) => (b.ofDisplay ? `${b.display} / ${b.ofDisplay}` : b.display);
  const summary = bars.map((b) => `${b.label}: ${shown(b)}`).join("; ");
  return (
    <figure class="chart-figure">
      <figcaption>{props.title}</figcaption>
      <Figure id={props.id} title={props.title} summary={summary} height={height}>
        {bars.map((bar, i) => {
          const y = i * ROW;
          return (
            <g>
              <text x={0} y={y + 14} class="chart-label">
                {bar.label}
              </text>
              {bar.of === undefined ? null : (
                <rect
                  x={0}
                  y={y + LABEL_HEIGHT}
                  width={round(scaled(bar.of, max, span))}
                  height={BAR}
                  class="chart-track"
                />
              )}
              <rect
                x={0}
                y={y + LABEL_HEIGHT}
                width={round(scaled(bar.value, max, span))}
                height={BAR}
                class="chart-bar"
              >
                <title>{`${bar.label}: ${shown(bar)}`}</title>
              </rect>
              <text x={round(scaled(bar.of ?? bar.value, max, span)) + 6} y={y + LABEL_HEIGHT + BAR - 4}>
                {shown(bar)}
              </text>
            </g>
          );
        })}
      </Figure>
      <DataTable dataLabel={props.dataLabel} rows={bars.map((b) => [b.label, shown(b)])} />
    </figure>
  );
}

/** Columns over consecutive days (or periods), drawn server-side as SVG with the same figures as a table. */
export function ColumnChart(props: ChartProps & { columns: { label: string; value: number }[] }) {
  const { columns } = props;
  if (columns.every((c) => c.value === 0)) return <p class="empty">{props.emptyText}</p>;
  const height = 240;
  const top = 20;
  const bottom = 40;
  const left = 50;
  const plot = height - top - bottom;
  const max = Math.max(...columns.map((c) => c.value));
  const step = (WIDTH - left - 10) / columns.length;
  const labelEvery = Math.max(1, Math.ceil(columns.length / 8));
  const summary = columns
    .filter((c) => c.value > 0)
    .map((c) => `${c.label}: ${c.value}`)
    .join("; ");
  return (
    <figure class="chart-figure">
      <figcaption>{props.title}</figcaption>
      <Figure id={props.id} title={props.title} summary={summary} height={height}>
        <line x1={left} y1={top + plot} x2={WIDTH - 10} y2={top + plot} class="chart-axis" />
        <text x={left - 6} y={top + 4} text-anchor="end">
          {String(max)}
        </text>
        <text x={left - 6} y={top + plot} text-anchor="end">
          0
        </text>
        {columns.map((column, i) => {
          const h = round(scaled(column.value, max, plot));
          const x = round(left + i * step + step * 0.15);
          return (
            <g>
              <rect x={x} y={round(top + plot - h)} width={round(step * 0.7)} height={h} class="chart-bar">
                <title>{`${column.label}: ${column.value}`}</title>
              </rect>
              {i % labelEvery === 0 ? (
                <text x={round(x + step * 0.35)} y={height - bottom + 18} text-anchor="middle" class="chart-tick">
                  {column.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </Figure>
      <DataTable
        dataLabel={props.dataLabel}
        rows={columns.filter((c) => c.value > 0).map((c) => [c.label, String(c.value)])}
      />
    </figure>
  );
}
