// Writes sent in one round trip where round trips are costly (Postgres), without changing the code that
// issues them. Each write is held and answered at once with "1 row changed" — what every write of a decision
// changes when no guard fails — and the held writes run together, in order, before anything reads, and before
// the commit. When a real count differs from the answer given, the code may have taken another path than it
// would have: the batch fails with SpeculationFailed, the caller rolls back and does the work statement by
// statement. Correct either way: a batch commits only if every answer given was the true one. The held writes
// are passed as expected to change one row each, which lets the Postgres dialect merge them per kind into
// set-based statements (postgres/bulk-writes.ts).
import { WeirError } from "../common/errors.js";
import type { Dialect, SqlParam, SqlRow, SqlStatement, SqlTransaction } from "./dialect.js";

/** A held write changed another number of rows than the one it was answered with; roll back and redo. */
export class SpeculationFailed {
  constructor(readonly what: string) {}
}

export interface BatchedWrites {
  tx: SqlTransaction;
  /** False when the dialect has no `runMany`: `tx` is the transaction itself and nothing is held. */
  batching: boolean;
  /** Sends what is held; call before the transaction commits. */
  flush(): Promise<void>;
}

export function batchWrites(tx: SqlTransaction): BatchedWrites {
  const runMany = tx.runMany?.bind(tx);
  if (runMany === undefined) return { tx, batching: false, flush: async () => undefined };
  let held: SqlStatement[] = [];
  /** Sends the held writes and then `more` in one round trip; checks the answers given to the held ones. */
  const send = async (more: readonly SqlStatement[]): Promise<number[]> => {
    const statements = held.length === 0 ? more : [...held, ...more];
    const answered = held.length;
    held = [];
    if (statements.length === 0) return [];
    const counts = await runMany(statements, answered);
    for (let i = 0; i < answered; i++) {
      if (counts[i] !== 1) throw new SpeculationFailed(`${counts[i]} rows changed by: ${statements[i]!.sql.trim()}`);
    }
    return counts.slice(answered);
  };
  const flush = async (): Promise<void> => void (await send([]));
  const batched: SqlTransaction = {
    // Writes whose count the caller doesn't read (multi-row inserts) go out with the held ones, unanswered.
    runMany: (statements) => send(statements),
    run: async (sql: string, params: readonly SqlParam[] = []) => {
      held.push({ sql, params: [...params] });
      return 1;
    },
    all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await flush(), tx.all<R>(sql, params)),
    get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await flush(), tx.get<R>(sql, params)),
    exec: async (sql: string) => (await flush(), tx.exec(sql)),
    savepoint: async <T>(fn: () => Promise<T>) => (await flush(), tx.savepoint(fn)),
  };
  return { tx: batched, batching: true, flush };
}

/**
 * Runs `work` in one transaction with its writes batched where the dialect batches. A batch that fails for a
 * reason other than the database itself (a count that differed, a constraint) is redone statement by
 * statement, which also gives the exact error (naming the run that caused it).
 */
export async function transactionWithBatchedWrites<T>(dialect: Dialect, work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
  let batching = false;
  try {
    return await dialect.transaction(async (tx) => {
      const writes = batchWrites(tx);
      batching = writes.batching;
      const result = await work(writes.tx);
      await writes.flush();
      return result;
    });
  } catch (error) {
    if (!batching || (error instanceof WeirError && error.code.startsWith("store_"))) throw error;
  }
  return dialect.transaction(work);
}
