import { importKeyFile, signRequestHeaders } from "./signer.js";

let signer = null;
const status = document.getElementById("key-status");
const picker = document.getElementById("key-file");

picker.addEventListener("change", async () => {
  const file = picker.files?.[0];
  if (!file) return;
  try {
    signer = await importKeyFile(await file.text());
    status.textContent = `Signing as ${signer.keyId}. The key stays in this page.`;
  } catch (error) {
    signer = null;
    status.textContent = `Could not use that file: ${error.message}`;
  }
});

globalThis.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  tryItOutEnabled: false,
  requestInterceptor: async (request) => {
    if (!signer || new URL(request.url, location.href).pathname === "/openapi.json") return request;
    const headers = await signRequestHeaders({
      method: request.method,
      url: new URL(request.url, location.href).href,
      body: typeof request.body === "string" ? request.body : "",
      keyId: signer.keyId,
      privateKey: signer.privateKey,
    });
    Object.assign(request.headers, headers);
    return request;
  },
});
