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
  return parseWith(schema, raw, "the request body");
}
