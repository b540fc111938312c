// The console's progressive JavaScript: sign-in and approvals are signed here with WebCrypto
// Ed25519; the key file is read in the page and its private key never leaves the browser.
import { forgetKeys, rememberedKey, rememberKey } from "/console/assets/key-store.js";
import { importKeyFile } from "/console/assets/signer.js";

const encoder = new TextEncoder();

function base64url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const sign = async (privateKey, text) =>
  base64url(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, encoder.encode(text)));

class ShownError extends Error {}

// The messages are the page's own, in its language (data-msg-* on each form).
async function signerFromFile(input, form) {
  const file = input.files?.[0];
  if (!file) return undefined;
  try {
    return await importKeyFile(await file.text());
  } catch {
    throw new ShownError(form.dataset.msgBadFile);
  }
}

// The same text as signInMessage in gateway/console/sign-in.ts: RFC 8785 canonical JSON, whose
// keys here are already in order and whose strings JSON.stringify writes as RFC 8785 does.
const signInMessage = (challenge, origin, participantId) =>
  JSON.stringify({ challenge, kind: "sluice/console-sign-in", origin, participantId });

function say(status, text) {
  if (status) status.textContent = text;
}

// Whoever sees the sign-in page has no session (it ended or expired): a key this browser still
// holds from it is forgotten, so it does not outlive the session on a shared computer.
if (document.querySelector("form[data-sign-in]")) forgetKeys().catch(() => undefined);

for (const form of document.querySelectorAll("form[data-sign-in]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector("output");
    try {
      const signer = await signerFromFile(form.querySelector("input[type=file]"), form);
      if (!signer) throw new ShownError(form.dataset.msgNoFile);
      form.elements.participantId.value = signer.keyId;
      form.elements.signature.value = await sign(
        signer.privateKey,
        signInMessage(form.elements.challenge.value, location.origin, signer.keyId),
      );
      await rememberKey(signer);
      form.submit();
    } catch (error) {
      say(status, error.message);
    }
  });
}

for (const form of document.querySelectorAll("form[data-approve]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector("output");
    const ownerId = form.dataset.ownerId;
    try {
      const chosen = await signerFromFile(form.querySelector("input[type=file]"), form);
      if (chosen && chosen.keyId !== ownerId) throw new ShownError(form.dataset.msgWrongKey);
      const privateKey = chosen?.privateKey ?? (await rememberedKey(ownerId));
      if (!privateKey) {
        form.querySelector("details")?.setAttribute("open", "");
        throw new ShownError(form.dataset.msgNoKey);
      }
      form.elements.signature.value = await sign(privateKey, form.dataset.approvalMessage);
      form.submit();
    } catch (error) {
      say(status, error.message);
    }
  });
}

// A chosen file's name shows beside the page's own "choose" label.
for (const input of document.querySelectorAll("input.file-input")) {
  const name = input.parentElement?.querySelector(".file-name");
  const none = name?.textContent ?? "";
  input.addEventListener("change", () => say(name, input.files?.[0]?.name ?? none));
}

for (const form of document.querySelectorAll("form.sign-out")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await forgetKeys().catch(() => undefined);
    form.submit();
  });
}
