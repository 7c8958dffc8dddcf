// `weir triggerer`: the trigger loop that checks deferred sensors (docs/sensors.md), a process apart from
// the scheduler so no user check ever runs there. Checks run in worker processes of its own, forked on
// first use; `weir dev` starts one as a child process.
import { SENSOR_CHECK_ENV } from "../../define/sensor.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { Triggerer } from "../../scheduler/triggerer.js";
import { openStore } from "../../store/open-store.js";
import { resolveConfig } from "../config.js";
import { say } from "../output.js";

/** Checks claimed per check worker: one running, the rest queued in the pool (see below). */
const IN_FLIGHT_PER_WORKER = 4;

export interface TriggererCommandOptions {
  concurrency?: number;
}

export async function triggererCommand(options: TriggererCommandOptions): Promise<void> {
  // Started by `weir dev` or `weir run` (an IPC channel to the parent): it goes when its parent goes, also
  // after a kill -9 of the parent, instead of checking sensors for nobody.
  const forked = process.channel !== undefined;
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  const store = await openStore(config.databaseUrl, config.home);
  await store.migrate();
  const concurrency = options.concurrency ?? 4;
  let triggerer: Triggerer | null = null;
  const workers = new LocalWorkerPool({
    size: concurrency,
    killGraceMs: config.killGraceMs,
    env: { [SENSOR_CHECK_ENV]: "once" },
    // One check per worker at a time: a hanging check holds up no other check (the claimed-ahead ones wait
    // in the pool's queue, where any free worker takes them).
    batchQuickTries: false,
    onResult: (key, result) => triggerer?.handleResult(key, result),
  });
  // More claimed than there are workers: the next checks wait in the pool's queue (never inside a worker),
  // so a worker starts its next check at once instead of after the loop's next claim and record round trip.
  triggerer = new Triggerer({ store, clock: systemClock, workers, concurrency: concurrency * IN_FLIGHT_PER_WORKER, onEvent: (message) => say(message) });
  const running = triggerer;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        await running.stop();
        await workers.close();
        await store.close();
        resolve();
      })();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // The parent may have gone while this process was starting: then the channel is already closed.
    if (forked && !process.connected) stop();
    else if (forked) process.once("disconnect", stop);
  });
  running.start();
  say(`trigger loop running on ${config.home} (${concurrency} checks at once)`);
  await stopped;
}
