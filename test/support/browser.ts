import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (.ci/run installs it with apt-get); a browser is never downloaded. */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where screenshots go: SLUICE_TEST_ARTIFACTS, or test-results/ in the checkout (ignored by git). */
export function artifactDirectory(name: string): string {
  const dir = path.join(process.env.SLUICE_TEST_ARTIFACTS ?? path.join(root, "test-results"), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set SLUICE_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AccessibilityViolation {
  rule: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * The page's WCAG 2.1 A and AA violations found by axe-core (labels, names, contrast, landmarks,
 * language, ARIA), run in the page itself; none on an accessible page.
 */
export async function accessibilityViolations(page: Page): Promise<AccessibilityViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return (await page.evaluate(`axe
    .run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
    .then((result) => result.violations.map((v) => ({
      rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")),
    })))`)) as AccessibilityViolation[];
}

// axe-core's rules for a form control or button without an accessible name.
const NAMING_RULES = new Set(["label", "button-name", "select-name", "input-button-name"]);

/** The page's form controls and buttons that have no accessible name (none, on an accessible page). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return (await accessibilityViolations(page)).filter((v) => NAMING_RULES.has(v.rule)).flatMap((v) => v.targets);
}

/**
 * What is wrong with the page's layout at its current width, each named so a failure says where:
 * a table cell whose content overflows it; a time or an id (`time`, `code` in a cell) broken over
 * lines; a one-word name, status or heading (`.named`, `th`: a Chinese word has no spaces) broken
 * inside the word; a table narrower than its container while its text wraps (the page's width
 * unused); the page wider than the window.
 */
export async function layoutProblems(page: Page): Promise<string[]> {
  return (await page.evaluate(LAYOUT_CHECK)) as string[];
}

// Run in the page (the project's TypeScript has no DOM types): the checks layoutProblems names.
const LAYOUT_CHECK = `(() => {
  const problems = [];
  const label = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ' "' + (el.textContent || "").trim().slice(0, 40) + '"';
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  };
  for (const cell of document.querySelectorAll("main td, main th")) {
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push("overflows its cell: " + label(cell));
  }
  for (const whole of document.querySelectorAll("main td time, main td code:not(.reason), main td .named, main th")) {
    // A name of several words may wrap between them; one word (a Chinese one has no spaces) may not.
    const oneWord = !/\\s/.test((whole.textContent || "").trim());
    const mustBeWhole = whole.matches("time, code") || oneWord;
    const n = lines(whole);
    if (mustBeWhole && n > 1) problems.push("broken over " + n + " lines: " + label(whole));
  }
  for (const table of document.querySelectorAll("main table")) {
    const parent = table.parentElement;
    const style = getComputedStyle(parent);
    const container = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const width = table.getBoundingClientRect().width;
    const wraps = [...table.querySelectorAll("td")].some((td) => lines(td) > 1);
    if (wraps && width < container - 2) problems.push("a table wraps its text but leaves " + Math.round(container - width) + " px unused: " + label(table));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
  return problems;
})()`;
