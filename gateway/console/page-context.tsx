import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { statusOf } from "../../lib/problem.js";
import { configuredTimeZone, isTimeZone } from "../../lib/time-zone.js";
import type { ConsoleEnv } from "./env.js";
import { type MessageKey, translator } from "./i18n.js";
import type { PageContext } from "./layout.js";
import { ErrorPage } from "./pages/error.js";

const TIME_ZONE_COOKIE = "sluice_tz";

/**
 * The zone a viewer is shown times in: one chosen with `?tz=` (kept in a cookie for the pages
 * after), else the platform's SLUICE_TIME_ZONE, else Asia/Shanghai. A zone the runtime does not
 * know is ignored.
 */
function viewerTimeZone(c: Context<ConsoleEnv>): string {
  const asked = c.req.query("tz");
  if (asked && isTimeZone(asked)) {
    setCookie(c, TIME_ZONE_COOKIE, asked, { path: "/console", sameSite: "Lax", httpOnly: true, maxAge: 31_536_000 });
    return asked;
  }
  const kept = getCookie(c, TIME_ZONE_COOKIE);
  return kept && isTimeZone(kept) ? kept : configuredTimeZone();
}

/** The page context of a request: its language, its path, and the signed-in viewer when there is one. */
export function pageOf(c: Context<ConsoleEnv>): PageContext {
  const lang = c.get("lang");
  const url = new URL(c.req.url);
  url.searchParams.delete("lang");
  url.searchParams.delete("tz");
  const session = c.get("session");
  const participant = c.get("participant");
  return {
    lang,
    t: translator(lang),
    path: url.pathname,
    search: url.search,
    timeZone: viewerTimeZone(c),
    ...(session && participant
      ? {
          viewer: {
            id: participant.id,
            name: participant.name,
            role: participant.role,
            csrfToken: session.csrfToken,
          },
        }
      : {}),
  };
}

// The refusals a console user meets, said in the page's language; the gateway's own words follow.
const REFUSALS: Record<string, MessageKey> = {
  approval_signature_invalid: "refusal.approvalSignature",
  conflict: "refusal.conflict",
  forbidden: "refusal.forbidden",
  not_found: "refusal.notFound",
};

/** What a refused action's error says, in the page's language where the console knows the refusal. */
export function explain(page: PageContext, error: SluiceError): string {
  const known = REFUSALS[error.code];
  return known ? `${page.t(known)} (${error.message})` : error.message;
}

/** An error page saying, in the page's language, why the request was refused. */
export function refuse(c: Context<ConsoleEnv>, message: MessageKey, status: ContentfulStatusCode) {
  const page = pageOf(c);
  return c.html(<ErrorPage page={page} message={page.t(message)} />, status);
}

/** A refusal page with its own title and its explanation in lines. */
export function refusePage(c: Context<ConsoleEnv>, title: string, lines: string[], status: ContentfulStatusCode) {
  const page = pageOf(c);
  return c.html(<ErrorPage page={page} title={title} message={lines[0] ?? ""} more={lines.slice(1)} />, status);
}

/** Renders an error page with the status the error carries (a SluiceError's own, or 500 with no internals). */
export function errorPage(c: Context<ConsoleEnv>, error: unknown, logger: Logger) {
  const page = pageOf(c);
  if (error instanceof SluiceError) {
    return c.html(<ErrorPage page={page} message={explain(page, error)} />, statusOf(error));
  }
  logger.error({ path: c.req.path, err: error }, "console page failed");
  return c.html(<ErrorPage page={page} message={page.t("error.title")} />, 500);
}
