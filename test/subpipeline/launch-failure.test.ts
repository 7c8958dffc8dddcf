// A child run that can't be created (the store refuses it) fails its parent's try with a retryable error,
// also when it is started later by a pump nobody awaits (a slot freed by another child run ending): no
// unhandled rejection, and the parent's try gets its result. Real SQLite store; the pipeline loader is a
// stand-in that hands back graphs (loading pipeline files is not what is tested here).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunState } from "../../src/engine/states.js";
import type { PipelineGraph } from "../../src/graph/types.js";
import { SubRuns } from "../../src/scheduler/sub-runs.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { RunRecord, Store } from "../../src/store/types.js";
import { tryKeyOf, type TryJob, type TryResult } from "../../src/worker/protocol.js";
import { graph, newRun, taskNode } from "../store/fixtures.js";

describe("SubRuns when a child run can't be created", () => {
  let dir: string;
  let store: Store;
  let subRuns: SubRuns | null = null;
  afterEach(async () => {
    subRuns?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails the waiting parent try (retryable) when its child run is refused after a slot frees", async () => {
    dir = mkdtempSync(join(tmpdir(), "weir-subruns-"));
    store = openSqliteStore({ path: join(dir, "weir.db") });
    await store.migrate();
    // The child pipeline allows one run at a time; its second version lists a task twice, which the store refuses.
    const good: PipelineGraph = { ...graph("child", "v1", ["work"]), maxActiveRuns: 1 };
    const bad: PipelineGraph = { ...good, version: "v2", order: ["work", "work"] };
    const graphs = [good, bad];
    const parentGraph: PipelineGraph = { ...graph("parent", "p1", ["a", "b"]), tasks: ["a", "b"].map((id) => ({ ...taskNode(id), kind: "pipeline", subPipeline: { pipelineId: "child", params: {} } })) };
    await store.savePipelineVersion(parentGraph, 0);
    const { run: parent } = await store.createRun(newRun({ id: "parent_1", pipelineId: "parent", version: "p1", taskIds: ["a", "b"] }), 0);

    let endFirst!: (state: RunState) => void;
    const results = new Map<string, TryResult>();
    let delivered!: () => void;
    const secondDelivered = new Promise<void>((resolve) => (delivered = resolve));
    subRuns = new SubRuns({
      store,
      now: () => 1_000,
      loader: {
        load: async () => ({ pipelines: [graphs.shift() ?? bad] }) as never,
        parseParams: async () => ({ ok: true, params: {} }) as never,
      },
      drive: () => new Promise<RunState>((resolve) => (endFirst = resolve)),
      resume: async () => "success",
      cancel: () => undefined,
      deliver: (tryKey, result) => {
        results.set(tryKey, result);
        if (tryKey.includes("/b/")) delivered();
      },
    });
    const job = (taskId: string): TryJob => ({
      tryKey: tryKeyOf(parent.id, taskId, -1, 1),
      file: parent.file,
      pipelineId: "parent",
      version: "p1",
      taskId,
      mapIndex: -1,
      tryNumber: 1,
      maxTries: 1,
      runId: parent.id,
      logicalDateMs: parent.logicalDateMs,
      intervalStartMs: parent.intervalStartMs,
      intervalEndMs: parent.intervalEndMs,
      params: {},
      inputs: {},
      logPath: join(dir, `${taskId}.log`),
      timeoutMs: null,
      idempotencyKey: taskId,
    });
    const [a, b] = parentGraph.tasks;
    await subRuns.start(parent as RunRecord, a!, job("a"));
    // b waits for the one slot, which a's child run holds.
    await subRuns.start(parent as RunRecord, b!, job("b"));
    expect(results.size).toBe(0);
    endFirst("success");
    await secondDelivered;
    expect(results.get(job("a").tryKey)).toMatchObject({ outcome: "success" });
    expect(results.get(job("b").tryKey)).toMatchObject({ outcome: "failure", error: { name: "SubPipelineError", retryable: true, message: expect.stringContaining("could not start a run of pipeline child") } });
  });
});
