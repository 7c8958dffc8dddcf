// `weir workers [--json]`: the registered `weir worker` processes (docs/distributed.md) with their queues,
// slots in use, last heartbeat and version.
import { distributedOf } from "../distributed-store.js";
import { out, printJson } from "../output.js";
import { withStore } from "../store-access.js";

export async function workersCommand(options: { json?: boolean }): Promise<void> {
  await withStore("no workers", async (store) => {
    const workers = await distributedOf(store).listWorkers();
    if (options.json) {
      printJson({
        workers: workers.map((w) => ({
          id: w.id,
          host: w.host,
          pid: w.pid,
          queues: w.queues,
          slots: w.slots,
          inUse: w.inUse,
          state: w.state,
          lastHeartbeat: new Date(w.heartbeatMs).toISOString(),
          startedAt: new Date(w.startedMs).toISOString(),
          version: w.version,
        })),
      });
      return;
    }
    if (workers.length === 0) {
      out("no workers have registered (start one with `weir worker --queues default`)");
      return;
    }
    for (const w of workers) {
      const ago = Math.max(0, Math.round((Date.now() - w.heartbeatMs) / 1000));
      out(`${w.id.padEnd(32)} ${w.state.padEnd(7)} ${`${w.inUse}/${w.slots}`.padStart(7)} slots  queues ${w.queues.join(",")}  heartbeat ${ago}s ago  v${w.version}`);
    }
  });
}
