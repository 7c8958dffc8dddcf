// Sensors the trigger loop answers itself from a database (docs/sensors.md): a SQL query on a SQLite file or a
// Postgres database, and another pipeline's run or task state in Weir's own store. They are data, not code:
// the drivers live in the store, which no worker may import.
import { parseDuration, type Duration } from "../../define/duration.js";
import type { SensorProbe } from "../../define/sensor.js";

export interface SqlSensorOptions {
  /** A SQLite file path (or `sqlite:/path`), or a `postgres://` URL. */
  url: string;
  query: string;
  params?: readonly (string | number | null)[];
  /** "row" (default): done when the query returns a row; "truthy": when its first column is truthy. */
  until?: "row" | "truthy";
}

/**
 * A sensor for `p.sensor`, answered by the trigger loop: waits for a query to return a row (the output).
 * @example
 * p.sensor("rows_in", sqlSensor({ url: process.env.WAREHOUSE_URL ?? "", query: "SELECT 1 FROM loads WHERE day = current_date" }));
 */
export function sqlSensor(options: SqlSensorOptions): SensorProbe<Record<string, unknown>> {
  return { kind: "sensor_probe", probe: { kind: "sql", url: options.url, query: options.query, params: [...(options.params ?? [])], until: options.until ?? "row" } };
}

export interface ExternalTaskSensorOptions {
  pipeline: string;
  /** A task of it (every instance, for a mapped task); default: its run as a whole. */
  task?: string;
  /** Done when the state is one of these (default ["success"]). */
  states?: readonly string[];
  /** Failed at once when it is one of these (default: failed, upstream_failed for a task; failed, canceled for a run). */
  failedStates?: readonly string[];
  /** The other run's logical date relative to this run's: "-1d" looks at yesterday's run (default 0). */
  offset?: Duration;
}

/**
 * A sensor for `p.sensor`, answered by the trigger loop from Weir's store (Airflow's ExternalTaskSensor).
 * @example
 * p.sensor("ingest_done", externalTaskSensor({ pipeline: "ingest_daily", task: "load" }));
 */
export function externalTaskSensor(options: ExternalTaskSensorOptions): SensorProbe<{ runId: string; state: string }> {
  const task = options.task ?? null;
  const negative = typeof options.offset === "string" && options.offset.trim().startsWith("-");
  const raw = negative ? (options.offset as string).trim().slice(1) : options.offset;
  const offsetMs = raw === undefined ? 0 : (negative ? -1 : 1) * (typeof raw === "number" ? raw : parseDuration(raw, "offset"));
  const failedStates = options.failedStates ?? (task === null ? ["failed", "canceled"] : ["failed", "upstream_failed"]);
  return { kind: "sensor_probe", probe: { kind: "external", pipelineId: options.pipeline, taskId: task, states: [...(options.states ?? ["success"])], failedStates: [...failedStates], offsetMs } };
}
