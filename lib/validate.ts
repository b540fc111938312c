import type { Context } from "hono";
import type { z } from "zod";
import { SluiceError, ValidationError } from "./errors.js";

/** Parses a value with a zod schema, turning failures into a ValidationError that names each bad path. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join(".") : "(root)",
    message: issue.message,
  }));
  const first = issues[0];
  throw new ValidationError(`${what} is invalid: ${first?.path}: ${first?.message}`, issues, { cause: result.error });
}

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The path of the first string in a JSON value that PostgreSQL could not store or that is not
 * text: one holding U+0000 (NUL), or an unpaired UTF-16 surrogate (a half of an emoji, say).
 */
export function unstorableStringPath(value: unknown, path = "(root)"): string | null {
  if (typeof value === "string") return value.includes("\0") || LONE_SURROGATE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableStringPath(value[i], path === "(root)" ? String(i) : `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const at = path === "(root)" ? key : `${path}.${key}`;
      const found = unstorableStringPath(key, at) ?? unstorableStringPath(inner, at);
      if (found) return found;
    }
  }
  return null;
}

/** Reads a JSON request body and validates it. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/.test(type)) {
    throw new SluiceError(
      "unsupported_media_type",
      `the body must be application/json, got ${type || "no content-type"}`,
    );
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (cause) {
    throw new SluiceError("malformed_json", "the body is not valid JSON", { cause });
  }
  const unstorable = unstorableStringPath(raw);
  if (unstorable) {
    throw new ValidationError(
      `the request body is invalid: ${unstorable}: text may not hold a NUL character (U+0000) or an unpaired surrogate`,
      [{ path: unstorable, message: "remove the NUL character or the unpaired surrogate" }],
    );
  }
  return parseWith(schema, raw, "the request body");
}
