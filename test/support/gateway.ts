import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ServerType } from "@hono/node-server";
import type { JsonRpcProvider } from "ethers";
import { createApp } from "../../gateway/app.js";
import { createAuthState } from "../../gateway/auth/auth-state.js";
import type { GatewayDeps } from "../../gateway/deps.js";
import { loadOrCreateGatewayKeys } from "../../gateway/keys.js";
import { listenGateway } from "../../gateway/listen.js";
import { insertParticipant } from "../../gateway/services/participants.js";
import {
  type AuthorisationRegistryClient,
  connectContracts,
  EMBEDDED_CHAIN_PRIVATE_KEY,
  type EmbeddedChain,
  type LedgerClient,
  startEmbeddedChain,
} from "../../ledger/index.js";
import { closeServer } from "../../lib/close-server.js";
import { createKeyFile, type KeyFile } from "../../lib/key-file.js";
import { createLogger } from "../../lib/logger.js";
import { createClient } from "../../sdk/index.js";
import type { Database } from "../../store/index.js";
import { assertDocumented } from "./conformance.js";

export interface TestGateway {
  app: ReturnType<typeof createApp>;
  deps: GatewayDeps;
  database: Database;
  ledger: LedgerClient;
  authorisationRegistry: AuthorisationRegistryClient;
  /** The embedded chain, for what a test reads of blocks and receipts. */
  chainProvider: JsonRpcProvider;
  authority: KeyFile;
  dataDir: string;
  /** Serves the app over real HTTP on a free loopback port. */
  listen(): Promise<string>;
  /** A signed client that calls the app in process (or over HTTP once listening). */
  client(key?: KeyFile, url?: string): ReturnType<typeof createClient>;
  stop(): Promise<void>;
}

/** A gateway on a fresh database and its own embedded chain, with the authority admitted. */
export async function startTestGateway(database: Database, overrides: Partial<GatewayDeps> = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "sluice-test-"));
  let chain: EmbeddedChain | undefined;
  let server: ServerType | undefined;
  try {
    chain = await startEmbeddedChain({ dataDir: path.join(dataDir, "chain") });
    const { ledger, participantRegistry, authorisationRegistry, settlement } = await connectContracts(
      database.db,
      chain.provider,
      EMBEDDED_CHAIN_PRIVATE_KEY,
    );
    const authority = createKeyFile("authority");
    await database.db.transaction((tx) =>
      insertParticipant(tx, { id: authority.id, name: "Authority", role: "authority", publicKey: authority.publicKey }),
    );
    const clock = overrides.now;
    const auth = createAuthState({
      db: database.db,
      listen: database.listen,
      now: clock ? () => clock().getTime() : undefined,
    });
    const deps: GatewayDeps = {
      auth,
      db: database.db,
      pingDatabase: database.ping,
      ledger,
      participantRegistry,
      authorisationRegistry,
      settlement,
      gatewayKeys: loadOrCreateGatewayKeys(path.join(dataDir, "keys")),
      publicRpcUrl: chain.rpcUrl,
      logger: createLogger({ service: "gateway", level: "silent" }),
      ...overrides,
    };
    const app = createApp(deps);
    const inProcess: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await app.request(request.clone());
      await assertDocumented(app, request, response);
      return response;
    };
    const stopChain = chain;
    return {
      app,
      deps,
      database,
      ledger,
      authorisationRegistry,
      chainProvider: chain.provider,
      authority,
      dataDir,
      listen: async () => {
        server = await listenGateway(app, "127.0.0.1", 0);
        return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      },
      client: (key = authority, url) =>
        createClient({ url: url ?? "http://gateway.test", key, fetch: url ? undefined : inProcess }),
      stop: async () => {
        if (server) await closeServer(server, 1_000);
        await auth.stop();
        await stopChain.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export const YEAR_WINDOW = {
  validFrom: new Date(Date.now() - 60_000).toISOString(),
  validUntil: new Date(Date.now() + 365 * 86_400_000).toISOString(),
};
