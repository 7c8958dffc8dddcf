// The Postgres dialect runs a transaction again from the start after a deadlock (40P01) or a serialization
// failure (40001), a bounded number of times (src/store/postgres/busy-retry.ts), on a real embedded Postgres:
// a real deadlock between the dialect's transaction and a second connection, a real serialization failure,
// and server-raised errors for the bound and for what must not be retried.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import { BUSY_ATTEMPTS } from "../../src/store/postgres/busy-retry.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { freshPostgresUrl, withClient } from "../support/postgres.js";

let url: string;
let dialect: PostgresDialect;

beforeAll(async () => {
  url = await freshPostgresUrl({ migrated: false });
  dialect = await PostgresDialect.open({ url, poolSize: 4 });
});

afterAll(async () => {
  await dialect?.close();
});

async function table(name: string): Promise<void> {
  await withClient(url, (c) => c.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${name} VALUES (1, 0), (2, 0)`));
}

async function values(name: string): Promise<number[]> {
  return withClient(url, async (c) => (await c.query<{ v: number }>(`SELECT v FROM ${name} ORDER BY id`)).rows.map((r) => r.v));
}

/** The SQLSTATE of a store_busy error's driver error. */
function sqlstate(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof pg.DatabaseError ? cause.code : undefined;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitUntilWaitingOnLock(client: pg.Client, pid: number): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ waiting: boolean }>(`SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`, [pid]);
    if (rows[0]?.waiting) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("Postgres: transactions retried after a deadlock or a serialization failure", () => {
  it("runs a transaction that lost a real deadlock again, and it commits", async () => {
    await table("dl");
    const other = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await other.connect();
    await watcher.connect();
    try {
      // Only the dialect's transaction checks for the deadlock (after the default 1 s), so it is the one
      // Postgres picks to fail, whatever the timing.
      await other.query("SET deadlock_timeout = '1h'");
      const otherPid = (await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      const aHoldsRow1 = deferred();
      const otherWaits = deferred();
      const seen: (string | undefined)[] = [];
      let attempts = 0;
      const a = dialect.transaction(async (tx) => {
        attempts++;
        try {
          await tx.run("UPDATE dl SET v = v + 1 WHERE id = 1");
          if (attempts === 1) {
            aHoldsRow1.resolve();
            await otherWaits.promise;
          }
          await tx.run("UPDATE dl SET v = v + 10 WHERE id = 2");
        } catch (error) {
          seen.push(error instanceof WeirError ? `${error.code} ${sqlstate(error)}` : String(error));
          throw error;
        }
        return attempts;
      });
      await aHoldsRow1.promise;
      await other.query("BEGIN");
      await other.query("UPDATE dl SET v = v + 100 WHERE id = 2");
      // Waits for row 1, which the dialect's transaction holds; that one then waits for row 2: a cycle.
      const otherRow1 = other.query("UPDATE dl SET v = v + 100 WHERE id = 1");
      await waitUntilWaitingOnLock(watcher, otherPid);
      otherWaits.resolve();
      // The dialect's transaction is rolled back (deadlock), which lets the other one take row 1 and commit;
      // the second attempt then waits for that commit and runs to its end.
      await otherRow1;
      await other.query("COMMIT");
      expect(await a).toBe(2);
      expect(seen).toEqual(["store_busy 40P01"]);
      expect(await values("dl")).toEqual([101, 110]);
    } finally {
      await other.end();
      await watcher.end();
    }
  });

  it("runs a repeatable-read transaction again after a serialization failure", async () => {
    await table("sf");
    const seen: (string | undefined)[] = [];
    let attempts = 0;
    const result = await dialect.transaction(async (tx) => {
      attempts++;
      await tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      const before = await tx.get<{ v: number }>("SELECT v FROM sf WHERE id = 1");
      // Another writer commits a change to the row after this transaction's snapshot was taken.
      if (attempts === 1) await withClient(url, (c) => c.query("UPDATE sf SET v = v + 100 WHERE id = 1"));
      try {
        await tx.run("UPDATE sf SET v = ? WHERE id = 1", [(before?.v ?? 0) + 1]);
      } catch (error) {
        seen.push(sqlstate(error));
        throw error;
      }
      return before?.v;
    });
    expect(seen).toEqual(["40001"]);
    expect(attempts).toBe(2);
    // The second attempt read the other writer's value: nothing was lost.
    expect(result).toBe(100);
    expect(await values("sf")).toEqual([101, 0]);
  });

  it("gives up after a bounded number of attempts with store_busy saying how many", async () => {
    let attempts = 0;
    const failing = dialect.transaction(async (tx) => {
      attempts++;
      await tx.exec("DO $$ BEGIN RAISE EXCEPTION 'always in the way' USING ERRCODE = 'deadlock_detected'; END $$");
    });
    await expect(failing).rejects.toThrow(new RegExp(`could not finish a transaction \\(always in the way\\) after ${BUSY_ATTEMPTS} attempts\\.$`));
    await expect(failing).rejects.toMatchObject({ code: "store_busy" });
    expect(attempts).toBe(BUSY_ATTEMPTS);
  });

  it("does not run a transaction again for other errors, nor for lock_not_available", async () => {
    await table("nr");
    for (const [statement, code] of [
      ["INSERT INTO nr VALUES (1, 5)", "23505"],
      ["DO $$ BEGIN RAISE EXCEPTION 'no wait' USING ERRCODE = 'lock_not_available'; END $$", "55P03"],
    ] as const) {
      let attempts = 0;
      const error = await dialect
        .transaction(async (tx) => {
          attempts++;
          await tx.run(statement);
        })
        .catch((e: unknown) => e);
      expect([attempts, sqlstate(error) ?? (error as { code?: string }).code]).toEqual([1, code]);
    }
  });

  it("runs a statement outside a transaction again after a deadlock", async () => {
    // A sequence is not rolled back: the first call fails like a deadlock, the second one passes.
    await withClient(url, (c) => c.query("CREATE SEQUENCE once"));
    const changed = await dialect.session.run("DO $$ BEGIN IF nextval('once') = 1 THEN RAISE EXCEPTION 'first' USING ERRCODE = 'deadlock_detected'; END IF; END $$");
    expect(changed).toBe(0);
    expect(await withClient(url, async (c) => (await c.query<{ n: number }>("SELECT last_value::int AS n FROM once")).rows[0]!.n)).toBe(2);
  });
});
