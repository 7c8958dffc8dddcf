// Type-level tests of `p.sensor` (docs/sensors.md): checked by `tsc`. Each @ts-expect-error line must be an error.
import { externalTaskSensor, fileSensor, httpSensor, pipeline, sqlSensor, timeDeltaSensor } from "weir";

export const sensors = pipeline({ id: "sensors", schedule: "@daily", start: "2025-01-01" }, (p) => {
  // A check returning false | T: the output is T (the booleans are not part of it).
  const found = p.sensor("found", { pokeInterval: "30s" }, async () => (Math.random() > 0.5 ? { rows: 3 } : false));
  p.task("rows", { needs: { found } }, (_ctx, { found }) => {
    const rows: number = found.rows;
    // @ts-expect-error the output is { rows: number }, never a boolean
    const flag: boolean = found;
    return { rows, flag };
  });

  // A check returning only booleans: the output is undefined.
  const ready = p.sensor("ready", () => Math.random() > 0.5);
  p.task("after_ready", { needs: { ready } }, (_ctx, { ready }) => {
    const nothing: undefined = ready;
    // @ts-expect-error a boolean-only check has no value to pass on
    const yes: boolean = ready;
    return { nothing, yes };
  });

  // Built-ins are typed too.
  const landed = p.sensor("landed", { timeout: "6h", softFail: true }, fileSensor({ path: "/data/in/*.csv", nonEmpty: true, stableFor: "30s" }));
  const up = p.sensor("up", httpSensor({ url: "http://127.0.0.1:9000/ready", status: [200, 204] }));
  const row = p.sensor("row", sqlSensor({ url: "/data/warehouse.db", query: "SELECT count(*) AS n FROM loads", until: "truthy" }));
  const other = p.sensor("other", externalTaskSensor({ pipeline: "ingest", task: "load", offset: "-1d" }));
  p.sensor("settled", { mode: "worker" }, timeDeltaSensor("2h"));
  p.task("use", { needs: { landed, up, row, other } }, (_ctx, { landed, up, row, other }) => {
    const paths: string[] = landed.paths;
    const status: number = up.status;
    const n: unknown = row.n;
    const state: string = other.state;
    // @ts-expect-error paths are strings
    const wrong: number[] = landed.paths;
    return { paths, status, n, state, wrong };
  });

  // @ts-expect-error pokeInterval is a duration
  p.sensor("bad_poke", { pokeInterval: true }, () => true);
  // @ts-expect-error mode is "deferred" or "worker"
  p.sensor("bad_mode", { mode: "thread" }, () => true);
  // @ts-expect-error a check gets the context only
  p.sensor("bad_check", (_ctx: unknown, inputs: { a: number }) => inputs.a > 0);
});
