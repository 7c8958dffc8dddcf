// Pool sizes as the dispatcher reads them: from the store (`weir pools set`), refreshed by the caller.
// A task naming a pool nobody created gets the default pool's size rather than never running.
import type { Store } from "../store/types.js";

export class PoolSlots {
  private slots = new Map<string, number>();

  async refresh(store: Pick<Store, "listPools">): Promise<void> {
    this.slots = new Map((await store.listPools()).map((p) => [p.name, p.slots]));
  }

  readonly of = (pool: string): number => this.slots.get(pool) ?? this.slots.get("default") ?? Infinity;
}
