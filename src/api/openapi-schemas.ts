// JSON Schemas of the API's shapes (types.ts) for the OpenAPI document: written once here, next to the
// types, and checked by test/api/openapi.test.ts to cover every schema a route names.
import { RUN_STATES, TASK_STATES, TRY_STATES, TRIGGER_RULES } from "../engine/states.js";
import { REPROCESS_MODES } from "../time/index.js";

type Schema = Record<string, unknown>;

const str: Schema = { type: "string" };
const int: Schema = { type: "integer" };
const bool: Schema = { type: "boolean" };
const time: Schema = { type: "string", format: "date-time" };
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const array = (items: Schema): Schema => ({ type: "array", items });
const strings = array(str);
const oneOfStrings = (values: readonly string[]): Schema => ({ type: "string", enum: [...values] });
/** Every listed property is required unless its name ends with "?". */
function object(properties: Record<string, Schema>, extra: Schema = {}): Schema {
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [key, schema] of Object.entries(properties)) {
    const optional = key.endsWith("?");
    const name = optional ? key.slice(0, -1) : key;
    props[name] = schema;
    if (!optional) required.push(name);
  }
  return { type: "object", properties: props, required, ...extra };
}
const page = (item: string): Schema => object({ items: array(ref(item)), next: nullable(str), "total?": int });

const runState = oneOfStrings(RUN_STATES);
const taskState = oneOfStrings(TASK_STATES);
const stateCounts: Schema = { type: "object", additionalProperties: int, description: "task state → number of instances" };

const runSummary = {
  id: str,
  pipeline: str,
  state: runState,
  trigger: oneOfStrings(["manual", "scheduled", "backfill", "event"]),
  logicalDate: time,
  intervalStart: time,
  intervalEnd: time,
  backfillId: nullable(str),
  createdAt: time,
  startedAt: nullable(time),
  endedAt: nullable(time),
};

const pipelineSummary = {
  id: str,
  description: nullable(str),
  file: str,
  version: str,
  paused: bool,
  tags: strings,
  schedule: nullable(str),
  scheduleText: str,
  timezone: str,
  nextRunAt: nullable(time),
  recentRuns: array(ref("RunSummary")),
};

const backfillView = object({
  id: str,
  pipeline: str,
  state: oneOfStrings(["running", "success", "failed", "canceled"]),
  from: time,
  to: time,
  concurrency: { type: "integer", description: "0: unlimited" },
  reprocess: oneOfStrings(REPROCESS_MODES),
  createdAt: time,
  endedAt: nullable(time),
  runCounts: { type: "object", additionalProperties: int },
});

