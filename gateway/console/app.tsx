import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { verifyBytes } from "../../lib/ed25519.js";
import type { Logger } from "../../lib/logger.js";
import type { AuthState } from "../auth/auth-state.js";
import { clientAddress } from "../client-address.js";
import type { GatewayDeps } from "../deps.js";
import { createAssetServer } from "./assets.js";
import type { ConsoleEnv, ConsoleOptions } from "./env.js";
import { DEFAULT_LANGUAGE, isLanguage, type Language } from "./i18n.js";
import { NAVIGATION } from "./layout.js";
import { errorPage, pageOf, refuse } from "./page-context.js";
import { SignInPage } from "./pages/sign-in.js";
import { createAssetPages } from "./routes/assets.js";
import { createOperatorPages } from "./routes/operator.js";
import { createOwnerPages } from "./routes/owner.js";
import { createRegulatorPages } from "./routes/regulator.js";
import { CONSOLE_SESSION_TTL_MS, ConsoleSessions, sameToken } from "./sessions.js";
import {
  expectedOrigin,
  LANGUAGE_COOKIE,
  postIsSameOrigin,
  SESSION_COOKIE,
  signInFormSchema,
  signInMessage,
} from "./sign-in.js";

/** The largest form the console reads: a reason of 2,000 characters, percent-encoded, fits with room. */
export const CONSOLE_MAX_FORM_BYTES = 64 * 1024;

// Scripts, styles and forms only from the console itself; never framed.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The web console for data owners, regulators and operators, under /console: server-rendered pages,
 * signed in with the participant's own key (signed in the browser), a short session cookie, and a
 * CSRF token on every form.
 */
export function createConsole(deps: GatewayDeps & { logger: Logger; auth: AuthState }, options: ConsoleOptions = {}) {
  const sessions = new ConsoleSessions(deps.db, { now: () => (deps.now?.() ?? new Date()).getTime() });
  const app = new Hono<ConsoleEnv>();
  const originOf = (c: Context) => expectedOrigin(c, options.publicOrigin);
  const secure = (c: Context) => originOf(c).startsWith("https:");

  app.use("*", async (c, next) => {
    const asked = c.req.query("lang");
    let lang: Language = DEFAULT_LANGUAGE;
    if (isLanguage(asked)) {
      lang = asked;
      setCookie(c, LANGUAGE_COOKIE, asked, {
        path: "/console",
        sameSite: "Lax",
        httpOnly: true,
        secure: secure(c),
        maxAge: 365 * 86_400,
      });
    } else {
      const remembered = getCookie(c, LANGUAGE_COOKIE);
      if (isLanguage(remembered)) lang = remembered;
    }
    c.set("lang", lang);
    await next();
    c.header("content-security-policy", CONTENT_SECURITY_POLICY);
    c.header("x-content-type-options", "nosniff");
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
    c.header("referrer-policy", "same-origin");
    c.header("x-frame-options", "DENY");
    if (!c.req.path.startsWith("/console/assets/")) c.header("cache-control", "no-store");
  });
  app.onError((error, c) => errorPage(c, error, deps.logger));
  app.notFound((c) => refuse(c, "error.notFound", 404));

  // Forms are small and URL-encoded; anything else is refused before it is read, and a body is never
  // read past the limit (a chunked one included).
  const formLimit = bodyLimit({
    maxSize: CONSOLE_MAX_FORM_BYTES,
    onError: (c) => refuse(c, "error.tooLarge", 413),
  });
  app.use("*", async (c, next) => {
    if (c.req.method !== "POST") return next();
    if (!(c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
      return refuse(c, "error.notAForm", 415);
    }
    return formLimit(c, next);
  });

  const serveAsset = createAssetServer();
  app.get("/console/assets/:name", (c) => serveAsset(c, c.req.param("name")));

  const signInPage = async (c: Context<ConsoleEnv>, error?: string, status: 200 | 400 | 403 = 200) =>
    c.html(
      <SignInPage page={pageOf(c)} challenge={await sessions.issueChallenge(clientAddress(c))} error={error} />,
      status,
    );
  app.get("/console/sign-in", (c) => signInPage(c));
  app.post("/console/sign-in", async (c) => {
    if (!postIsSameOrigin(c, originOf(c))) return signInPage(c, pageOf(c).t("error.csrf"), 403);
    const form = signInFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return signInPage(c, form.error.issues.map((i) => i.message).join("; "), 400);
    const { challenge, participantId, signature } = form.data;
    if (!(await sessions.takeChallenge(challenge))) {
      return signInPage(c, pageOf(c).t("signIn.challengeUsed"), 400);
    }
    const participant = await deps.auth.participants.get(participantId);
    const valid =
      participant?.status === "active" &&
      verifyBytes(participant.publicKey, signInMessage(challenge, originOf(c), participantId), signature);
    if (!participant || !valid) {
      return signInPage(c, pageOf(c).t("signIn.notAdmitted"), 403);
    }
    const session = await sessions.open(participant.id, participant.publicKey);
    setCookie(c, SESSION_COOKIE, session.id, {
      path: "/console",
      httpOnly: true,
      sameSite: "Strict",
      secure: secure(c),
      maxAge: CONSOLE_SESSION_TTL_MS / 1000,
    });
    return c.redirect("/console", 303);
  });

  // Every other page needs a live session of a participant still admitted with the same key, and
  // every form post its session's CSRF token.
  app.use("*", async (c, next) => {
    const session = await sessions.get(getCookie(c, SESSION_COOKIE) ?? "");
    // Through the gateway's participant cache, which forgets a revocation or a key rotation at once.
    const participant = session ? await deps.auth.participants.get(session.participantId) : undefined;
    if (!session || participant?.status !== "active" || participant.publicKey !== session.publicKey) {
      if (session) await sessions.close(session.id);
      deleteCookie(c, SESSION_COOKIE, { path: "/console" });
      return c.redirect("/console/sign-in", 303);
    }
    c.set("session", session);
    c.set("participant", participant);
    if (c.req.method === "POST") {
      const body = await c.req.parseBody();
      const token = typeof body.csrf === "string" ? body.csrf : "";
      if (!postIsSameOrigin(c, originOf(c)) || !sameToken(session.csrfToken, token)) {
        return refuse(c, "error.csrf", 403);
      }
    }
    return next();
  });

  app.get("/console", (c) => {
    const home = NAVIGATION[c.get("participant").role]?.[0]?.href;
    if (home) return c.redirect(home, 303);
    return refuse(c, "error.forbidden", 403);
  });
  app.post("/console/sign-out", async (c) => {
    await sessions.close(c.get("session").id);
    deleteCookie(c, SESSION_COOKIE, { path: "/console" });
    return c.redirect("/console/sign-in", 303);
  });

  app.route("/", createOwnerPages(deps));
  app.route("/", createRegulatorPages(deps));
  app.route("/", createAssetPages(deps));
  app.route("/", createOperatorPages(deps));
  return app;
}
