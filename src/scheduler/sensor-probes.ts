// Checks the trigger loop answers itself, from a database, instead of in a worker (docs/sensors.md): another
// pipeline's state in Weir's own store (the external-task sensor) and a SQL query on the user's database
// (the driver lives only in the store). Neither runs user code.
import type { ExternalProbe, SqlProbe } from "../define/sensor.js";
import { runSqlProbe } from "../store/sql-probe.js";
import type { Store } from "../store/types.js";
import type { TryJob, TryResult } from "../worker/protocol.js";
import { encodeValue } from "../worker/value-codec.js";

/** What one check came to: not yet, or the try's final result. */
export type CheckAnswer = { kind: "not_yet" } | { kind: "done"; result: TryResult };

const NOT_YET: CheckAnswer = { kind: "not_yet" };

export async function answerProbe(probe: SqlProbe | ExternalProbe, job: TryJob, store: Store, timeoutMs: number): Promise<CheckAnswer> {
  return probe.kind === "sql" ? answerSql(probe, timeoutMs) : answerExternal(probe, job, store);
}

async function answerExternal(probe: ExternalProbe, job: TryJob, store: Store): Promise<CheckAnswer> {
  const logicalDateMs = job.logicalDateMs + probe.offsetMs;
  const found = await store.sensors.externalState(probe.pipelineId, logicalDateMs, probe.taskId);
  if (found === null) return NOT_YET;
  const states = probe.taskId === null ? [found.runState] : found.taskStates;
  if (states.length === 0) return NOT_YET;
  const what = `${probe.pipelineId}${probe.taskId === null ? "" : ` task ${probe.taskId}`} (run ${found.runId})`;
  if (states.some((s) => probe.failedStates.includes(s))) {
    const message = `${what} is ${states.find((s) => probe.failedStates.includes(s))}`;
    return { kind: "done", result: { outcome: "failure", error: { name: "ExternalTaskFailedError", message, retryable: false, kind: "error" } } };
  }
  if (!states.every((s) => probe.states.includes(s))) return NOT_YET;
  const state = states[0] as string;
  return { kind: "done", result: { outcome: "success", output: encodeValue({ runId: found.runId, state }, `sensor ${job.taskId}`) } };
}

async function answerSql(probe: SqlProbe, timeoutMs: number): Promise<CheckAnswer> {
  const row = await runSqlProbe(probe, timeoutMs);
  if (row === null) return NOT_YET;
  if (probe.until === "truthy" && !Object.values(row)[0]) return NOT_YET;
  return { kind: "done", result: { outcome: "success", output: encodeValue(row, "SQL sensor row") } };
}
