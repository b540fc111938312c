import type { Hono } from "hono";
import { signInMessage } from "../../gateway/console/sign-in.js";
import { signBytes } from "../../lib/ed25519.js";
import type { KeyFile } from "../../lib/key-file.js";

export const CONSOLE_ORIGIN = "http://gateway.test";

export const challengeOf = (html: string) => /name="challenge" value="([^"]+)"/.exec(html)?.[1] ?? "";
export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

/** A browser's view of the console served in process: one cookie jar, requests from the console's origin. */
export function consoleVisitor(app: Pick<Hono, "request">, origin = CONSOLE_ORIGIN) {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = (pair ?? "").split("=");
      if (!name) continue;
      if (!value || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  const visitor = {
    jar,
    async get(path: string) {
      const response = keep(await app.request(`${origin}${path}`, { headers: { cookie: cookieHeader() } }));
      return { response, status: response.status, html: await response.text() };
    },
    async post(path: string, form: Record<string, string>, headers: Record<string, string> = { origin }) {
      const response = keep(
        await app.request(`${origin}${path}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(), ...headers },
          body: new URLSearchParams(form).toString(),
        }),
      );
      return { response, status: response.status, html: await response.text() };
    },
    /** Signs in as a browser would: the challenge from the page, signed over the console's origin. */
    async signIn(key: KeyFile, signedOrigin = origin) {
      const challenge = challengeOf((await visitor.get("/console/sign-in")).html);
      const signature = signBytes(key.privateKeyPem, signInMessage(challenge, signedOrigin, key.id));
      return visitor.post("/console/sign-in", { challenge, participantId: key.id, signature });
    },
    /** The CSRF token of a signed-in page. */
    async csrf(path = "/console") {
      const page = await visitor.get(path);
      const location = page.response.headers.get("location");
      return csrfOf(location ? (await visitor.get(location)).html : page.html);
    },
  };
  return visitor;
}
