// An instance scheduled by one decision and started by the next in the same commit is written once
// (src/store/fold-moves.ts), on both dialects; a guard that fails still blames the decision that made the move.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/engine/types.js";
import { foldScheduledMoves } from "../../src/store/fold-moves.js";
import type { Dialect, SqlParam } from "../../src/store/dialect.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { SqlStore } from "../../src/store/sql-store.js";
import { SqliteDialect } from "../../src/store/sqlite/sqlite-dialect.js";
import { freshPostgresUrl } from "../support/postgres.js";
import { decision, graph, move, newRun } from "./fixtures.js";

const T0 = 1_000_000;
const TASKS = Array.from({ length: 20 }, (_, i) => `t${i}`);

/** The dialect, with every single statement of its transactions recorded (SQLite's are all single). */
function recording(inner: Dialect, statements: { sql: string; params: readonly SqlParam[] }[]): Dialect {
  return {
    name: inner.name,
    location: inner.location,
    maxParams: inner.maxParams,
    databaseClockMs: inner.databaseClockMs,
    session: inner.session,
    transaction: (fn) =>
      inner.transaction((tx) =>
        fn({
          ...tx,
          run: (sql, params = []) => {
            statements.push({ sql, params });
            return tx.run(sql, params);
          },
          // Postgres sends a batch's writes (merged where they can be) in one call.
          ...(tx.runMany
            ? {
                runMany: (batch: Parameters<NonNullable<typeof tx.runMany>>[0], expectOne?: number) => {
                  statements.push(...batch.map((s) => ({ sql: s.sql, params: s.params ?? [] })));
                  return tx.runMany!(batch, expectOne);
                },
              }
            : {}),
        }),
      ),
    lockForMigration: (tx) => inner.lockForMigration(tx),
    classifyError: (error) => inner.classifyError(error),
    close: () => inner.close(),
  };
}

async function storeOn(dialect: Dialect): Promise<SqlStore> {
  const store = new SqlStore(dialect);
  await store.migrate();
  await store.savePipelineVersion(graph("p", "v1", TASKS), T0);
  await store.createRun(newRun({ id: "r1", taskIds: TASKS }), T0);
  expect((await store.applyDecisions([decision("r1", T0 + 1, [], { from: "queued", to: "running" })])).conflicts).toEqual([]);
  return store;
}

/** A result's decision (t0 scheduled) and the dispatcher's (t0 started), as one tick commits them. */
const scheduleThenStart = (nowMs: number, from: "pending" | "up_for_retry" = "pending", tryNumber = 0): Decision[] => [
  decision("r1", nowMs, [move("t0", from, "scheduled", tryNumber), move("t1", "pending", "scheduled", 0)]),
  decision("r1", nowMs, [move("t0", "scheduled", "queued", tryNumber + 1), move("t0", "queued", "running", tryNumber + 1, { worker: "w1" })]),
];

async function foldsAndBlames(dialect: Dialect): Promise<void> {
  const store = await storeOn(dialect);
  expect(await store.applyDecisions(scheduleThenStart(T0 + 10))).toEqual({ applied: [0, 1], conflicts: [] });
  const instances = await store.listTaskInstances("r1");
  expect(instances.find((i) => i.taskId === "t0")).toMatchObject({ state: "running", tryNumber: 1, startedMs: T0 + 10, retryAtMs: null });
  expect(instances.find((i) => i.taskId === "t1")).toMatchObject({ state: "scheduled", tryNumber: 0 });
  expect(await store.listTries("r1")).toMatchObject([{ taskId: "t0", tryNumber: 1, state: "running", worker: "w1", startedMs: T0 + 10 }]);

  // t2 is already scheduled: the result's decision is stale. Its moves are rolled back and it alone is blamed,
  // with its own guard; the dispatcher's decision, which holds on its own, commits.
  await store.applyDecisions([decision("r1", T0 + 20, [move("t2", "pending", "scheduled", 0)])]);
  const stale = [
    decision("r1", T0 + 30, [move("t3", "pending", "scheduled", 0), move("t2", "pending", "scheduled", 0)]),
    decision("r1", T0 + 30, [move("t2", "scheduled", "queued", 1), move("t2", "queued", "running", 1, { worker: "w1" })]),
  ];
  const result = await store.applyDecisions(stale);
  expect(result.applied).toEqual([1]);
  expect(result.conflicts).toEqual([{ index: 0, runId: "r1", what: "instance t2: not pending at try 0 (wanted pending → scheduled)" }]);
  const after = await store.listTaskInstances("r1");
  expect(after.find((i) => i.taskId === "t2")).toMatchObject({ state: "running", tryNumber: 1 });
  expect(after.find((i) => i.taskId === "t3")).toMatchObject({ state: "pending" });
  await store.close();
}

