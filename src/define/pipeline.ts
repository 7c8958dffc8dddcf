// pipeline(options, build): the entry point of the authoring API. The builder records tasks as plain
// specs and returns typed references; nothing runs and nothing is validated beyond what only the
// builder can see (duplicate ids, references from another pipeline) — the graph compiler does the rest.
import type { z } from "zod";
import { isValidId } from "../common/ids.js";
import { PIPELINE_BRAND, type AnyTaskFunction, type DefinitionProblem, type MappingSpec, type PipelineSpec, type PipelineSpecOptions, type TaskSpec } from "./spec.js";
import type { TriggerRule } from "./trigger-rule-names.js";
import type {
  BranchChoice,
  EmptyParams,
  InputsFor,
  MapItem,
  MappedTaskOptions,
  MapSources,
  MultiMappedTaskOptions,
  Needs,
  CommonTaskOptions,
  RetryOptions,
  Schedule,
  ShellOptions,
  TaskContext,
  TaskOptions,
  TaskRef,
} from "./types.js";
import type { Duration } from "./duration.js";
import type { SensorCheck, SensorOptions, SensorProbe, SensorValue } from "./sensor.js";
import { sensorTaskSpec } from "./sensor-task.js";
import { isReference, NO_NEEDS, NO_OPTIONS, otherOptions, type FunctionTaskOptions } from "./task-options.js";

/** Options of `pipeline()`. */
export interface PipelineOptions<S extends z.ZodType | undefined = undefined, V extends z.ZodType | undefined = undefined> {
  /** Unique pipeline id: letters, digits, `_`, `.`, `-`. */
  id: string;
  description?: string;
  /** Cron ("0 2 * * *"), preset ("@daily"), interval ("15m"), or null for manual runs only (default). */
  schedule?: Schedule;
  /** IANA time zone the schedule is read in (default "UTC"). */
  timezone?: string;
  /** First logical date the schedule covers, e.g. "2025-09-01". */
  start?: string | Date;
  end?: string | Date;
  /** Create a run for every missed interval since `start` (default false: only the latest). */
  catchup?: boolean;
  tags?: readonly string[];
  /** Retry and timeout options for every task (a task's own options win). */
  defaults?: RetryOptions;
  /** A zod object schema: `--param k=v` values are coerced and validated against it. */
  params?: S;
  /** A zod schema for the payload of the events in `schedule.events`: validated before a run starts, `ctx.event` in tasks. */
  event?: V;
  /** Runs of this pipeline active at once (default 16). */
  maxActiveRuns?: number;
  /** Task instances of this pipeline running at once, across its runs. */
  maxActiveTasks?: number;
  /** A run still going after this long is failed (dagrun timeout). */
  timeout?: Duration;
  /** Notifiers told when a run fails (names configured with WEIR_NOTIFIER_<NAME>). */
  onFailure?: readonly string[];
  /** Notifiers told when a run succeeds. */
  onSuccess?: readonly string[];
  /** Alert `notify` once when a run is not done `after` its interval ends; the run goes on (README "Alerts"). */
  deadline?: { after: Duration; notify: readonly string[] };
}

/** What `ctx.event` holds: the payload type the `event` schema produces (an array of them for a batched schedule). */
export type EventOf<V, Sch> = [Sch] extends [{ batch: { max: number } }] ? EventPayload<V>[] : EventPayload<V>;
type EventPayload<V> = V extends z.ZodType ? z.output<V> : unknown;

/** The params type a schema produces. */
export type ParamsOf<S> = S extends z.ZodType ? z.output<S> : EmptyParams;

/** The params a caller gives for a schema (its input: fields with defaults may be left out). */
export type ParamsInOf<S> = S extends z.ZodType ? z.input<S> : EmptyParams;

