// Pool verbs: named slot counts shared by tasks across pipelines (DESIGN.md §2). Input is validated here so a
// bad `weir pools set` changes nothing and says what is wrong; the table's CHECK is the last line of defense.
import { WeirError } from "../common/errors.js";
import { isValidId } from "../common/ids.js";
import type { Dialect, SqlSession } from "./dialect.js";
import { toPoolRecord, type PoolRow } from "./records.js";
import { GET_POOL, INSERT_POOL_IF_ABSENT, LIST_POOLS, UPSERT_POOL, UPSERT_POOL_KEEP_DESCRIPTION } from "./sql/pools.js";
import type { PoolInput, PoolRecord } from "./types.js";

/** The pool of every task that names none. */
export const DEFAULT_POOL_NAME = "default";
/** Size of the default pool when migrate creates it (Airflow's default_pool_task_slot_count). */
export const DEFAULT_POOL_SLOTS = 128;

/** The default pool's size for a new store: WEIR_DEFAULT_POOL_SLOTS (weir.config.ts `defaultPoolSlots`, checked by the CLI), else 128. */
export function defaultPoolSlotsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WEIR_DEFAULT_POOL_SLOTS;
  if (raw === undefined || raw.trim() === "") return DEFAULT_POOL_SLOTS;
  const slots = Number(raw);
  // Named as the user set it (or as weir.config.ts's defaultPoolSlots became): not as a pool of theirs.
  if (!Number.isSafeInteger(slots) || slots < 0) throw new WeirError("config_invalid", `WEIR_DEFAULT_POOL_SLOTS must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
  return slots;
}

export function validatePoolSlots(name: string, slots: number): void {
  if (!Number.isSafeInteger(slots) || slots < 0) {
    throw new WeirError("pool_invalid", `Pool ${name}: slots must be a whole number ≥ 0, got ${String(slots)}.`);
  }
}

function validatePool(pool: PoolInput): void {
  if (typeof pool.name !== "string" || !isValidId(pool.name)) {
    throw new WeirError("pool_invalid", `Pool name ${JSON.stringify(pool.name)} is not valid: use letters, digits, _ . - (at most 250).`);
  }
  validatePoolSlots(pool.name, pool.slots);
  if (pool.description !== undefined && pool.description !== null && typeof pool.description !== "string") {
    throw new WeirError("pool_invalid", `Pool ${pool.name}: the description must be text.`);
  }
}

export async function setPool(dialect: Dialect, pool: PoolInput, nowMs: number): Promise<PoolRecord> {
  validatePool(pool);
  return dialect.transaction(async (tx) => {
    if (pool.description === undefined) await tx.run(UPSERT_POOL_KEEP_DESCRIPTION, [pool.name, pool.slots, nowMs]);
    else await tx.run(UPSERT_POOL, [pool.name, pool.slots, pool.description, nowMs]);
    const row = await tx.get<PoolRow>(GET_POOL, [pool.name]);
    if (row === undefined) throw new Error(`pool ${pool.name} vanished inside its own transaction`);
    return toPoolRecord(row);
  });
}

export async function getPool(session: SqlSession, name: string): Promise<PoolRecord | null> {
  const row = await session.get<PoolRow>(GET_POOL, [name]);
  return row === undefined ? null : toPoolRecord(row);
}

export async function listPools(session: SqlSession): Promise<PoolRecord[]> {
  return (await session.all<PoolRow>(LIST_POOLS)).map(toPoolRecord);
}

/** Creates the default pool with `slots` unless it exists (its size is then the user's to change). */
export async function seedDefaultPool(session: SqlSession, slots: number, nowMs: number): Promise<void> {
  await session.run(INSERT_POOL_IF_ABSENT, [DEFAULT_POOL_NAME, slots, "Tasks that name no pool", nowMs]);
}
