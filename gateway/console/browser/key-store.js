// Keeps the signed-in participant's private key in this browser's IndexedDB as a non-extractable
// CryptoKey: pages can sign with it, no script can read its bytes, and signing out deletes it.

const DATABASE = "sluice-console";
const STORE = "keys";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

/** Remembers a signer ({ keyId, privateKey }) for this participant. */
export const rememberKey = (signer) => run("readwrite", (store) => store.put(signer.privateKey, signer.keyId));

/** The remembered private key of a participant, or undefined. */
export const rememberedKey = (keyId) => run("readonly", (store) => store.get(keyId));

/** Forgets every remembered key. */
export const forgetKeys = () => run("readwrite", (store) => store.clear());