/** Builds the tasks of one pipeline; received by the function passed to `pipeline()`. */
export interface PipelineBuilder<P, Ev = unknown> {
  /**
   * A task running a TypeScript function in a worker process. Returns a typed reference to its output.
   * @example
   * const extract = p.task("extract", async (ctx) => fetchRows(ctx.interval));
   * p.task("load", { needs: { extract }, retries: 3 }, async (_ctx, { extract }) => save(extract));
   */
  task<R>(id: string, fn: (ctx: TaskContext<P, Ev>) => R | Promise<R>): TaskRef<Awaited<R>>;
  task<N extends Needs = Record<never, never>, R = unknown, Tr extends TriggerRule = "all_success">(
    id: string,
    options: TaskOptions<P, N, Tr> & { map?: undefined },
    fn: (ctx: TaskContext<P, Ev>, inputs: NoInfer<InputsFor<N, Tr>>) => R | Promise<R>,
  ): TaskRef<Awaited<R>>;
  /**
   * A mapped task: one instance per element of `map` at run time (`ctx.mapIndex` 0…n-1); a downstream that
   * `needs` it receives the array of results in map-index order. An empty array makes it `skipped`.
   * @example
   * const segments = p.task("segments", async () => ["eu", "us"]);
   * const train = p.task("train", { map: segments, maxParallel: 4 }, async (_ctx, segment) => ({ segment, auc: 0.7 }));
   * p.task("best", { needs: { train } }, async (_ctx, { train }) => train.sort((a, b) => b.auc - a.auc)[0]);
   */
  task<E, N extends Needs = Record<never, never>, R = unknown, Tr extends TriggerRule = "all_success">(
    id: string,
    options: MappedTaskOptions<P, N, E, Tr>,
    fn: (ctx: TaskContext<P, Ev>, item: E, inputs: NoInfer<InputsFor<N, Tr>>) => R | Promise<R>,
  ): TaskRef<Awaited<R>[]>;
  /**
   * A task mapped over several upstream arrays: `map: { a, b }` zips them (instance i gets `{ a: a[i], b: b[i] }`);
   * with `mapMode: "product"` there is one instance per combination.
   * @example
   * const days = p.task("days", async () => ["mon", "tue"]);
   * const shops = p.task("shops", async () => [1, 2, 3]);
   * p.task("report", { map: { day: days, shop: shops }, mapMode: "product" }, async (_ctx, { day, shop }) => `${day}:${shop}`);
   */
  task<M extends MapSources, N extends Needs = Record<never, never>, R = unknown, Tr extends TriggerRule = "all_success">(
    id: string,
    options: MultiMappedTaskOptions<P, N, M, Tr>,
    fn: (ctx: TaskContext<P, Ev>, item: MapItem<M>, inputs: NoInfer<InputsFor<N, Tr>>) => R | Promise<R>,
  ): TaskRef<Awaited<R>[]>;

  /**
   * A branch: its function returns the direct downstream task(s) to follow; the other direct downstream tasks
   * are `skipped`, and the skips propagate by trigger rules (a join after a branch wants
   * `trigger: "none_failed_min_one_success"`). Returning `[]` follows none. The output is the followed ids.
   * @example
   * const pick = p.branch("pick", { needs: { score } }, (_ctx, { score }) => (score > 0.8 ? ship : hold));
   * const ship = p.task("ship", { after: [pick] }, async () => "shipped");
   * const hold = p.task("hold", { after: [pick] }, async () => "held");
   */
  branch(id: string, fn: (ctx: TaskContext<P, Ev>) => BranchChoice | Promise<BranchChoice>): TaskRef<string[]>;
  branch<N extends Needs = Record<never, never>, Tr extends TriggerRule = "all_success">(
    id: string,
    options: TaskOptions<P, N, Tr> & { map?: undefined },
    fn: (ctx: TaskContext<P, Ev>, inputs: NoInfer<InputsFor<N, Tr>>) => BranchChoice | Promise<BranchChoice>,
  ): TaskRef<string[]>;

