import {
  type Dictionary,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
} from "structured-headers";
import { AuthenticationError } from "../errors.js";
import { componentLines, type HeaderSource, type SignedRequest } from "./components.js";

/** One signature a request carries: its label, what it covers, its parameters and its bytes. */
export interface MessageSignature {
  label: string;
  components: Item[];
  params: Parameters;
  /** The signature's bytes, absent when Signature has no member of this label. */
  signature?: Uint8Array;
}

const malformed = (detail: string) => new AuthenticationError("signature_malformed", detail);

function parseField(headers: HeaderSource, name: "Signature-Input" | "Signature"): Dictionary | undefined {
  const value = headers.get(name.toLowerCase());
  if (value === null || value === undefined) return undefined;
  try {
    return parseDictionary(value);
  } catch (error) {
    throw malformed(`${name} is not a structured-field dictionary (RFC 8941): ${(error as Error).message}`);
  }
}

function coveredComponents(label: string, list: Item[]): Item[] {
  const seen = new Set<string>();
  for (const component of list) {
    if (typeof component[0] !== "string") throw malformed(`signature ${label} covers a component that is not a string`);
    const identifier = serializeItem(component);
    if (seen.has(identifier)) throw malformed(`signature ${label} covers ${identifier} twice`);
    seen.add(identifier);
  }
  return list;
}

/**
 * Every signature of a request (RFC 9421 §4): the members of Signature-Input, each with the bytes
 * of Signature's member of the same label. Whitespace, labels and parameter order are the
 * sender's; the result keeps their order.
 */
export function readMessageSignatures(headers: HeaderSource): MessageSignature[] {
  const inputs = parseField(headers, "Signature-Input");
  if (!inputs) return [];
  const signatures = parseField(headers, "Signature") ?? new Map();
  const result: MessageSignature[] = [];
  for (const [label, member] of inputs) {
    if (!Array.isArray(member[0])) throw malformed(`Signature-Input member ${label} is not an inner list`);
    const [list, params] = member as InnerList;
    const bytes = signatures.get(label)?.[0];
    if (bytes !== undefined && !(bytes instanceof ArrayBuffer))
      throw malformed(`Signature member ${label} is not a byte sequence (:base64:)`);
    result.push({
      label,
      components: coveredComponents(label, list),
      params,
      signature: bytes && new Uint8Array(bytes),
    });
  }
  return result;
}

/** The serialised `@signature-params` value: the covered components and parameters, in their order. */
export function signatureParamsValue(signature: Pick<MessageSignature, "components" | "params">): string {
  return serializeInnerList([signature.components, signature.params]);
}

/** RFC 9421 §2.5: one line per covered component, then the @signature-params line. */
export function signatureBase(
  request: SignedRequest,
  signature: Pick<MessageSignature, "components" | "params">,
): string {
  const lines = signature.components.flatMap((component) => componentLines(request, component));
  lines.push(`"@signature-params": ${signatureParamsValue(signature)}`);
  return lines.join("\n");
}

/** The Signature-Input and Signature headers of one signature. */
export function signatureHeaders(
  label: string,
  signature: Pick<MessageSignature, "components" | "params">,
  bytes: Uint8Array,
) {
  const input: Dictionary = new Map([[label, [signature.components, signature.params]]]);
  const value: Dictionary = new Map([[label, [toArrayBuffer(bytes), new Map()]]]);
  return { "signature-input": serializeDictionary(input), signature: serializeDictionary(value) };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A component identifier with no parameters, as `[name, params]`. */
export const bareComponent = (name: string): Item => [name, new Map()];
