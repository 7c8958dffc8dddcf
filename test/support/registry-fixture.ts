// What a pipeline-registry test file needs: a temporary directory for pipeline files inside the test's own
// folder (so `import { pipeline } from "weir"` resolves through the package's self-reference), a real worker
// pool and a migrated SQLite store, made before the file's tests and closed and removed after them.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";

export interface RegistryFixture {
  /** Where the test writes its pipeline files. */
  readonly dir: string;
  readonly pool: LocalWorkerPool;
  readonly store: Store;
}

/** Call at the top of a test file: `testDir` is the file's folder (import.meta.dirname). */
export function useRegistryFixture(testDir: string, dbPrefix: string, poolSize: number): RegistryFixture {
  const dir = join(testDir, `.tmp-${randomBytes(4).toString("hex")}`);
  const dbDir = mkdtempSync(join(tmpdir(), dbPrefix));
  let pool: LocalWorkerPool | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    pool = new LocalWorkerPool({ size: poolSize, onResult: () => {} });
    store = openSqliteStore({ path: join(dbDir, "weir.db") });
    await store.migrate();
  });
  afterAll(async () => {
    await pool?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  });
  return {
    dir,
    get pool(): LocalWorkerPool {
      if (pool === undefined) throw new Error("the registry fixture's pool is made in beforeAll");
      return pool;
    },
    get store(): Store {
      if (store === undefined) throw new Error("the registry fixture's store is made in beforeAll");
      return store;
    },
  };
}