  /**
   * A short-circuit (Airflow's ShortCircuitOperator): when its function returns false, everything downstream of
   * it — directly or not, whatever their trigger rules — is `skipped`; when it returns true, nothing changes.
   * @example
   * const isWeekday = p.shortCircuit("is_weekday", (ctx) => ctx.logicalDate.getUTCDay() % 6 !== 0);
   * p.task("report", { after: [isWeekday] }, async () => "sent");
   */
  shortCircuit(id: string, fn: (ctx: TaskContext<P, Ev>) => boolean | Promise<boolean>): TaskRef<boolean>;
  shortCircuit<N extends Needs = Record<never, never>, Tr extends TriggerRule = "all_success">(
    id: string,
    options: TaskOptions<P, N, Tr> & { map?: undefined },
    fn: (ctx: TaskContext<P, Ev>, inputs: NoInfer<InputsFor<N, Tr>>) => boolean | Promise<boolean>,
  ): TaskRef<boolean>;

  /**
   * A task running a command through /bin/sh. A non-zero exit fails the try; stdout and stderr go to
   * the try's log; the output is the last non-empty line of stdout. Params and run facts are in the
   * environment as WEIR_* variables (never interpolated into the command).
   * @example
   * p.shell("publish", { after: [load] }, "echo published $WEIR_LOGICAL_DATE");
   */
  shell(id: string, command: string): TaskRef<string>;
  shell(id: string, options: ShellOptions, command: string): TaskRef<string>;

  /**
   * A sub-pipeline: starts a run of another pipeline (same logical date and data interval) and waits for it
   * without holding a worker; the child run's outcome is this task's (docs/caching.md § sub-pipelines). The
   * other pipeline must be defined in this file or registered with the scheduler; `params` must match its
   * params type. The output is `{ runId, pipelineId, state }` of the child run.
   * @example
   * import reporting from "./reporting.js";
   * p.pipeline("report", { pipeline: reporting, params: { region: "eu" }, after: [load] });
   * // Mapped: one child run per element, its params over `params`; the output is every run's result.
   * p.pipeline("reports", { pipeline: reporting, map: { region: regions }, params: { days: 7 } });
   */
  pipeline<Q>(id: string, options: MappedSubPipelineOptions<Q>): TaskRef<SubPipelineResult[]>;
  pipeline<Q>(id: string, options: SubPipelineOptions<Q>): TaskRef<SubPipelineResult>;

  /**
   * A sensor: waits until `check` says done (docs/sensors.md). `false` is "not yet", `true` is "done", any other
   * value is "done" and is the output downstream tasks receive. By default it waits in `deferred` without a
   * worker slot and a trigger loop (`weir triggerer`, started by `weir dev`) runs each check.
   * @example
   * const landed = p.sensor("landed", { pokeInterval: "30s", timeout: "6h" }, fileSensor({ path: "/data/in.csv" }));
   * p.task("load", { needs: { landed } }, async (_ctx, { landed }) => landed.path);
   */
  sensor<R>(id: string, check: SensorCheck<P, Ev, R> | SensorProbe<R>): TaskRef<SensorValue<R>>;
  sensor<R>(id: string, options: SensorOptions, check: SensorCheck<P, Ev, R> | SensorProbe<R>): TaskRef<SensorValue<R>>;
}

/** Options of `p.pipeline`: the pipeline to run and its params (optional when it needs none). */
export type SubPipelineOptions<Q> = CommonTaskOptions & { pipeline: Pipeline<unknown, Q> } & (Record<never, never> extends Q ? { params?: NoInfer<Q> } : { params: NoInfer<Q> });

/**
 * Options of a mapped `p.pipeline`: one child run per element of `map`, each element giving params of its run
 * over the constant `params` — an array of params objects, or `{ name: array }` zipped (or crossed with
 * `mapMode: "product"`) into `{ name: element }`. The merged params are checked by the other pipeline's schema
 * when each run is created (docs/caching.md § sub-pipelines).
 */
