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
