// Clearing a mapped task's source with its downstream (`weir clear --task src --downstream`): the mapped task
// collapses back to its placeholder and expands again, to the new length, when the source succeeds again.
// Unit cases, then a property over random DAGs with mapped tasks: run, clear, run again with other lengths.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, mappedDagArb, randomEvent, type TaskSketch } from "./engine-fixtures.test-util.js";
import { StoreModel } from "./store-model.test-util.js";
import { isTerminalRunState, isTerminalTaskState } from "./states.js";
import { instanceKey, type Decision, type EngineEvent, type InstanceRef, type RunSnapshot } from "./types.js";

/** What the store keeps of each snapshot under test (rebuilt() is what a restarted scheduler would see). */
const stores = new WeakMap<RunSnapshot, StoreModel>();

function tracked(snapshot: RunSnapshot): RunSnapshot {
  stores.set(snapshot, new StoreModel(snapshot.runId, snapshot.graph, snapshot.state));
  return snapshot;
}

function rebuilt(snapshot: RunSnapshot): RunSnapshot {
  const store = stores.get(snapshot);
  if (!store) throw new Error("snapshot not tracked");
  return store.snapshot();
}

function view(snapshot: RunSnapshot): unknown {
  const instances = [...snapshot.instances.entries()].sort(([a], [b]) => a.localeCompare(b));
  return { state: snapshot.state, unfinished: snapshot.unfinished, failed: snapshot.failed, instances, expansions: new Map(snapshot.expansions) };
}

/**
 * Advances and applies; checks the bookkeeping against a recount from scratch, that replaying the decision on
 * a copy rebuilt from the store gives the same run, and that the store's rows rebuild the same run (retry
 * bases and lost tries included).
 */
function send(snapshot: RunSnapshot, event: EngineEvent, nowMs = 0): Decision {
  const copy = rebuilt(snapshot);
  const decision = advance(snapshot, event, nowMs);
  applyDecision(snapshot, decision);
  applyDecision(copy, decision);
  stores.get(snapshot)?.apply(decision);
  expect(view(copy)).toEqual(view(snapshot));
  const fresh = rebuilt(snapshot);
  expect(view(fresh)).toEqual(view(snapshot));
  expect(snapshot.unfinished).toBe(fresh.unfinished);
  expect(snapshot.failed).toBe(fresh.failed);
  for (const [key, instance] of snapshot.instances) expect({ key, counts: instance.counts }).toEqual({ key, counts: fresh.instances.get(key)?.counts });
  expect(new Map(snapshot.expansions)).toEqual(new Map(fresh.expansions));
  return decision;
}

function tryOnce(snapshot: RunSnapshot, taskId: string, mapIndex: number, end: (tryNumber: number) => EngineEvent): Decision {
  const tryNumber = (snapshot.instances.get(instanceKey(taskId, mapIndex))?.tryNumber ?? 0) + 1;
  send(snapshot, { kind: "try_queued", taskId, mapIndex, tryNumber });
  send(snapshot, { kind: "try_started", taskId, mapIndex, tryNumber });
  return send(snapshot, end(tryNumber));
}

const succeed = (snapshot: RunSnapshot, taskId: string, mapIndex = -1, mapLength?: number): Decision =>
  tryOnce(snapshot, taskId, mapIndex, (tryNumber) => ({ kind: "try_succeeded", taskId, mapIndex, tryNumber, output: "x", ...(mapLength === undefined ? {} : { mapLength }) }));

/** Every instance of the tasks and of everything downstream of them, as `weir clear --downstream` selects. */
function withDownstream(snapshot: RunSnapshot, taskIds: readonly string[]): InstanceRef[] {
  const tasks = new Set<string>();
  const work = [...taskIds];
  for (let id = work.pop(); id !== undefined; id = work.pop()) {
    if (tasks.has(id)) continue;
    tasks.add(id);
    work.push(...(snapshot.graph.downstream.get(id) ?? []));
  }
  return [...snapshot.instances.values()].filter((i) => tasks.has(i.taskId)).map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex }));
}

const clearEvent = (snapshot: RunSnapshot, ...taskIds: string[]): EngineEvent => ({ kind: "instances_cleared", keys: withDownstream(snapshot, taskIds) });