export type MappedSubPipelineOptions<Q> = CommonTaskOptions & {
  pipeline: Pipeline<unknown, Q>;
  params?: NoInfer<Partial<Q>>;
  /** At most this many of its child runs at once (the child pipeline's maxActiveRuns holds as well). */
  maxParallel?: number;
} & ({ map: TaskRef<readonly NoInfer<Partial<Q>>[]>; mapMode?: undefined } | { map: { [K in keyof Q]?: TaskRef<readonly NoInfer<Q>[K][]> }; mapMode?: "zip" | "product" });

/** What a sub-pipeline task returns: the child run that succeeded. */
export interface SubPipelineResult {
  runId: string;
  pipelineId: string;
  state: "success";
}

/** A defined pipeline: export it (default or named) from a pipeline file. */
export interface Pipeline<P = EmptyParams, PI = P> {
  readonly [PIPELINE_BRAND]: true;
  readonly id: string;
  readonly spec: PipelineSpec;
  /** Phantom: the params type, for sub-pipelines and typed triggers. */
  readonly __params?: P;
  /** Phantom: the params a caller gives (the schema's input), for `p.pipeline`. */
  readonly __paramsIn?: PI;
}

/**
 * Defines a pipeline.
 * @example
 * import { pipeline } from "weir";
 * export default pipeline({ id: "etl_daily", schedule: "@daily", start: "2025-09-01" }, (p) => {
 *   const extract = p.task("extract", async () => [1, 2, 3]);
 *   p.task("load", { needs: { extract } }, async (_ctx, { extract }) => extract.length);
 * });
 */
