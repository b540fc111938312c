import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SluiceError } from "../../lib/errors.js";

/** The Chromium the console prints PDFs with: SLUICE_CHROMIUM, else Debian's. */
export const chromiumPath = (): string => process.env.SLUICE_CHROMIUM || "/usr/bin/chromium";

const PRINT_TIMEOUT_MS = 60_000;

/**
 * An HTML document printed to PDF by headless Chromium (its own --print-to-pdf), in a scratch
 * directory removed afterwards; the page is a local file and the browser is kept off the network.
 */
export async function printPdf(html: string): Promise<Buffer> {
  const chromium = chromiumPath();
  if (!existsSync(chromium)) {
    throw new SluiceError(
      "unavailable",
      `printing a PDF needs Chromium, which is not at ${chromium} (install Debian's chromium or set SLUICE_CHROMIUM); the HTML report can be downloaded and printed instead`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-pdf-"));
  try {
    const page = path.join(dir, "report.html");
    const pdf = path.join(dir, "report.pdf");
    await writeFile(page, html);
    await new Promise<void>((resolve, reject) => {
      execFile(
        chromium,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--no-pdf-header-footer",
          `--user-data-dir=${path.join(dir, "profile")}`,
          `--print-to-pdf=${pdf}`,
          `file://${page}`,
        ],
        { timeout: PRINT_TIMEOUT_MS },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    const bytes = await readFile(pdf);
    if (bytes.subarray(0, 5).toString("latin1") !== "%PDF-") throw new Error("Chromium wrote no PDF");
    return bytes;
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new SluiceError("unavailable", `Chromium could not print the report: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
