// What `p.sensor` adds to a pipeline's spec: a task of kind "sensor" whose function is the check wrapped by
// `sensorFunction`, with its settings kept as given for the graph compiler to check (docs/sensors.md).
import { parseDuration } from "./duration.js";
import { isSensorProbe, sensorFunction, type DescribedCheck, type SensorOptions, type SensorSpec } from "./sensor.js";
import type { AnyTaskFunction, DefinitionProblem, TaskSpec } from "./spec.js";

/** The spec of a sensor without its id and upstream (the builder adds those). */
export function sensorTaskSpec(id: string, a: unknown, b: unknown, problem: (p: DefinitionProblem) => void): { options: SensorOptions; spec: Omit<TaskSpec, "id" | "needs" | "after"> } {
  const check = b === undefined ? a : b;
  const given = (b === undefined ? {} : (a ?? {})) as SensorOptions & { needs?: unknown; map?: unknown };
  const { pokeInterval, timeout, softFail, mode, waitsFor, needs, map, ...rest } = given;
  if (needs !== undefined || map !== undefined) problem({ code: "task_option_invalid", message: `sensor ${id} takes no needs or map (order it with after)`, task: id });
  const probe = isSensorProbe(check) ? check.probe : null;
  if (probe === null && typeof check !== "function") problem({ code: "task_function_missing", message: `sensor ${id} needs a check function (or a built-in sensor)`, task: id });
  if (probe !== null && mode === "worker") problem({ code: "task_option_invalid", message: `sensor ${id}: a ${probe.kind} sensor is checked by the trigger loop and can't use mode "worker"`, task: id });
  const described = typeof check === "function" ? (check as DescribedCheck).waitsFor : undefined;
  const sensor: SensorSpec = {
    mode: mode ?? "deferred",
    pokeInterval: pokeInterval ?? "60s",
    timeout: timeout ?? null,
    softFail: softFail ?? false,
    waitsFor: typeof waitsFor === "string" ? waitsFor : (described ?? (probe === null ? "a condition" : describeProbe(probe))),
    probe,
    check,
  };
  const spec: Omit<TaskSpec, "id" | "needs" | "after"> = { kind: "sensor", map: null, mapping: null, options: rest, sensor };
  if (typeof check === "function") {
    spec.fn = sensorFunction(check as Parameters<typeof sensorFunction>[0], msOrNull(pokeInterval ?? "60s"), msOrNull(timeout ?? null), softFail === true) as AnyTaskFunction;
  } else if (probe !== null) {
    // Never called where a trigger loop answers the probe; anywhere else it says why it can't run.
    spec.fn = (() => {
      throw Object.assign(new Error(`sensor ${id} is answered by the trigger loop (weir triggerer), not by a worker`), { name: "FailWithoutRetry" });
    }) as AnyTaskFunction;
  }
  return { options: given, spec };
}

function msOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  try {
    return parseDuration(value as string | number);
  } catch {
    return null; // reported by the graph compiler
  }
}

function describeProbe(probe: NonNullable<SensorSpec["probe"]>): string {
  if (probe.kind === "sql") return `SQL query on ${redactUrl(probe.url)}`;
  const what = probe.taskId === null ? "run" : `task ${probe.taskId}`;
  return `${probe.pipelineId} ${what} ${probe.states.join(" or ")}${probe.offsetMs === 0 ? "" : ` (logical date ${probe.offsetMs > 0 ? "+" : ""}${probe.offsetMs} ms)`}`;
}

/** A URL for display: never its password. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
