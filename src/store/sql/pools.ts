// SQL of the pool aggregate: a named number of slots shared by tasks across pipelines.

const POOL_COLUMNS = `name, slots, description, updated_ms`;

/** Creates or updates a pool, setting its description. Params: name, slots, description, updated_ms. */
export const UPSERT_POOL = `
INSERT INTO pools (name, slots, description, updated_ms) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, description = excluded.description, updated_ms = excluded.updated_ms`;

/** As UPSERT_POOL but an existing pool keeps its description (a new one has none). Params: name, slots, updated_ms. */
export const UPSERT_POOL_KEEP_DESCRIPTION = `
INSERT INTO pools (name, slots, description, updated_ms) VALUES (?, ?, NULL, ?)
ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, updated_ms = excluded.updated_ms`;

/** Seeds a pool (the default one after migrate) unless it exists: its size is then the user's. */
export const INSERT_POOL_IF_ABSENT = `
INSERT INTO pools (name, slots, description, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`;

export const GET_POOL = `SELECT ${POOL_COLUMNS} FROM pools WHERE name = ?`;

export const LIST_POOLS = `SELECT ${POOL_COLUMNS} FROM pools ORDER BY name`;