export const COMPONENT_SCHEMAS: Record<string, Schema> = {
  SensorWaitView: object({
    taskId: str,
    mapIndex: int,
    tryNumber: int,
    status: oneOfStrings(["waiting", "answered"]),
    waitsFor: str,
    firstCheckAt: time,
    nextCheckAt: nullable(time),
    lastCheckAt: nullable(time),
    checks: int,
    pokeIntervalMs: int,
    timeoutAt: nullable(time),
    softFail: bool,
  }),
  SensorWaitList: object({ items: array(ref("SensorWaitView")) }),
  EventDeliveryView: object({ pipeline: str, outcome: oneOfStrings(["started", "superseded", "rejected"]), runId: nullable(str), reason: nullable(str), at: time }),
  EventView: object({ id: str, name: str, payload: { description: "the event's JSON payload, as sent" }, receivedAt: time, subscribers: strings, deliveries: array(ref("EventDeliveryView")), runIds: strings, pending: strings }),
  EventList: page("EventView"),
  EventPayload: { description: "a JSON value: the event's payload (an empty body is null)" },
  ApiError: object({ error: object({ code: str, message: str, "where?": { type: "object", additionalProperties: { anyOf: [str, int] } } }) }),
  TaskFailure: object({ name: str, message: str, "stack?": str, retryable: bool, kind: oneOfStrings(["error", "timeout", "lost", "canceled"]) }),
  StateCounts: stateCounts,
  RunSummary: object(runSummary),
  RunDetail: object({ ...runSummary, version: str, params: { type: "object" }, taskCounts: { type: "object", additionalProperties: stateCounts }, order: strings }),
  RunPage: page("RunSummary"),
  PipelineSummary: object(pipelineSummary),
  LoadError: object({ file: str, message: str, "task?": str }),
  PipelineList: object({ pipelines: array(ref("PipelineSummary")), loadErrors: array(ref("LoadError")) }),
  TaskNodeView: object({
    id: str,
    kind: oneOfStrings(["function", "shell", "sensor", "branch", "pipeline"]),
    upstream: strings,
    trigger: oneOfStrings(TRIGGER_RULES),
    map: nullable(str),
    retries: int,
    timeoutMs: nullable(int),
    queue: str,
    pool: str,
    priority: int,
    cache: bool,
    description: nullable(str),
    command: nullable(str),
  }),
  PipelineDetail: object({
    ...pipelineSummary,
    paramsSchema: nullable({ type: "object", description: "JSON Schema of the params" }),
    maxActiveRuns: int,
    maxActiveTasks: nullable(int),
    start: nullable(str),
    end: nullable(str),
    catchup: bool,
    tasks: array(ref("TaskNodeView")),
    order: strings,
    "taskCount?": int,
    "tasksTruncated?": bool,
  }),
  GraphView: object({ pipeline: str, version: str, tasks: array(ref("TaskNodeView")), edges: array(object({ from: str, to: str })), order: strings, runId: nullable(str), counts: { type: "object", additionalProperties: stateCounts }, "collapsed?": bool, "taskCount?": int, "groups?": { type: "object", additionalProperties: ref("TaskGroupView") } }),
  TaskGroupView: object({ size: int, tasks: strings }),
  GridView: object({ runs: array(ref("RunSummary")), tasks: strings, cells: array(array(nullable(taskState))) }),
  TaskInstanceView: object({ taskId: str, mapIndex: int, state: taskState, tryNumber: int, cached: bool, startedAt: nullable(time), endedAt: nullable(time), retryAt: nullable(time) }),
  TaskInstancePage: page("TaskInstanceView"),
  TryView: object({ taskId: str, mapIndex: int, tryNumber: int, state: oneOfStrings(TRY_STATES), queuedAt: time, startedAt: nullable(time), endedAt: nullable(time), worker: nullable(str), error: nullable(ref("TaskFailure")) }),
  TryList: array(ref("TryView")),
  LogChunk: object({ text: str, offset: int, nextOffset: int, complete: bool }),
  GanttView: object({ runId: str, startedAt: nullable(time), endedAt: nullable(time), tries: array(object({ taskId: str, mapIndex: int, tryNumber: int, state: oneOfStrings(TRY_STATES), queuedAt: time, startedAt: nullable(time), endedAt: nullable(time) })), truncated: bool }),
  TriggerRequest: object({ "params?": { type: "object", description: "JSON values, validated by the pipeline's params schema" }, "logicalDate?": str, "rawParams?": { type: "object", additionalProperties: str } }, { additionalProperties: false }),
  ClearRequest: object({ "tasks?": strings, "downstream?": bool, "failedOnly?": bool }, { additionalProperties: false }),
  ClearResponse: object({
    run: ref("RunDetail"),
    cleared: array(object({ taskId: str, mapIndex: int, from: taskState, to: taskState, nextTry: nullable(int) })),
    inFlight: array(object({ taskId: str, mapIndex: int, state: taskState })),
    takenOverBy: nullable(str),
  }),
  MarkRequest: object({ state: oneOfStrings(["success", "failed"]), "mapIndex?": int }, { additionalProperties: false }),
  MarkResponse: object({ run: ref("RunDetail"), instance: ref("TaskInstanceView") }),
  BackfillRequest: object({ pipeline: str, from: str, to: str, "concurrency?": int, "reprocess?": oneOfStrings(REPROCESS_MODES), "dryRun?": bool }, { additionalProperties: false }),
  BackfillView: backfillView,
  BackfillList: page("BackfillView"),
  BackfillResponse: object({
    dryRun: bool,
    intervals: array(
      object({
        logicalDate: time,
        intervalStart: time,
        intervalEnd: time,
        action: oneOfStrings(["create", "skip", "rerun"]),
        existingRunId: nullable(str),
        existingState: nullable(runState),
        detail: oneOfStrings(["create", "rerun", "rerun_failed", "skip_success", "skip_failed", "skip_running"]),
      }),
    ),
    backfill: nullable(ref("BackfillView")),
  }),
  PoolView: object({ name: str, slots: int, used: int, queued: int, description: nullable(str) }),
  PoolList: page("PoolView"),
  PoolRequest: object({ slots: int, "description?": str }, { additionalProperties: false }),
  Health: object({ ok: bool, store: oneOfStrings(["sqlite", "postgres"]), scheduler: object({ live: bool, inProcess: bool }) }),
  LiveEvent: {
    oneOf: [
      object({ kind: { const: "run" }, run: ref("RunSummary") }),
      object({ kind: { const: "task" }, runId: str, taskId: str, mapIndex: int, state: taskState, tryNumber: int }),
      object({ kind: { const: "pipeline" }, pipeline: str, paused: bool }),
      object({ kind: { const: "backfill" }, backfill: ref("BackfillView") }),
    ],
  },
};
