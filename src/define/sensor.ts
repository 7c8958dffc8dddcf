// Sensors (`p.sensor`, docs/sensors.md): a task that waits for a condition. What the builder records for
// one, and the functions a worker runs for it: one check per try in the trigger loop's workers (deferred
// mode), or a loop of checks inside one try (worker mode).
import type { Duration } from "./duration.js";
import type { TaskContext } from "./types.js";
import type { CommonTaskOptions } from "./types.js";

/** A check: `false` is "not yet", `true` is "done", every other value is "done" and becomes the output. */
export type SensorCheck<P, Ev, R> = (ctx: TaskContext<P, Ev>) => R | Promise<R>;

/** The output of a sensor whose check returns R: R without its booleans, or `undefined` when only booleans remain. */
export type SensorValue<R> = [Exclude<Awaited<R>, boolean>] extends [never] ? undefined : Exclude<Awaited<R>, boolean>;

declare const probeOutput: unique symbol;

/**
 * A check answered by the trigger loop itself from a database instead of by code in a worker: a SQL query
 * (the SQL driver lives only in the store) or another pipeline's state in Weir's own store. Made by
 * `sqlSensor` and `externalTaskSensor` (src/operators/sensors), never by hand.
 */
export interface SensorProbe<T> {
  readonly kind: "sensor_probe";
  readonly probe: SqlProbe | ExternalProbe;
  /** Phantom: the output type. */
  readonly [probeOutput]?: T;
}

export interface SqlProbe {
  kind: "sql";
  /** A SQLite file path (or `sqlite:` URL) or a `postgres://` URL. */
  url: string;
  query: string;
  params: (string | number | null)[];
  /** "row": done when the query returns a row; "truthy": when the first column of the first row is truthy. */
  until: "row" | "truthy";
}

export interface ExternalProbe {
  kind: "external";
  pipelineId: string;
  /** null: the run's state; else that task's (every instance of it, for a mapped task). */
  taskId: string | null;
  /** Done when the state is one of these. */
  states: string[];
  /** Failed at once when the state is one of these (e.g. ["failed"]). */
  failedStates: string[];
  /** The other run's logical date = this run's logical date + offsetMs. */
  offsetMs: number;
}

export interface SensorOptions extends Omit<CommonTaskOptions, "timeout"> {
  /** Time between checks (default "60s"). */
  pokeInterval?: Duration;
  /** Give up this long after the first check: the sensor fails (or, with softFail, is skipped). Default: never. */
  timeout?: Duration;
  /** On timeout end `skipped` instead of `failed`. */
  softFail?: boolean;
  /**
   * "deferred" (default): between checks the task waits in `deferred`, holding no worker slot, and a trigger
   * loop process (`weir triggerer`) runs each check. "worker": the checks loop inside one try, holding its slot.
   */
  mode?: "deferred" | "worker";
  /** What it waits for, shown by the API and UI (default: the check's own description, or "a condition"). */
  waitsFor?: string;
}

/** What the builder records of a sensor (checked and converted by the graph compiler). */
export interface SensorSpec {
  mode: unknown;
  pokeInterval: unknown;
  timeout: unknown;
  softFail: unknown;
  waitsFor: string;
  probe: SqlProbe | ExternalProbe | null;
  /** The user's check, for the code hash (the function a worker runs is a wrapper, the same for every sensor). */
  check: unknown;
}

/** Thrown by a deferred check that said "not yet": the trigger loop reads it by name, it is no failure. */
export const SENSOR_NOT_READY = "SensorNotReady";

/** Set in the trigger loop's worker processes: there a deferred sensor's try is one check, not a loop. */
export const SENSOR_CHECK_ENV = "WEIR_SENSOR_CHECK";

/** A check with a description (the built-in sensors set it: "file /data/in.csv"). */
export interface DescribedCheck {
  waitsFor?: string;
}

type Check = (ctx: TaskContext<unknown, unknown>) => unknown;

const DEFAULT_POKE_MS = 60_000;

/**
 * The function a worker runs for a sensor. In a trigger-loop worker one call is one check; anywhere else
 * (worker mode, or a deferred sensor run without a trigger loop) it checks every `pokeMs` until done.
 */
export function sensorFunction(check: Check, pokeMs: number | null, timeoutMs: number | null, softFail: boolean): Check {
  return async (ctx) => {
    if (process.env[SENSOR_CHECK_ENV] === "once") {
      const answer = await check(ctx);
      if (answer === false) throw Object.assign(new Error("not yet"), { name: SENSOR_NOT_READY });
      return answer === true ? null : answer;
    }
    const started = Date.now();
    for (;;) {
      const answer = await check(ctx);
      if (answer !== false) return answer === true ? null : answer;
      if (timeoutMs !== null && Date.now() - started >= timeoutMs) {
        const message = `sensor ${ctx.taskId} did not see its condition within ${timeoutMs} ms`;
        throw Object.assign(new Error(message), { name: softFail ? "SkipTask" : "FailWithoutRetry" });
      }
      await sleep(pokeMs ?? DEFAULT_POKE_MS, ctx.signal);
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** True for what `sqlSensor` and `externalTaskSensor` return. */
export function isSensorProbe(value: unknown): value is SensorProbe<unknown> {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "sensor_probe";
}
