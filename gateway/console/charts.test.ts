import { describe, expect, it } from "vitest";
import { BarChart, ColumnChart } from "./charts.js";

const common = { id: "c", title: "Revenue <split>", dataLabel: "Data", emptyText: "Nothing yet" };
const render = (node: unknown) => String(node);
const widths = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`width="([0-9.]+)" height="[0-9.]+" class="${cls}"`, "g"))].map((m) => Number(m[1]));

describe("server-side SVG charts", () => {
  it("draws bars in proportion to their values, with a title, a description and a data table", () => {
    const svg = render(
      BarChart({
        ...common,
        bars: [
          { label: "Tax bureau", value: 225, display: "¥2.25" },
          { label: "Platform", value: 50, display: "¥0.50" },
        ],
      }),
    );
    const [big, small] = widths(svg, "chart-bar");
    expect(big).toBeGreaterThan(0);
    expect(small).toBeCloseTo(((big as number) * 50) / 225, 0);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="c-title c-desc"');
    expect(svg).toContain('<desc id="c-desc">Tax bureau: ¥2.25; Platform: ¥0.50</desc>');
    expect(svg).toContain('<th scope="row">Platform</th><td>¥0.50</td>');
  });

  it("draws a share of a whole against a track of the whole", () => {
    const svg = render(
      BarChart({ ...common, bars: [{ label: "Scenario", value: 1, display: "ε 1", of: 4, ofDisplay: "4" }] }),
    );
    const [track] = widths(svg, "chart-track");
    const [bar] = widths(svg, "chart-bar");
    expect(bar).toBeCloseTo((track as number) / 4, 0);
    expect(svg).toContain("ε 1 / 4");
  });

  it("escapes what it is given: a label cannot inject markup", () => {
    const svg = render(BarChart({ ...common, bars: [{ label: "<script>x</script>", value: 1, display: "1" }] }));
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toContain("Revenue &lt;split&gt;");
  });

  it("says so instead of drawing an empty chart", () => {
    expect(render(BarChart({ ...common, bars: [] }))).toBe('<p class="empty">Nothing yet</p>');
    expect(render(ColumnChart({ ...common, columns: [{ label: "2026-11-01", value: 0 }] }))).toBe(
      '<p class="empty">Nothing yet</p>',
    );
  });

  it("draws one column a day, the highest reaching the top, and lists only days with use", () => {
    const svg = render(
      ColumnChart({
        ...common,
        columns: [
          { label: "2026-11-01", value: 4 },
          { label: "2026-11-02", value: 0 },
          { label: "2026-11-03", value: 2 },
        ],
      }),
    );
    const heights = [...svg.matchAll(/height="([0-9.]+)" class="chart-bar"/g)].map((m) => Number(m[1]));
    expect(heights).toEqual([180, 0, 90]);
    expect(svg).toContain('<th scope="row">2026-11-03</th><td>2</td>');
    expect(svg).not.toContain('<th scope="row">2026-11-02</th>');
  });
});
