import type { Context } from "hono";
import { SluiceError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { statusOf } from "../../lib/problem.js";
import type { ConsoleEnv } from "./env.js";
import { translator } from "./i18n.js";
import type { PageContext } from "./layout.js";
import { ErrorPage } from "./pages/error.js";

/** The page context of a request: its language, its path, and the signed-in viewer when there is one. */
export function pageOf(c: Context<ConsoleEnv>): PageContext {
  const lang = c.get("lang");
  const url = new URL(c.req.url);
  url.searchParams.delete("lang");
  const session = c.get("session");
  const participant = c.get("participant");
  return {
    lang,
    t: translator(lang),
    path: url.pathname,
    search: url.search,
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

/** Renders an error page with the status the error carries (a SluiceError's own, or 500 with no internals). */
export function errorPage(c: Context<ConsoleEnv>, error: unknown, logger: Logger) {
  const page = pageOf(c);
  if (error instanceof SluiceError) {
    return c.html(<ErrorPage page={page} message={error.message} />, statusOf(error));
  }
  logger.error({ path: c.req.path, err: error }, "console page failed");
  return c.html(<ErrorPage page={page} message={page.t("error.title")} />, 500);
}
