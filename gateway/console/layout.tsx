import type { Child } from "hono/jsx";
import { zoneOffset } from "../../lib/time-zone.js";
import type { ParticipantRole } from "../../store/index.js";
import type { Language, MessageKey, Translate } from "./i18n.js";
import { word } from "./i18n.js";

/** What every console page knows about its request. */
export interface PageContext {
  lang: Language;
  t: Translate;
  /** The path asked for, to mark the current page and to switch language in place. */
  path: string;
  /** The search part of the request (without lang), kept when switching language. */
  search: string;
  /** The IANA zone the viewer is shown times in. */
  timeZone: string;
  viewer?: { id: string; name: string; role: ParticipantRole; csrfToken: string };
}

const REGULATOR_PAGES: { href: string; label: MessageKey }[] = [
  { href: "/console/ledger", label: "nav.ledger" },
  { href: "/console/audit", label: "nav.audit" },
  { href: "/console/settlements", label: "nav.settlements" },
  { href: "/console/assets", label: "nav.assets" },
  { href: "/console/charts", label: "nav.charts" },
];

/** Each role's pages; the authority reads what regulators read. Sector departments have none. */
export const NAVIGATION: Partial<Record<ParticipantRole, { href: string; label: MessageKey }[]>> = {
  owner: [
    { href: "/console/owner/scenarios", label: "nav.ownerScenarios" },
    { href: "/console/owner/datasets", label: "nav.datasets" },
    { href: "/console/owner/usage", label: "nav.usage" },
    { href: "/console/assets", label: "nav.assets" },
  ],
  regulator: REGULATOR_PAGES,
  authority: REGULATOR_PAGES,
  operator: [
    { href: "/console/operator", label: "nav.grants" },
    { href: "/console/operator/jobs", label: "nav.jobs" },
  ],
};

/** The hidden field that carries the session's CSRF token: every form of a signed-in page has one. */
export function CsrfField({ page }: { page: PageContext }) {
  return <input type="hidden" name="csrf" value={page.viewer?.csrfToken ?? ""} />;
}

export function Notice({ kind, children }: { kind: "ok" | "error"; children: Child }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

function languageHref(page: PageContext): string {
  const params = new URLSearchParams(page.search);
  params.set("lang", page.t("lang.other"));
  return `${page.path}?${params.toString()}`;
}

/** The page around every console view: skip link, header, navigation for the viewer's role, language switch. */
export function Layout({ page, title, children }: { page: PageContext; title: string; children: Child }) {
  const { t, viewer } = page;
  const nav = viewer ? (NAVIGATION[viewer.role] ?? []) : [];
  return (
    <html lang={page.lang === "zh" ? "zh-CN" : "en"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t("app.name")}`}</title>
        <link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script type="module" src="/console/assets/console.js" />
      </head>
      <body>
        <a class="skip" href="#main">
          {t("nav.skip")}
        </a>
        <header class="top">
          <span class="brand">
            {t("app.name")} · {t("app.console")}
          </span>
          <span class="zone" title={page.timeZone}>
            {t("time.zone")}: {page.timeZone} (UTC{zoneOffset(new Date(), page.timeZone)})
          </span>
          <a class="lang" href={languageHref(page)} lang={page.lang === "zh" ? "en" : "zh-CN"}>
            {t("lang.switch")}
          </a>
          {viewer ? (
            <form method="post" action="/console/sign-out" class="sign-out">
              <span>
                {t("signIn.signedInAs")}: {viewer.name} ({word(page.lang, "role", viewer.role)})
              </span>
              <CsrfField page={page} />
              <button type="submit">{t("signOut")}</button>
            </form>
          ) : null}
        </header>
        {nav.length ? (
          <nav aria-label={t("nav.label")}>
            <ul>
              {nav.map((item) => (
                <li>
                  <a href={item.href} aria-current={page.path === item.href ? "page" : undefined}>
                    {t(item.label)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/**
 * A file input in the page's language: the browser's own button speaks the browser's language
 * ("Choose File"), so it is hidden (still focusable) behind a label that speaks the page's. The file
 * is read by the page and never sent, so the input has no name.
 */
export function FilePicker({ page, id, accept }: { page: PageContext; id: string; accept: string }) {
  return (
    <span class="file-picker">
      <input id={id} class="file-input" type="file" accept={accept} />
      <label for={id} class="button file-choose" aria-hidden="true">
        {page.t("file.choose")}
      </label>
      <span class="file-name" aria-live="polite">
        {page.t("file.none")}
      </span>
    </span>
  );
}

/** A table with its column headers (scoped to their columns); the rows are its children. */
export function Table(props: { columns: Child[]; caption?: string; class?: string; foot?: Child; children: Child }) {
  return (
    <table class={props.class}>
      {props.caption ? <caption>{props.caption}</caption> : null}
      <thead>
        <tr>
          {props.columns.map((column) => (
            <th scope="col">{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
      {props.foot ? <tfoot>{props.foot}</tfoot> : null}
    </table>
  );
}
