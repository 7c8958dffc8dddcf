// RunOutputs (src/scheduler/try-jobs.ts) keeps the outputs of a run a coordinator drives. A clear applied live
// (`weir dev`'s UI or API) must take the cleared instances' outputs with it, and a collapse the outputs of
// the mapped instances it replaces: otherwise a downstream that runs before they succeed again (all_done
// after the cleared upstream failed) would be handed the old value. Decisions come from the real engine.
import { describe, expect, it } from "vitest";
import { advance, applyDecision } from "../../src/engine/advance.js";
import { engineGraph, freshSnapshot, pipelineGraph, type TaskSketch } from "../../src/engine/engine-fixtures.test-util.js";
import type { EngineEvent, RunSnapshot } from "../../src/engine/types.js";
import { RunOutputs } from "../../src/scheduler/try-jobs.js";
import { encodeValue } from "../../src/worker/value-codec.js";

function driven(tasks: Record<string, TaskSketch>): { snapshot: RunSnapshot; outputs: RunOutputs; send: (event: EngineEvent) => void; succeed: (taskId: string, mapIndex: number, output: string) => void } {
  const graph = pipelineGraph(tasks);
  const snapshot = freshSnapshot(engineGraph(tasks));
  const outputs = new RunOutputs(new Map(graph.tasks.map((t) => [t.id, t])));
  // What the coordinator does with each decision (coordinator.ts decide()).
  const send = (event: EngineEvent): void => {
    const decision = advance(snapshot, event, 0);
    applyDecision(snapshot, decision);
    if (event.kind === "instances_cleared" || event.kind === "instance_marked") outputs.forgetReplaced(decision);
  };
  const succeed = (taskId: string, mapIndex: number, output: string): void => {
    const tryNumber = (snapshot.instances.get(mapIndex < 0 ? taskId : `${taskId}[${mapIndex}]`)?.tryNumber ?? 0) + 1;
    send({ kind: "try_queued", taskId, mapIndex, tryNumber });
    send({ kind: "try_started", taskId, mapIndex, tryNumber });
    const mapLength = outputs.recordSuccess(taskId, mapIndex, output);
    send({ kind: "try_succeeded", taskId, mapIndex, tryNumber, output, ...(mapLength === undefined || mapLength === null ? {} : { mapLength }) });
  };
  send({ kind: "run_started" });
  return { snapshot, outputs, send, succeed };
}

describe("RunOutputs and live clears", () => {
  it("forgets a cleared instance's output", () => {
    const { outputs, send, succeed } = driven({ u: {}, d: { upstream: ["u"], trigger: "all_done" } });
    succeed("u", -1, encodeValue("old", "u"));
    expect(outputs.get("u", -1)).toBe(encodeValue("old", "u"));
    send({ kind: "instances_cleared", keys: [{ taskId: "u", mapIndex: -1 }] });
    expect(outputs.get("u", -1)).toBeUndefined();
  });

  it("forgets the outputs of the mapped instances a collapse replaces, and the source's array", () => {
    const { snapshot, outputs, send, succeed } = driven({ items: {}, double: { map: { sources: ["items"] } } });
    succeed("items", -1, encodeValue([1, 2, 3], "items"));
    for (let i = 0; i < 3; i++) succeed("double", i, encodeValue(i * 2, "double"));
    expect(outputs.lengths()).toEqual(new Map([["items", 3]]));
    send({ kind: "instances_cleared", keys: [{ taskId: "items", mapIndex: -1 }, ...[0, 1, 2].map((mapIndex) => ({ taskId: "double", mapIndex }))] });
    expect(snapshot.expansions.has("double")).toBe(false);
    expect([0, 1, 2].map((i) => outputs.get("double", i))).toEqual([undefined, undefined, undefined]);
    expect(outputs.lengths()).toEqual(new Map());
  });
});