export function pipeline<S extends z.ZodType | undefined = undefined, V extends z.ZodType | undefined = undefined, Sch extends Schedule = Schedule>(
  options: PipelineOptions<S, V> & { schedule?: Sch },
  build: (p: PipelineBuilder<ParamsOf<S>, EventOf<V, Sch>>) => void,
): Pipeline<ParamsOf<S>, ParamsInOf<S>> {
  const spec: PipelineSpec = { options: { ...options } as PipelineSpecOptions, tasks: [], problems: [] };
  const taken = new Set<string>();

  const problem = (p: DefinitionProblem): void => {
    spec.problems.push(p);
  };

  const refId = (ref: unknown, task: string, where: string): string | null => {
    if (typeof ref !== "object" || ref === null || typeof (ref as { id?: unknown }).id !== "string") {
      problem({ code: "reference_invalid", message: `${where} of task ${task} is not a task reference`, task });
      return null;
    }
    const id = (ref as { id: string }).id;
    // A reference made by another pipeline's builder (or by hand, in JavaScript) is resolved by id;
    // the graph compiler reports it if no such task exists here.
    return id;
  };

  /** Records a task (`task.id` is checked here) and returns its reference. */
  const add = (task: TaskSpec): TaskRef<never> => {
    const id = task.id;
    // One set operation per task: a duplicate is an id that didn't make the set grow.
    const before = taken.size;
    taken.add(id);
    if (typeof id !== "string" || !isValidId(id)) {
      problem({ code: "task_id_invalid", message: `task id ${JSON.stringify(id)} must match [A-Za-z0-9_.-]{1,250}`, task: String(id) });
    } else if (taken.size === before) {
      problem({ code: "task_duplicate", message: `task id "${id}" is defined twice`, task: id });
    }
    spec.tasks.push(task);
    // The output-type brand exists only in the type: references are made here and nowhere else.
    return Object.freeze({ kind: "task" as const, id }) as unknown as TaskRef<never>;
  };

  /** `map: ref` or `map: { name: ref, … }` (with `mapMode`) as a MappingSpec, or null when not mapped. */
  const collectMapping = (id: string, map: unknown, mapMode: unknown, maxParallel: unknown): MappingSpec | null => {
    if (map === undefined || map === null) {
      if (mapMode !== undefined) problem({ code: "task_option_invalid", message: `mapMode of task ${id} needs a map of upstreams`, task: id });
      if (maxParallel !== undefined) problem({ code: "task_option_invalid", message: `maxParallel of task ${id} applies only to a mapped task (one with map)`, task: id });
      return null;
    }
    const spec: MappingSpec = { mode: "item", over: {} };
    if (maxParallel !== undefined) spec.maxParallel = maxParallel;
    if (isReference(map)) {
      if (mapMode !== undefined) problem({ code: "task_option_invalid", message: `mapMode of task ${id} applies to a map of several upstreams ({ a, b })`, task: id });
      const up = refId(map, id, "map");
      if (up !== null) spec.over.item = up;
      return spec;
    }
    if (typeof map !== "object" || Array.isArray(map)) {
      problem({ code: "reference_invalid", message: `map of task ${id} must be a task reference or an object of task references`, task: id });
      return null;
    }
    if (mapMode !== undefined && mapMode !== "zip" && mapMode !== "product") {
      problem({ code: "task_option_invalid", message: `mapMode of task ${id} must be "zip" or "product", got ${JSON.stringify(mapMode)}`, task: id });
    }
    spec.mode = mapMode === "product" ? "product" : "zip";
    const entries = Object.entries(map as Record<string, unknown>);
    if (entries.length === 0) problem({ code: "task_option_invalid", message: `map of task ${id} names no upstream`, task: id });
    for (const [name, ref] of entries) {
      const up = refId(ref, id, `map.${name}`);
      if (up !== null) spec.over[name] = up;
    }
    return spec;
  };

  const collectUpstream = (id: string, options: { needs?: Needs; after?: readonly TaskRef<unknown>[] }) => {
    let needs: Record<string, string> = NO_NEEDS;
    if (options.needs !== undefined) {
      needs = {};
      for (const [name, ref] of Object.entries(options.needs)) {
        const up = refId(ref, id, `needs.${name}`);
        if (up !== null) needs[name] = up;
      }
    }
    let after: string[] = [];
    if (options.after !== undefined && !Array.isArray(options.after)) {
      problem({ code: "reference_invalid", message: `after of task ${id} must be an array of task references`, task: id });
    } else if (options.after !== undefined) {
      // Plain loops: a generated pipeline calls this 100k times (no iterator or entry pairs per reference).
      // Sized up front, it has room for exactly its ids: an array grown by push from empty has room for 17
      // (150 bytes a task, kept as long as the pipeline and copied by every scavenge while it is young).
      const refs = options.after;
      after = new Array<string>(refs.length);
      let kept = 0;
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i] as unknown;
        const up = typeof ref === "object" && ref !== null && typeof (ref as { id?: unknown }).id === "string" ? (ref as { id: string }).id : refId(ref, id, `after[${i}]`);
        if (up !== null) after[kept++] = up;
      }
      if (kept < after.length) after.length = kept;
    }
    return { needs, after };
  };

  const addFunction = (id: string, a: unknown, b: unknown, branch?: "choose" | "short_circuit"): TaskRef<never> => {
    const fn = (b === undefined ? a : b) as AnyTaskFunction;
    const options = (b === undefined ? NO_OPTIONS : (a ?? NO_OPTIONS)) as FunctionTaskOptions;
    if (typeof fn !== "function") {
      problem({ code: "task_function_missing", message: `task ${id} needs a function`, task: id });
    }
    const upstream = collectUpstream(id, options);
    const { map, mapMode, maxParallel } = options;
    if (branch !== undefined && map !== undefined) {
      // Not supported: one instance's choice would skip tasks the other instances chose (docs/mapping.md).
      const kind = branch === "choose" ? "branch" : "short-circuit";
      problem({ code: "task_option_invalid", message: `${kind} task ${id} can't be mapped (map is not supported on p.${branch === "choose" ? "branch" : "shortCircuit"}): ${kind} on the mapped results instead, with needs`, task: id });
    }
    const mapping = branch === undefined ? collectMapping(id, map, mapMode, maxParallel) : null;
    const first = mapping === null ? null : (Object.values(mapping.over)[0] ?? null);
    const task: TaskSpec = { id, kind: branch === undefined ? "function" : "branch", needs: upstream.needs, after: upstream.after, map: first, mapping, options: otherOptions(options), fn };
    if (branch !== undefined) task.branch = branch;
    return add(task);
  };

  const builder: PipelineBuilder<ParamsOf<S>, EventOf<V, Sch>> = {
    task(id: string, a: unknown, b?: unknown): TaskRef<never> {
      return addFunction(id, a, b);
    },
    branch(id: string, a: unknown, b?: unknown): TaskRef<never> {
      return addFunction(id, a, b, "choose");
    },
    shortCircuit(id: string, a: unknown, b?: unknown): TaskRef<never> {
      return addFunction(id, a, b, "short_circuit");
    },
    shell(id: string, a: unknown, b?: unknown): TaskRef<never> {
      const command = (b === undefined ? a : b) as string;
      const options = (b === undefined ? {} : (a ?? {})) as ShellOptions;
      if (typeof command !== "string" || command.trim() === "") {
        problem({ code: "shell_command_missing", message: `shell task ${id} needs a command string`, task: id });
      }
      const { after, env, cwd, ...rest } = options;
      const upstream = collectUpstream(id, { after });
      const task: TaskSpec = { id, kind: "shell", ...upstream, map: null, options: rest, command };
      if (env !== undefined) task.env = env;
      if (cwd !== undefined) task.cwd = cwd;
      return add(task);
    },
    sensor(id: string, a: unknown, b?: unknown): TaskRef<never> {
      const { options: given, spec: sensorSpec } = sensorTaskSpec(id, a, b, problem);
      return add({ id, ...sensorSpec, ...collectUpstream(id, { after: given.after }) });
    },
    pipeline(id: string, given: unknown): TaskRef<never> {
      const { pipeline: other, params, after, map, mapMode, maxParallel, ...rest } = (given ?? {}) as CommonTaskOptions & { pipeline?: unknown; params?: unknown; map?: unknown; mapMode?: unknown; maxParallel?: unknown };
      let pipelineId = "";
      if (!isPipeline(other)) problem({ code: "sub_pipeline_invalid", message: `task ${id}: pipeline must be a pipeline made by pipeline() (import it from its file)`, task: id });
      else if (other.id === options?.id) problem({ code: "sub_pipeline_invalid", message: `task ${id}: a pipeline can't run itself as a sub-pipeline`, task: id });
      else pipelineId = other.id;
      if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
        problem({ code: "sub_pipeline_invalid", message: `task ${id}: params must be an object of the other pipeline's params`, task: id });
      }
      const upstream = collectUpstream(id, { after });
      const subPipeline = { pipelineId, params: (params ?? {}) as Record<string, unknown> };
      // Mapped: one child run per element, its params merged over `params` by the scheduler (sub-runs.ts).
      const mapping = collectMapping(id, map, mapMode, maxParallel);
      const first = mapping === null ? null : (Object.values(mapping.over)[0] ?? null);
      return add({ id, kind: "pipeline", ...upstream, map: first, mapping, options: rest, subPipeline });
    },
  } as PipelineBuilder<ParamsOf<S>, EventOf<V, Sch>>;

  if (typeof options?.id !== "string" || !isValidId(options.id)) {
    problem({ code: "pipeline_id_invalid", message: `pipeline id ${JSON.stringify(options?.id)} must match [A-Za-z0-9_.-]{1,250}` });
  }
  try {
    build(builder);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problem({ code: "pipeline_build_failed", message: `building the pipeline threw: ${message}` });
  }
  return Object.freeze({ [PIPELINE_BRAND]: true as const, id: String(options?.id), spec });
}

/** True for objects made by `pipeline()`, also from another copy of the package. */
export function isPipeline(value: unknown): value is Pipeline<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PIPELINE_BRAND] === true;
}