function started(tasks: Record<string, TaskSketch>): RunSnapshot {
  const snapshot = tracked(freshSnapshot(engineGraph(tasks)));
  send(snapshot, { kind: "run_started" });
  return snapshot;
}

function runMapped(snapshot: RunSnapshot, taskId: string): void {
  const count = snapshot.expansions.get(taskId)?.count ?? 0;
  for (let i = 0; i < count; i++) if (snapshot.instances.get(instanceKey(taskId, i))?.state === "scheduled") succeed(snapshot, taskId, i);
}

describe("clearing a map source with its downstream", () => {
  const fanOut: Record<string, TaskSketch> = { items: {}, double: { map: { sources: ["items"] } }, evaluate: { map: { sources: ["double"] } }, reduce: { upstream: ["evaluate"] } };

  function ranWith(length: number): RunSnapshot {
    const snapshot = started(fanOut);
    succeed(snapshot, "items", -1, length);
    runMapped(snapshot, "double");
    runMapped(snapshot, "evaluate");
    succeed(snapshot, "reduce");
    expect(snapshot.state).toBe("success");
    return snapshot;
  }

  it("collapses the mapped tasks to their placeholders, which expand again to the new length", () => {
    const snapshot = ranWith(3);
    const cleared = send(snapshot, clearEvent(snapshot, "items"));
    expect(cleared.collapses?.map((c) => [c.taskId, c.count, c.tryNumber])).toEqual([
      ["double", 3, 1],
      ["evaluate", 3, 1],
    ]);
    expect(snapshot.state).toBe("running");
    expect([...snapshot.instances.keys()].sort()).toEqual(["double", "evaluate", "items", "reduce"]);
    expect(snapshot.instances.get("items")?.state).toBe("scheduled");
    expect(snapshot.instances.get("double")).toMatchObject({ state: "pending", tryNumber: 1, retryBase: 1 });
    expect(snapshot.instances.get("reduce")?.counts.total).toBe(1);

    const expanded = succeed(snapshot, "items", -1, 5);
    // Both expand at once, their instances numbering tries on from where the old ones stopped.
    expect(expanded.expansions?.map((e) => [e.taskId, e.count, e.tryNumber])).toEqual([
      ["double", 5, 1],
      ["evaluate", 5, 1],
    ]);
    expect(snapshot.instances.get("reduce")?.counts.total).toBe(5);
    runMapped(snapshot, "double");
    expect(snapshot.instances.get("double[4]")?.tryNumber).toBe(2);
    runMapped(snapshot, "evaluate");
    succeed(snapshot, "reduce");
    expect(snapshot.state).toBe("success");
  });

  it("shrinks as well, and an empty array now skips the mapped task", () => {
    const shrunk = ranWith(4);
    send(shrunk, clearEvent(shrunk, "items"));
    succeed(shrunk, "items", -1, 2);
    expect(shrunk.expansions.get("double")?.count).toBe(2);
    expect(shrunk.instances.has("double[3]")).toBe(false);

    const emptied = ranWith(2);
    send(emptied, clearEvent(emptied, "items"));
    succeed(emptied, "items", -1, 0);
    expect(emptied.instances.get("double")?.state).toBe("skipped");
    expect(emptied.state).toBe("success");
  });

  it("keeps the expansion when the mapped task is not cleared with its source, or when only it is cleared", () => {
    const onlySource = ranWith(3);
    const decision = send(onlySource, { kind: "instances_cleared", keys: [{ taskId: "items", mapIndex: -1 }] });
    expect(decision.collapses).toBeUndefined();
    expect(onlySource.expansions.get("double")?.count).toBe(3);

    const onlyMapped = ranWith(3);
    const again = send(onlyMapped, clearEvent(onlyMapped, "double"));
    expect(again.collapses).toBeUndefined();
    expect(onlyMapped.instances.get("double[0]")?.state).toBe("scheduled");
  });

  it("collapses a mapped task still waiting for another upstream when its source is cleared", () => {
    const snapshot = started({ items: {}, slow: {}, double: { map: { sources: ["items"] }, upstream: ["slow"] } });
    succeed(snapshot, "items", -1, 2);
    expect(snapshot.instances.get("double[0]")?.state).toBe("pending");
    const decision = send(snapshot, { kind: "instances_cleared", keys: [{ taskId: "items", mapIndex: -1 }] });
    expect(decision.collapses?.map((c) => c.taskId)).toEqual(["double"]);
    succeed(snapshot, "items", -1, 4);
    succeed(snapshot, "slow");
    expect(snapshot.expansions.get("double")?.count).toBe(4);
  });
});