/** One UPDATE of t0 for its schedule and start, guarded by `pending`; t1 (only scheduled) written as before. */
async function writesOnce(open: () => Promise<Dialect>): Promise<void> {
  const statements: { sql: string; params: readonly SqlParam[] }[] = [];
  const store = await storeOn(recording(await open(), statements));
  statements.length = 0;
  expect(await store.applyDecisions(scheduleThenStart(T0 + 10))).toEqual({ applied: [0, 1], conflicts: [] });
  const updatesOf = (taskId: string) => statements.filter((s) => /^\s*UPDATE task_instances/.test(s.sql) && s.params.includes(taskId));
  expect(updatesOf("t0")).toHaveLength(1);
  expect(updatesOf("t0")[0]?.params).toContain("pending");
  expect(updatesOf("t1")).toHaveLength(1);
  expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "t0")).toMatchObject({ state: "running", tryNumber: 1 });
  await store.close();
}

/**
 * Starts of many instances in one decision, some folded (scheduled in the same batch: guarded by `pending`),
 * some not (scheduled by an earlier commit): Postgres merges them into one statement with a guard per row,
 * SQLite writes the decision set-based (no folds). Either way every instance ends running at try 1.
 */
async function startsManyMixed(dialect: Dialect): Promise<void> {
  const store = await storeOn(dialect);
  const early = TASKS.slice(10, 14);
  const fresh = TASKS.slice(0, 10);
  expect((await store.applyDecisions([decision("r1", T0 + 5, early.map((id) => move(id, "pending", "scheduled", 0)))])).conflicts).toEqual([]);
  const result = await store.applyDecisions([
    decision("r1", T0 + 10, fresh.map((id) => move(id, "pending", "scheduled", 0))),
    decision("r1", T0 + 10, [...fresh, ...early].flatMap((id) => [move(id, "scheduled", "queued", 1), move(id, "queued", "running", 1, { worker: "w1" })])),
  ]);
  expect(result).toEqual({ applied: [0, 1], conflicts: [] });
  const instances = await store.listTaskInstances("r1");
  for (const id of [...fresh, ...early]) expect(instances.find((i) => i.taskId === id), id).toMatchObject({ state: "running", tryNumber: 1, startedMs: T0 + 10 });
  expect(instances.filter((i) => i.state === "pending")).toHaveLength(TASKS.length - 14);
  expect(await store.listTries("r1")).toHaveLength(14);
  await store.close();
}

const sqliteDialect = (): Dialect => SqliteDialect.open({ path: join(mkdtempSync(join(tmpdir(), "weir-fold-")), "weir.db") });
const postgresDialect = async (): Promise<Dialect> => PostgresDialect.open({ url: await freshPostgresUrl({ migrated: false }) });

