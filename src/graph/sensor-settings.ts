// A sensor's settings checked and converted (docs/sensors.md): durations in ms, the mode, what it waits for.
// Kept beside compile-pipeline.ts, which calls it for tasks of kind "sensor".
import { parseDuration, type Duration } from "../define/duration.js";
import type { TaskSpec } from "../define/spec.js";
import { hashFunction } from "./fingerprint.js";
import type { SensorSettings, TaskNode } from "./types.js";

/** How long one deferred check may take before it is stopped (its worker killed) and counted a failed try. */
export const SENSOR_CHECK_TIMEOUT_MS = 60_000;

export function resolveSensor(spec: TaskSpec, node: TaskNode, say: (message: string) => void): void {
  const given = spec.sensor;
  if (given === undefined) return;
  const ms = (value: unknown, name: string): number | null => {
    try {
      return parseDuration(value as Duration, name);
    } catch (error) {
      say((error as Error).message);
      return null;
    }
  };
  let mode: SensorSettings["mode"] = "deferred";
  if (given.mode === "worker" || given.mode === "deferred") mode = given.mode;
  else say(`mode must be "deferred" or "worker", got ${JSON.stringify(given.mode)}`);
  const poke = ms(given.pokeInterval, "pokeInterval");
  if (poke !== null && poke <= 0) say("pokeInterval must be more than 0");
  const timeoutMs = given.timeout === null ? null : ms(given.timeout, "timeout");
  if (typeof given.softFail !== "boolean") say(`softFail must be true or false, got ${JSON.stringify(given.softFail)}`);
  node.sensor = { mode, pokeIntervalMs: poke !== null && poke > 0 ? poke : 60_000, timeoutMs, softFail: given.softFail === true, waitsFor: given.waitsFor, probe: given.probe };
  // The worker runs a wrapper, the same for every sensor: the version follows the user's check instead.
  node.codeHash = given.probe === null ? hashFunction(given.check as (...args: never[]) => unknown) : hashFunction(`sensor:${JSON.stringify(given.probe)}`);
  // Worker mode loops in one try and enforces its own timeout; a deferred try is one check at a time.
  node.timeoutMs = mode === "worker" ? null : Math.min(node.timeoutMs ?? SENSOR_CHECK_TIMEOUT_MS, SENSOR_CHECK_TIMEOUT_MS);
}