describe("clearing part of a chain of maps (s → m mapped over s → m3 mapped over m)", () => {
  const chain: Record<string, TaskSketch> = { s: {}, m: { map: { sources: ["s"] } }, m3: { map: { sources: ["m"] } } };
  const sAndM: InstanceRef[] = [{ taskId: "s", mapIndex: -1 }, { taskId: "m", mapIndex: 0 }, { taskId: "m", mapIndex: 1 }];

  function ranWith(length: number): RunSnapshot {
    const snapshot = started(chain);
    succeed(snapshot, "s", -1, length);
    runMapped(snapshot, "m");
    runMapped(snapshot, "m3");
    expect(snapshot.state).toBe("success");
    return snapshot;
  }

  it("keeps m's instances when m3, mapped over it, keeps its own; they fail with a MapExpansionError if s's length changed", () => {
    const snapshot = ranWith(2);
    expect(send(snapshot, { kind: "instances_cleared", keys: sAndM }).collapses).toBeUndefined();
    const rerun = succeed(snapshot, "s", -1, 3);
    const failures = rerun.transitions.filter((t) => t.to === "failed");
    expect(failures.map((t) => [t.taskId, t.mapIndex, t.error?.name])).toEqual([
      ["m", 0, "MapExpansionError"],
      ["m", 1, "MapExpansionError"],
    ]);
    expect(failures[0]?.error?.message).toMatch(/task m keeps its 2 instances from before a clear, but .*\(s has 3\)/);
    expect(snapshot.expansions.get("m")?.count).toBe(2);
    expect(snapshot.expansions.get("m3")?.count).toBe(2);
    expect(snapshot.state).toBe("failed");
  });

  it("runs m's kept instances again when s has the same length", () => {
    const snapshot = ranWith(2);
    send(snapshot, { kind: "instances_cleared", keys: sAndM });
    succeed(snapshot, "s", -1, 2);
    runMapped(snapshot, "m");
    expect(snapshot.instances.get("m[1]")).toMatchObject({ state: "success", tryNumber: 2 });
    expect(snapshot.state).toBe("success");
  });
});

const dagArb = mappedDagArb(7);

/**
 * Drives the run with random outcomes (a lost try now and then) until it ends or `steps` events were sent;
 * `lengthOf` gives the array length a success reports.
 */
function runOn(snapshot: RunSnapshot, choose: () => number, lengthOf: (pick: number) => number | null, steps = 2_000): void {
  let nowMs = snapshot.state === "queued" ? 0 : 10_000;
  for (let round = 0; round < steps && !isTerminalRunState(snapshot.state); round++) {
    nowMs += 10;
    const step = randomEvent(snapshot, choose, nowMs, (ref, pick) =>
      pick % 7 === 0
        ? { kind: "try_failed", ...ref, error: { name: "E", message: "m", retryable: true, kind: "error" } }
        : pick % 11 === 0
          ? { kind: "try_failed", ...ref, error: { name: "WorkerLost", message: "lost", retryable: true, kind: "lost" } }
          : { kind: "try_succeeded", ...ref, mapLength: lengthOf(pick) },
    );
    const event = step.event;
    nowMs = step.nowMs;
    send(snapshot, event, nowMs);
  }
}

function runToEnd(snapshot: RunSnapshot, choose: () => number, lengthOf: (pick: number) => number | null): void {
  runOn(snapshot, choose, lengthOf);
  expect(isTerminalRunState(snapshot.state)).toBe(true);
}

/** How many instances an expanded mapped task should have from its sources now; undefined when not known. */
function expectedCount(snapshot: RunSnapshot, taskId: string): number | undefined {
  const task = snapshot.graph.tasks.get(taskId);
  const lengths = (task?.mapping?.sources ?? []).map((s) => snapshot.expansions.get(s)?.count ?? snapshot.mapLengths.get(s) ?? undefined);
  if (lengths.some((n) => n === undefined)) return undefined;
  return task?.mapping?.mode === "product" ? lengths.reduce((p: number, n) => p * (n ?? 0), 1) : lengths[0];
}

