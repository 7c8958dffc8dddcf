// Create or resize a pool: the store validates the name and slots (`pool_invalid`, nothing written).
import type { PoolInput, PoolRecord } from "../../store/types.js";
import type { CommandContext } from "./context.js";

export async function setPool(ctx: CommandContext, pool: PoolInput): Promise<PoolRecord> {
  const stored = await ctx.store.setPool(pool, ctx.clock.now());
  // The scheduler reads pool sizes on its passes: a grown pool starts waiting tasks at once.
  ctx.live?.wake();
  return stored;
}
