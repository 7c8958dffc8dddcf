// What a try's end becomes as a TryResult: a function task's return value (a branch's choice checked, an
// output encoded and stored when large), and the error boundary (what a thrown value becomes). Kept apart
// from run-try.ts, which drives the try.
import type { TaskSpec } from "../define/spec.js";
import type { TaskFailure } from "../engine/types.js";
import type { LoadedPipeline } from "./load-pipeline-file.js";
import type { TryJob, TryResult } from "./protocol.js";
import { storeOutput } from "./task-data.js";
import { encodeValue } from "./value-codec.js";

/** A function task's result from what it returned: a branch's choice, or its output encoded (and stored when large). */
export function outcomeOf(task: TaskSpec, pipeline: LoadedPipeline, job: TryJob, output: unknown): TryResult {
  if (task.kind === "branch") return branchResult(task, pipeline, output);
  let encoded: string;
  try {
    encoded = encodeValue(output, `task "${job.taskId}"`);
  } catch (error) {
    return failure("OutputNotSerializableError", (error as Error).message, false);
  }
  // Written (atomically) before the success is reported, so the committed reference always has its object.
  return { outcome: "success", output: storeOutput(encoded, job) };
}

export function failure(name: string, message: string, retryable: boolean, stack?: string): TryResult {
  const error: TaskFailure = { name, message, retryable, kind: "error" };
  if (stack !== undefined) error.stack = stack;
  return { outcome: "failure", error };
}

/** The error boundary: SkipTask and FailWithoutRetry are recognized by name (from whichever copy of weir). */
export function failureResult(error: unknown, uncaught: boolean): TryResult {
  if (error instanceof Error) {
    const name = error.name || error.constructor?.name || "Error";
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: error.message };
    return failure(name, error.message, name !== "FailWithoutRetry", error.stack);
  }
  if (typeof error === "object" && error !== null && typeof (error as { name?: unknown }).name === "string") {
    const { name, message } = error as { name: string; message?: unknown };
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: String(message ?? "") };
    return failure(name, String(message ?? ""), name !== "FailWithoutRetry");
  }
  return failure("Error", `the task threw a non-error value: ${describeThrown(error)}`, true);
}

export function internalFailure(error: unknown): TryResult {
  const result = failureResult(error, true);
  if (result.outcome === "failure") result.error.retryable = true;
  return result;
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}

/**
 * What a branch returned, checked: task references (or a boolean, for a short-circuit) naming direct
 * downstream tasks. Anything else fails the try without retry (the code, not the data, is wrong).
 */
function branchResult(task: TaskSpec, pipeline: LoadedPipeline, returned: unknown): TryResult {
  const downstream = directDownstream(pipeline).get(task.id) ?? [];
  if (task.branch === "short_circuit") {
    const follow = returned ? [...downstream] : [];
    return { outcome: "success", output: encodeValue(Boolean(returned), `task "${task.id}"`), follow };
  }
  const refs = returned === null || returned === undefined ? [] : Array.isArray(returned) ? returned : [returned];
  const follow: string[] = [];
  for (const ref of refs) {
    const id = typeof ref === "object" && ref !== null && (ref as { kind?: unknown }).kind === "task" ? (ref as { id?: unknown }).id : undefined;
    if (typeof id !== "string") {
      return failure("BranchChoiceError", `branch ${task.id} must return task references (or an array of them), got ${describeThrown(ref)}`, false);
    }
    if (!downstream.includes(id)) {
      const known = downstream.length > 0 ? downstream.join(", ") : "none";
      return failure("BranchChoiceError", `branch ${task.id} returned task ${id}, which is not directly downstream of it (its direct downstream: ${known})`, false);
    }
    if (!follow.includes(id)) follow.push(id);
  }
  return { outcome: "success", output: encodeValue(follow, `task "${task.id}"`), follow };
}

const downstreamIndexes = new WeakMap<LoadedPipeline, Map<string, string[]>>();
function directDownstream(pipeline: LoadedPipeline): Map<string, string[]> {
  let index = downstreamIndexes.get(pipeline);
  if (!index) {
    index = new Map();
    for (const t of pipeline.graph.tasks) {
      for (const up of t.upstream) {
        const list = index.get(up) ?? [];
        list.push(t.id);
        index.set(up, list);
      }
    }
    downstreamIndexes.set(pipeline, index);
  }
  return index;
}
