// /runs/:id/sensors: what each of a run's deferred sensors waits for, how often it was checked and when it is
// checked next (docs/sensors.md). Read from the sensor hand-off the trigger loop works from.
import { requireRun } from "../../scheduler/commands/context.js";
import type { SensorWaitRecord } from "../../store/sensor-types.js";
import type { RouteSpec } from "../api-context.js";
import type { SensorWaitList, SensorWaitView } from "../types.js";
import { iso } from "../views.js";

export function toSensorWaitView(wait: SensorWaitRecord): SensorWaitView {
  const waiting = wait.state === "waiting";
  return {
    taskId: wait.taskId,
    mapIndex: wait.mapIndex,
    tryNumber: wait.tryNumber,
    status: waiting ? "waiting" : "answered",
    waitsFor: wait.waitsFor,
    firstCheckAt: iso(wait.firstCheckMs) as string,
    nextCheckAt: waiting ? iso(wait.nextCheckMs) : null,
    lastCheckAt: iso(wait.lastCheckMs),
    checks: wait.checks,
    pokeIntervalMs: wait.pokeIntervalMs,
    timeoutAt: wait.timeoutMs === null ? null : iso(wait.firstCheckMs + wait.timeoutMs),
    softFail: wait.softFail,
  };
}

export const sensorRoutes: RouteSpec[] = [
  {
    method: "get",
    path: "/runs/:id/sensors",
    tag: "runs",
    summary: "The run's deferred sensors: what each waits for, its checks so far, its next check and its timeout",
    response: "SensorWaitList",
    handler: async (c, api) => {
      const run = await requireRun(api.store, c.req.param("id") as string);
      const body: SensorWaitList = { items: (await api.store.sensors.listForRun(run.id)).map(toSensorWaitView) };
      return c.json(body);
    },
  },
];
