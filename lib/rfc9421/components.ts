import { type InnerList, type Item, parseDictionary, serializeInnerList, serializeItem } from "structured-headers";
import { AuthenticationError } from "../errors.js";

/** The headers a verifier reads; a Fetch `Headers` or anything with the same `get`. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/** The parts of a request a signature can cover. */
export interface SignedRequest {
  method: string;
  url: URL;
  headers: HeaderSource;
}

const malformed = (detail: string) => new AuthenticationError("signature_malformed", detail);

// RFC 9421 §2.2: the derived components a request has (@status belongs to responses).
const DERIVED: Record<string, (request: SignedRequest) => string> = {
  "@method": (r) => r.method.toUpperCase(),
  "@target-uri": (r) => r.url.href,
  "@authority": (r) => r.url.host,
  "@scheme": (r) => r.url.protocol.slice(0, -1),
  "@request-target": (r) => `${r.url.pathname}${r.url.search}`,
  "@path": (r) => r.url.pathname || "/",
  "@query": (r) => r.url.search || "?", // §2.2.7: an empty query is "?"
};

// RFC 9421 §2.2.8: names and values are re-encoded with the application/x-www-form-urlencoded
// percent-encode set, spaces as %20.
function encodeQueryPart(text: string): string {
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9*\-._]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

function queryParamValues(request: SignedRequest, name: unknown): string[] {
  if (typeof name !== "string") throw malformed('"@query-param" needs a string name parameter');
  const values = [...request.url.searchParams]
    .filter(([key]) => encodeQueryPart(key) === name)
    .map(([, value]) => encodeQueryPart(value));
  if (values.length === 0) throw malformed(`the signature covers query parameter ${name}, which the request lacks`);
  return values;
}

function derivedValues(request: SignedRequest, [name, params]: Item): string[] {
  const allowed = name === "@query-param" ? ["name"] : [];
  const unsupported = [...params.keys()].find((key) => !allowed.includes(key));
  if (unsupported) throw malformed(`component parameter ${unsupported} on "${name}" is not supported`);
  if (name === "@query-param") return queryParamValues(request, params.get("name"));
  const derive = DERIVED[name as string];
  if (!derive) throw malformed(`"${String(name)}" is not a derived component of a request (RFC 9421 §2.2)`);
  return [derive(request)];
}

// RFC 9421 §2.1.2: the named member of a Dictionary field, re-serialised.
function dictionaryMember(field: string, value: string, key: unknown): string {
  if (typeof key !== "string") throw malformed(`the key parameter on "${field}" must be a string`);
  let member: Item | InnerList | undefined;
  try {
    member = parseDictionary(value).get(key);
  } catch {
    throw malformed(`the signature covers "${field}";key, but ${field} is not a structured-field dictionary`);
  }
  if (!member) throw malformed(`the signature covers member ${key} of ${field}, which it lacks`);
  return Array.isArray(member[0]) ? serializeInnerList(member as InnerList) : serializeItem(member as Item);
}

// RFC 9421 §2.1: the field's lines joined with ", ", each trimmed; Fetch Headers joins them already.
function fieldValue(request: SignedRequest, [name, params]: Item): string {
  const field = name as string;
  if (field !== field.toLowerCase()) throw malformed(`component "${field}" must be lowercase (RFC 9421 §2.1)`);
  const unsupported = [...params.keys()].find((key) => key !== "key");
  if (unsupported) throw malformed(`component parameter ${unsupported} on "${field}" is not supported`);
  const raw = request.headers.get(field);
  if (raw === null || raw === undefined)
    throw malformed(`the signature covers ${field}, which the request does not carry`);
  const value = raw.trim();
  return params.has("key") ? dictionaryMember(field, value, params.get("key")) : value;
}

/**
 * The signature base lines (RFC 9421 §2.5) of one covered component, one per value: a query
 * parameter given twice makes two lines. Throws naming a component the request cannot supply.
 */
export function componentLines(request: SignedRequest, component: Item): string[] {
  const [name] = component;
  if (typeof name !== "string") throw malformed("a covered component must be a string");
  if (name === "@signature-params") throw malformed('"@signature-params" cannot be a covered component');
  const identifier = serializeItem(component);
  const values = name.startsWith("@") ? derivedValues(request, component) : [fieldValue(request, component)];
  return values.map((value) => `${identifier}: ${value}`);
}
