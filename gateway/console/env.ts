import type { Participant } from "../../store/index.js";
import type { Language } from "./i18n.js";
import type { ConsoleSession } from "./sessions.js";

export interface ConsoleEnv {
  Variables: {
    lang: Language;
    /** Present on every page but the sign-in page and the assets. */
    session: ConsoleSession;
    participant: Participant;
  };
}

/** How the console is reached and keeps its sessions. */
export interface ConsoleOptions {
  /**
   * The origin browsers reach the console at (e.g. https://sluice.example.gov.cn), when a proxy
   * stands in front of the gateway: sign-in signatures are bound to it, form posts must come from
   * it, and an https origin makes the session cookie Secure. Absent: each request's own origin.
   */
  publicOrigin?: string;
}
