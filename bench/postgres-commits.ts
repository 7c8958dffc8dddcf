// Postgres commits of the bench's timed part (bench/postgres.mjs, `--store postgres`), from
// pg_stat_database.xact_commit. A backend publishes its counts when it exits, or when idle at most every
// 1 s and otherwise up to 10 s later: so the harness closes the store that did the setup before the first
// reading and the one that ran the workload before the second, waits until their backends are gone, and
// then reads. Only the harness's own bookkeeping is left in the difference: READER_OVERHEAD.
import pg from "pg";

/**
 * Transactions the count includes besides the workload's: the first reading's own SELECT, and the
 * `SELECT 1` with which the workload's store checks the server when it opens.
 */
const READER_OVERHEAD = 2;

/** xact_commit of the database once no other connection to it is left (theirs published). */
export async function settledCommits(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One transaction, so that this reading adds exactly one commit; the snapshots of pg_stat_activity and
    // pg_stat_database are per transaction, hence cleared before each look.
    await client.query("BEGIN");
    const deadline = Date.now() + 10_000;
    for (;;) {
      await client.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await client.query<{ others: string }>(
        "SELECT count(*) AS others FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      if (Number(rows[0]?.others) === 0) break;
      if (Date.now() > deadline) throw new Error("bench: connections to the bench database still open after 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    // A backend leaves pg_stat_activity just before it publishes its counts (both on its way out).
    await new Promise((r) => setTimeout(r, 200));
    await client.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await client.query<{ commits: string }>("SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()");
    await client.query("COMMIT");
    return Number(rows[0]?.commits);
  } finally {
    await client.end();
  }
}

/** Commits between two settled readings, without the harness's own. */
export function workloadCommits(before: number, after: number): number {
  return after - before - READER_OVERHEAD;
}
