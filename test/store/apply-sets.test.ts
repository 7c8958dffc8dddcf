// The set-based forms of a decision's hot writes (src/store/apply-sets.ts) on both dialects: SQLite uses them on
// every straight pass; Postgres merges its own (postgres/bulk-writes.ts) but the SQL must run there too.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InstanceTransition } from "../../src/engine/types.js";
import { SetWrites } from "../../src/store/apply-sets.js";
import type { Dialect } from "../../src/store/dialect.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { SqlStore } from "../../src/store/sql-store.js";
import { SqliteDialect } from "../../src/store/sqlite/sqlite-dialect.js";
import { freshPostgresUrl } from "../support/postgres.js";
import { graph, newRun } from "./fixtures.js";

const TASKS = Array.from({ length: 140 }, (_, i) => `t${i}`);
const at = (taskId: string, from: InstanceTransition["from"], to: InstanceTransition["to"], tryNumber: number, extra: Partial<InstanceTransition> = {}): InstanceTransition => ({ taskId, mapIndex: -1, from, to, tryNumber, ...extra });
const guard = (what: string): Error => new Error(`guard: ${what}`);

async function exercise(dialect: Dialect): Promise<void> {
  const store = new SqlStore(dialect);
  await store.migrate();
  await store.savePipelineVersion({ ...graph("p", "v1", TASKS), tasks: graph("p", "v1", TASKS).tasks.map((t) => ({ ...t, upstream: [], after: [] })) }, 1);
  await store.createRun(newRun({ id: "r1", taskIds: TASKS }), 1);
  // 140 rows: set statements of 128 and 8 rows (SET_SIZES), then 4 single-row statements.
  await dialect.transaction(async (tx) => {
    const sets = new SetWrites(tx, "r1", 10);
    for (const id of TASKS) sets.move(at(id, "pending", "scheduled", 0), null, null);
    await sets.flush(guard);
    for (const id of TASKS) sets.start(at(id, "scheduled", "queued", 1), id === "t0" ? null : "w1");
    await sets.flush(guard);
  });
  await dialect.transaction(async (tx) => {
    const sets = new SetWrites(tx, "r1", 20);
    for (const id of TASKS) {
      const failed = id === "t1";
      const t = failed ? at(id, "running", "failed", 1, { error: { name: "E", message: "m", retryable: false, kind: "error" } }) : at(id, "running", "success", 1, { output: `"${id}"`, startedMs: 11 });
      sets.move(t, null, 20);
      sets.endTry(t, failed ? "failed" : "success", failed ? null : `"${id}"`, failed ? JSON.stringify(t.error) : null, null);
    }
    await sets.flush(guard);
  });
  const run = await store.getRun("r1");
  const instances = await store.listTaskInstances("r1");
  expect(instances.filter((i) => i.state === "success")).toHaveLength(139);
  expect(instances.find((i) => i.taskId === "t1")).toMatchObject({ state: "failed", tryNumber: 1, startedMs: 10, endedMs: 20 });
  const tries = await store.listTries("r1");
  expect(tries).toHaveLength(140);
  expect(tries.find((t) => t.taskId === "t2")).toMatchObject({ state: "success", startedMs: 11, endedMs: 20, worker: "w1" });
  expect(tries.find((t) => t.taskId === "t0")).toMatchObject({ state: "success", startedMs: 11, worker: null });
  expect(tries.find((t) => t.taskId === "t1")).toMatchObject({ state: "failed", startedMs: 10, error: { name: "E" } });
  expect(run).not.toBeNull();

  // A guard that does not hold (t1 failed) fails the flush; t2's move is rolled back with the transaction.
  await expect(
    dialect.transaction(async (tx) => {
      const sets = new SetWrites(tx, "r1", 30);
      sets.move(at("t1", "success", "failed", 1), null, 30);
      sets.move(at("t2", "success", "failed", 1), null, 30);
      await sets.flush(guard);
    }),
  ).rejects.toThrow(/guard: 1 of 1 instances was not where the decision expected \(wanted success → failed\)/);
  expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "t2")?.state).toBe("success");
  await store.close();
}

describe("set-based decision writes", () => {
  it("move, start and end many instances at once on SQLite, guarded", async () => {
    await exercise(SqliteDialect.open({ path: join(mkdtempSync(join(tmpdir(), "weir-sets-")), "weir.db") }));
  });

  it("do the same on Postgres", async () => {
    await exercise(await PostgresDialect.open({ url: await freshPostgresUrl({ migrated: false }) }));
  });
});
