/** PostgreSQL's SQLSTATE for an error raised by either driver (drizzle wraps it in `cause`), if any. */
export function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** SQLSTATEs Sluice acts on (PostgreSQL, Appendix A). */
export const UNIQUE_VIOLATION = "23505";
export const EXCLUSION_VIOLATION = "23P01";