describe("folding an instance's schedule and start into one write", () => {
  it("writes the instance once on SQLite: one UPDATE of it instead of two", async () => {
    await writesOnce(async () => sqliteDialect());
  });

  it("writes the instance once on Postgres too (its batched writes)", async () => {
    await writesOnce(postgresDialect);
  });

  it("starts many instances, folded and not, in one decision on SQLite (set-based) and Postgres (merged)", async () => {
    await startsManyMixed(sqliteDialect());
    await startsManyMixed(await postgresDialect());
  });

  it("commits the pair and blames a stale decision alone on SQLite", async () => {
    await foldsAndBlames(sqliteDialect());
  });

  it("does the same on Postgres", async () => {
    await foldsAndBlames(await postgresDialect());
  });

  it("folds a retry's reschedule too, and clears its retry time", async () => {
    const statements: { sql: string; params: readonly SqlParam[] }[] = [];
    const store = await storeOn(recording(sqliteDialect(), statements));
    await store.applyDecisions([
      decision("r1", T0 + 2, [move("t0", "pending", "scheduled", 0), move("t0", "scheduled", "queued", 1), move("t0", "queued", "running", 1)]),
    ]);
    await store.applyDecisions([decision("r1", T0 + 3, [move("t0", "running", "up_for_retry", 1, { retryAtMs: T0 + 50, error: { name: "E", message: "m", retryable: true, kind: "error" } })])]);
    expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "t0")).toMatchObject({ state: "up_for_retry", retryAtMs: T0 + 50 });
    statements.length = 0;
    expect(await store.applyDecisions(scheduleThenStart(T0 + 60, "up_for_retry", 1))).toEqual({ applied: [0, 1], conflicts: [] });
    expect(statements.filter((s) => /^\s*UPDATE task_instances/.test(s.sql) && s.params.includes("t0")).map((s) => s.params.includes("up_for_retry"))).toEqual([true]);
    expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "t0")).toMatchObject({ state: "running", tryNumber: 2, retryAtMs: null });
    expect((await store.listTries("r1")).map((t) => `${t.tryNumber}:${t.state}`)).toEqual(["1:failed", "2:running"]);
    await store.close();
  });

  it("folds only pairs written row by row, at the same try, with nothing in between that writes rows of its own", () => {
    const [result, start] = scheduleThenStart(T0);
    const folds = foldScheduledMoves([result!, start!], () => true);
    expect([...(folds?.skipped ?? [])]).toEqual([result!.transitions[0]]);
    expect([...(folds?.guardFrom ?? [])]).toEqual([[start!.transitions[0], "pending"]]);
    // Set-based decisions are left alone.
    expect(foldScheduledMoves([result!, start!], (d) => d !== start)).toBeNull();
    // Another try number: a different start.
    const otherTry = decision("r1", T0, [move("t0", "scheduled", "queued", 3)]);
    expect(foldScheduledMoves([result!, otherTry], () => true)).toBeNull();
    // Another run's instance of the same task.
    expect(foldScheduledMoves([result!, { ...start!, runId: "r2" }], () => true)).toBeNull();
    // An expansion in between.
    const expands: Decision = { ...decision("r1", T0, []), expansions: [{ taskId: "m", at: 0, count: 2, tryNumber: 0, shape: null }] };
    expect(foldScheduledMoves([result!, expands, start!], () => true)).toBeNull();
    // The first move in a set-based decision, or a set-based decision in between (nothing folds across one).
    expect(foldScheduledMoves([result!, start!], (d) => d !== result)).toBeNull();
    const between = decision("r1", T0, [move("t5", "pending", "scheduled", 0)]);
    expect(foldScheduledMoves([result!, between, start!], (d) => d !== between)).toBeNull();
    // A move of the instance in between that doesn't match closes the pair: the later start isn't folded.
    expect(foldScheduledMoves([result!, otherTry, start!], () => true)).toBeNull();
    // Any move out of scheduled at the same try folds (here a skip); a start is guarded at the try before its own.
    const skip = decision("r1", T0, [move("t0", "scheduled", "skipped", 0)]);
    expect([...(foldScheduledMoves([result!, skip], () => true)?.guardFrom ?? [])]).toEqual([[skip.transitions[0], "pending"]]);
    expect(foldScheduledMoves([result!, decision("r1", T0, [move("t0", "scheduled", "queued", 0)])], () => true)).toBeNull();
    // A mapped instance, by its map index.
    const mapped = decision("r1", T0, [{ ...move("m", "pending", "scheduled", 0), mapIndex: 3 }]);
    const startMapped = decision("r1", T0, [{ ...move("m", "scheduled", "queued", 1), mapIndex: 3 }]);
    expect(foldScheduledMoves([mapped, startMapped], () => true)?.skipped.size).toBe(1);
    expect(foldScheduledMoves([mapped, { ...startMapped, transitions: [{ ...move("m", "scheduled", "queued", 1), mapIndex: 4 }] }], () => true)).toBeNull();
  });
});
