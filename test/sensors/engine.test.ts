// The engine's side of deferred sensors: `sensor_poked` moves a running try to `deferred` (no slot held), a
// stale or repeated poke changes nothing, and a deferred try ends like a running one (success, timeout
// failure, skip) or is canceled with its run.
import { expect, it } from "vitest";
import { advance, applyDecision } from "../../src/engine/advance.js";
import { engineGraph, freshSnapshot } from "../../src/engine/engine-fixtures.test-util.js";
import type { EngineEvent, RunSnapshot } from "../../src/engine/types.js";
import { isEmptyDecision } from "../../src/engine/types.js";

function deferredSensor(): { snapshot: RunSnapshot; send: (event: EngineEvent) => ReturnType<typeof advance> } {
  const snapshot = freshSnapshot(engineGraph({ wait: {}, use: { upstream: ["wait"] } }));
  const send = (event: EngineEvent): ReturnType<typeof advance> => {
    const decision = advance(snapshot, event, 1_000);
    applyDecision(snapshot, decision);
    return decision;
  };
  send({ kind: "run_started" });
  send({ kind: "try_queued", taskId: "wait", mapIndex: -1, tryNumber: 1 });
  send({ kind: "try_started", taskId: "wait", mapIndex: -1, tryNumber: 1 });
  return { snapshot, send };
}

const poke: EngineEvent = { kind: "sensor_poked", result: "not_yet", taskId: "wait", mapIndex: -1, tryNumber: 1, nextCheckAtMs: 2_000 };

it("a poke moves the running try to deferred, once; a stale one changes nothing", () => {
  const { snapshot, send } = deferredSensor();
  expect(send(poke).transitions).toEqual([expect.objectContaining({ taskId: "wait", from: "running", to: "deferred", tryNumber: 1 })]);
  expect(isEmptyDecision(send(poke))).toBe(true);
  expect(isEmptyDecision(send({ ...poke, tryNumber: 2 }))).toBe(true);
  expect(snapshot.instances.get("wait")?.state).toBe("deferred");
});

it("a deferred try succeeds with its value and its downstream is scheduled", () => {
  const { send } = deferredSensor();
  send(poke);
  const done = send({ kind: "try_succeeded", taskId: "wait", mapIndex: -1, tryNumber: 1, output: "{\"rows\":1}" });
  expect(done.transitions.map((t) => `${t.taskId}:${t.from}>${t.to}`)).toEqual(["wait:deferred>success", "use:pending>scheduled"]);
});

it("a deferred try's timeout failure is not retried, a soft fail skips it, a cancel stops it", () => {
  const failed = deferredSensor();
  failed.send(poke);
  const error = { name: "SensorTimeoutError", message: "waited", retryable: false, kind: "timeout" as const };
  expect(failed.send({ kind: "try_failed", taskId: "wait", mapIndex: -1, tryNumber: 1, error }).transitions[0]).toMatchObject({ from: "deferred", to: "failed" });
  const soft = deferredSensor();
  soft.send(poke);
  expect(soft.send({ kind: "try_skipped", taskId: "wait", mapIndex: -1, tryNumber: 1, reason: "soft" }).transitions[0]).toMatchObject({ from: "deferred", to: "skipped" });
  const canceled = deferredSensor();
  canceled.send(poke);
  const decision = canceled.send({ kind: "run_cancel_requested" });
  expect(decision.actions).toContainEqual(expect.objectContaining({ kind: "cancel_try", taskId: "wait", tryNumber: 1 }));
  expect(decision.transitions[0]).toMatchObject({ taskId: "wait", from: "deferred", to: "canceled" });
});
