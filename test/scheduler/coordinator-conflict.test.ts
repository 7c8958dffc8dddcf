// A second writer changes a run under the coordinator (as `weir clear`, a duplicate driver or the UI
// will): the coordinator's guarded write conflicts, it rebuilds the run from the store, and the run
// still finishes — no result lost, no try run twice, no run left hanging.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import type { Decision } from "../../src/engine/types.js";
import { systemClock } from "../../src/scheduler/clock.js";
import { Coordinator } from "../../src/scheduler/coordinator.js";
import type { Store } from "../../src/store/types.js";
import { newTestStoreLocation, STORE_KINDS } from "../support/test-stores.js";

const FILE = join(import.meta.dirname, "fixtures/pair.ts");
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

describe.each(STORE_KINDS)("coordinator under a second writer (%s)", (kind) => {
  it("rebuilds a run whose decision conflicted and still finishes it", async () => {
    const home = mkdtempSync(join(tmpdir(), "weir-conflict-"));
    process.env.WEIR_HOME = home;
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const location = await newTestStoreLocation(kind, home);
    const store = await location.open();
    const other = await location.open();
    cleanup.push(() => store.close(), () => other.close());
    await store.migrate();

    let coordinator: Coordinator | null = null;
    const pool = new LocalWorkerPool({ size: 1, onResult: (key, result, timing) => coordinator?.handleResult(key, result, timing) });
    cleanup.push(() => pool.close());
    const loaded = await pool.load(FILE);
    const graph = loaded.pipelines[0];
    if (!graph) throw new Error(JSON.stringify(loaded.problems));
    await store.savePipelineVersion(graph, Date.now());
    const { run } = await store.createRun({ id: "run_conflict", pipelineId: "pair", version: graph.version, trigger: "manual", logicalDateMs: 0, intervalStartMs: 0, intervalEndMs: 0, params: {}, file: FILE, taskIds: graph.order }, Date.now());

    // When the coordinator is about to record a's success, another writer records it first
    // (a duplicate report from a second driver): the coordinator's guarded write conflicts.
    let interfered = false;
    const realApply = store.applyDecisions.bind(store);
    const wrapped: Store = Object.create(store) as Store;
    wrapped.applyDecisions = async (decisions: readonly Decision[]) => {
      const success = decisions.flatMap((d) => d.transitions).find((t) => t.taskId === "a" && t.to === "success");
      if (success && !interfered) {
        interfered = true;
        const result = await other.applyDecisions([{ runId: run.id, nowMs: Date.now(), transitions: [success], actions: [], timers: [] }]);
        expect(result.conflicts).toEqual([]);
      }
      return realApply(decisions);
    };

    coordinator = new Coordinator({ store: wrapped, executor: pool, clock: systemClock, home });
    const state = await coordinator.startRun(run, graph);
    expect(interfered).toBe(true);
    expect(state).toBe("success");
    const instances = await store.listTaskInstances(run.id);
    expect(Object.fromEntries(instances.map((i) => [i.taskId, `${i.state}/${i.tryNumber}`]))).toEqual({ a: "success/1", b: "success/1" });
    // b was scheduled after the rebuild (the other writer did not schedule it) and ran exactly once.
    expect(readFileSync(join(home, "ledger.txt"), "utf8").trim().split("\n").sort()).toEqual(["a", "b"]);
  }, 30_000);
});
