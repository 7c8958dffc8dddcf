// A scheduler frozen (SIGSTOP, a partition) inside a fenced transaction holds the lease row's lock on
// Postgres (HOLD_LEASE). A standby must neither wait on that lock for good nor fail: taking the lease answers
// "held by another" while the row is locked, and the frozen transaction's session is ended by the server
// (idle_in_transaction_session_timeout), after which the standby takes the expired lease over.
import { afterAll, describe, expect, it } from "vitest";
import { holdFence } from "../../src/store/leases.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { SqlStore } from "../../src/store/sql-store.js";
import { freshPostgresUrl, withClient } from "../support/postgres.js";

const TTL = 1000;
const FENCE_A = { lease: "scheduler", owner: "A" };
const closing: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closing) await close();
});

/** A's store, and a transaction of A's that took the fence and then froze until `thaw`. */
async function frozenHolder(url: string, idleInTransactionTimeoutMs?: number) {
  const dialect = await PostgresDialect.open({ url, poolSize: 2, ...(idleInTransactionTimeoutMs === undefined ? {} : { idleInTransactionTimeoutMs }) });
  const store = new SqlStore(dialect);
  closing.push(() => store.close());
  expect(await store.acquireLease("scheduler", "A", 0, TTL)).toBe(true);
  let thaw = (): void => {};
  const thawed = new Promise<void>((resolve) => (thaw = resolve));
  let locked = (): void => {};
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const transaction = dialect.transaction(async (tx) => {
    await holdFence(tx, FENCE_A);
    locked();
    await thawed;
    await tx.run("UPDATE leases SET owner = owner WHERE name = ?", ["scheduler"]);
  });
  await holding;
  return { thaw, transaction: transaction.then(() => "committed" as const, () => "failed" as const) };
}

async function standby(url: string): Promise<SqlStore> {
  const store = new SqlStore(await PostgresDialect.open({ url, poolSize: 2 }));
  closing.push(() => store.close());
  return store;
}

/** Until the holder's lease expired by the database's clock (read without the row lock). */
async function expired(url: string): Promise<void> {
  for (;;) {
    const { rows } = await withClient(url, (client) =>
      client.query<{ left: string }>("SELECT expires_ms - (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint AS left FROM leases WHERE name = 'scheduler'"),
    );
    const left = rows[0] === undefined ? -1 : Number(rows[0].left);
    if (left < 0) return;
    await new Promise((resolve) => setTimeout(resolve, left + 5));
  }
}

describe("the scheduler lease on Postgres, its holder frozen in a transaction", () => {
  it("answers 'held by another' while the row is locked instead of waiting, and is taken once the holder thaws", async () => {
    const url = await freshPostgresUrl();
    const a = await frozenHolder(url, 600_000);
    const b = await standby(url);
    await expired(url);
    expect(await b.acquireLease("scheduler", "B", 0, TTL)).toBe(false);
    a.thaw();
    expect(await a.transaction).toBe("committed");
    expect(await b.acquireLease("scheduler", "B", 0, TTL)).toBe(true);
  });

  it("is taken over once the server ends the frozen holder's idle transaction, which then commits nothing", async () => {
    const url = await freshPostgresUrl();
    const a = await frozenHolder(url);
    const b = await standby(url);
    await expired(url);
    // Without the server's idle-in-transaction timeout this would never succeed (the test times out).
    while (!(await b.acquireLease("scheduler", "B", 0, TTL))) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await b.getLease("scheduler"))?.owner).toBe("B");
    a.thaw();
    expect(await a.transaction).toBe("failed");
    expect((await b.getLease("scheduler"))?.owner).toBe("B");
  });
});
