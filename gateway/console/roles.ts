import type { MiddlewareHandler } from "hono";
import type { ParticipantRole } from "../../store/index.js";
import type { ConsoleEnv } from "./env.js";
import { word } from "./i18n.js";
import { pageOf, refusePage } from "./page-context.js";

/**
 * Lets through only the roles a page is for; anyone else gets a 403 page that says whom the page is
 * for and where the viewer's own pages are (an operator reaching the ledger learns how to verify
 * its own records).
 */
export function onlyFor(...roles: ParticipantRole[]): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const role = c.get("participant").role;
    if (roles.includes(role)) return next();
    const page = pageOf(c);
    const whom = roles.map((r) => word(page.lang, "role", r)).join(page.lang === "zh" ? "和" : " and ");
    const lines = [
      page.t("error.pageIsFor").replace("{roles}", whom),
      page.t("error.yourPages").replace("{role}", word(page.lang, "role", role)),
    ];
    if (role === "operator" && roles.includes("regulator")) lines.push(page.t("error.operatorVerifies"));
    return refusePage(c, page.t("error.forbiddenTitle"), lines, 403);
  };
}
