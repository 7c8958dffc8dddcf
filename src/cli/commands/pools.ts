// `weir pools set <name> <slots> [--description d]` and `weir pools list`: named numbers of slots shared by
// tasks across pipelines (a task takes one of its pool's slots while it runs).
import { WeirError } from "../../common/errors.js";
import { out, printJson, say } from "../output.js";
import { withStore } from "../store-access.js";
import { openStore } from "../../store/open-store.js";
import { resolveConfig } from "../config.js";
import { systemClock } from "../../scheduler/clock.js";
import { setPool } from "../../scheduler/commands/index.js";

export async function poolsSetCommand(name: string, slotsText: string, options: { description?: string }): Promise<void> {
  const slots = Number(slotsText);
  if (!Number.isInteger(slots) || slots < 0) throw new WeirError("pool_invalid", `slots must be a whole number ≥ 0, got "${slotsText}"`, { where: {} });
  // Setting a pool may be the first thing done in a new home: create the store for it.
  const config = resolveConfig();
  const store = await openStore(config.databaseUrl, config.home);
  try {
    await store.migrate();
    const pool = await setPool({ store, live: null, clock: systemClock }, { name, slots, ...(options.description === undefined ? {} : { description: options.description }) });
    say(`weir: pool ${pool.name} has ${pool.slots} slot${pool.slots === 1 ? "" : "s"}`);
  } finally {
    await store.close();
  }
}

export async function poolsListCommand(options: { json?: boolean }): Promise<void> {
  await withStore("no pools", async (store) => {
    const pools = await store.listPools();
    if (options.json) {
      printJson({ pools: pools.map((p) => ({ name: p.name, slots: p.slots, description: p.description })) });
      return;
    }
    for (const p of pools) out(`${p.name.padEnd(24)} ${String(p.slots).padStart(6)} slots${p.description ? `  ${p.description}` : ""}`);
  });
}