/** Every expanded mapped task has as many instances as its sources say now. */
function expectExpansionsMatchSources(snapshot: RunSnapshot): void {
  for (const [taskId, expansion] of snapshot.expansions) {
    expect({ taskId, count: expansion.count }).toEqual({ taskId, count: expectedCount(snapshot, taskId) });
  }
}

describe("clearing map sources: properties", () => {
  it("run, clear random tasks with their downstream, run again with other lengths: every mapped task re-expands to its sources' new lengths", () => {
    let collapsed = 0;
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat({ max: 1_000 }), { minLength: 10, maxLength: 200 }), fc.nat({ max: 2 ** 7 - 1 }), (tasks, choices, clearMask) => {
        const snapshot = tracked(freshSnapshot(engineGraph(tasks)));
        send(snapshot, { kind: "run_started" });
        let step = 0;
        const choose = (): number => choices[step++ % choices.length] ?? 0;
        runToEnd(snapshot, choose, (pick) => pick % 3);
        expectExpansionsMatchSources(snapshot);
        const named = snapshot.graph.order.filter((_, i) => clearMask & (1 << i));
        if (named.length === 0) return;
        collapsed += send(snapshot, clearEvent(snapshot, ...named)).collapses?.length ?? 0;
        // Other lengths the second time: 1…4 instead of 0…2.
        runToEnd(snapshot, choose, (pick) => 1 + (pick % 4));
        expectExpansionsMatchSources(snapshot);
        for (const [taskId, expansion] of snapshot.expansions) {
          expect(snapshot.instances.has(taskId)).toBe(false);
          for (let i = 0; i < expansion.count; i++) expect(snapshot.instances.has(`${taskId}[${i}]`)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    // The property is about re-expansion: make sure the random runs did collapse mapped tasks.
    expect(collapsed).toBeGreaterThan(0);
  });

  it("clear random tasks with or without their downstream, after the run or while tries are in flight: no try starts against an expansion its sources no longer match", () => {
    let collapsed = 0;
    let stale = 0;
    fc.assert(
      fc.property(
        dagArb,
        fc.array(fc.nat({ max: 1_000 }), { minLength: 10, maxLength: 200 }),
        fc.nat({ max: 2 ** 7 - 1 }),
        fc.boolean(),
        fc.option(fc.nat({ max: 40 }), { nil: undefined }),
        (tasks, choices, clearMask, downstream, clearAfter) => {
          const snapshot = tracked(freshSnapshot(engineGraph(tasks)));
          send(snapshot, { kind: "run_started" });
          let step = 0;
          const choose = (): number => choices[step++ % choices.length] ?? 0;
          runOn(snapshot, choose, (pick) => pick % 3, clearAfter);
          const named = new Set(snapshot.graph.order.filter((_, i) => clearMask & (1 << i)));
          const keys = downstream ? withDownstream(snapshot, [...named]) : [...snapshot.instances.values()].filter((i) => named.has(i.taskId)).map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex }));
          // Instances already scheduled or in a try when the clear comes are left to run (the clear leaves them as they are).
          const waitingAtClear = new Map([...snapshot.instances].filter(([, i]) => i.state === "pending" || isTerminalTaskState(i.state)).map(([key, i]) => [key, i.tryNumber]));
          collapsed += send(snapshot, { kind: "instances_cleared", keys }).collapses?.length ?? 0;
          runOn(snapshot, choose, (pick) => 1 + (pick % 4));
          expect(isTerminalRunState(snapshot.state)).toBe(true);
          for (const [taskId, expansion] of snapshot.expansions) {
            const expected = expectedCount(snapshot, taskId);
            if (expected === undefined || expected === expansion.count) continue;
            // Kept through the clear: none of its instances that were waiting or ended then got a try after it.
            stale += 1;
            for (let i = 0; i < expansion.count; i++) {
              const key = instanceKey(taskId, i);
              const at = waitingAtClear.get(key);
              if (at !== undefined) expect({ key, tryNumber: snapshot.instances.get(key)?.tryNumber }).toEqual({ key, tryNumber: at });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(collapsed).toBeGreaterThan(0);
    expect(stale).toBeGreaterThan(0);
  });
});
