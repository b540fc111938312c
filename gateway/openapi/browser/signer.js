// RFC 9421 request signing with WebCrypto Ed25519, the same signature base as lib/http-signature.ts.
// Runs in the browser (the /docs page) and in Node (its test); the private key never leaves the page.

const COVERED = ["@method", "@path", "@query", "content-digest"];

function toBase64(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function pemToDer(pem) {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

/** Reads a Sluice key file's JSON text into a signer: its id and a non-extractable private key. */
export async function importKeyFile(text) {
  const key = JSON.parse(text);
  if (typeof key.id !== "string" || typeof key.privateKeyPem !== "string") {
    throw new Error("this is not a Sluice key file (it needs id and privateKeyPem)");
  }
  const privateKey = await crypto.subtle.importKey("pkcs8", pemToDer(key.privateKeyPem), { name: "Ed25519" }, false, [
    "sign",
  ]);
  return { keyId: key.id, privateKey };
}

/** The Content-Digest, Signature-Input and Signature headers for one request. */
export async function signRequestHeaders({ method, url, body = "", keyId, privateKey, created, nonce }) {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const digest = `sha-256=:${toBase64(await crypto.subtle.digest("SHA-256", bytes))}:`;
  const target = new URL(url);
  const when = created ?? Math.floor(Date.now() / 1000);
  const once =
    nonce ??
    toBase64(crypto.getRandomValues(new Uint8Array(16)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const params = `(${COVERED.map((c) => `"${c}"`).join(" ")});created=${when};keyid="${keyId}";nonce="${once}";alg="ed25519"`;
  const values = {
    "@method": method.toUpperCase(),
    "@path": target.pathname,
    "@query": target.search === "" ? "?" : target.search,
    "content-digest": digest,
  };
  const base = [...COVERED.map((c) => `"${c}": ${values[c]}`), `"@signature-params": ${params}`].join("\n");
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, privateKey, new TextEncoder().encode(base));
  return {
    "content-digest": digest,
    "signature-input": `sluice=${params}`,
    signature: `sluice=:${toBase64(signature)}:`,
  };
}
