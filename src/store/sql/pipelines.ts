// SQL of the pipeline aggregate: a pipeline row points at its latest version; every version's graph is kept.

/** Makes `version` the pipeline's latest; keeps `paused`; touches updated_ms only when something changed. */
export const UPSERT_PIPELINE = `
INSERT INTO pipelines (id, version, file, paused, updated_ms) VALUES (?, ?, ?, 0, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, file = excluded.file, updated_ms = excluded.updated_ms
WHERE pipelines.version <> excluded.version OR pipelines.file <> excluded.file`;

/** A version's graph never changes: the version is its fingerprint. */
export const INSERT_PIPELINE_VERSION = `
INSERT INTO pipeline_versions (pipeline_id, version, graph_json, file, created_ms) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, version) DO NOTHING`;

const SELECT_PIPELINE = `
SELECT p.id, p.version, p.file, p.paused, p.updated_ms, v.graph_json
FROM pipelines p JOIN pipeline_versions v ON v.pipeline_id = p.id AND v.version = p.version`;

export const GET_PIPELINE = `${SELECT_PIPELINE} WHERE p.id = ?`;

export const LIST_PIPELINES = `${SELECT_PIPELINE} ORDER BY p.id`;

export const GET_PIPELINE_VERSION = `SELECT graph_json FROM pipeline_versions WHERE pipeline_id = ? AND version = ?`;

/** Changes only `paused` (not updated_ms: that is the version's). Zero rows: the pipeline is unknown. */
export const LIST_PAUSED_PIPELINE_IDS = `SELECT id FROM pipelines WHERE paused <> 0`;

export const SET_PIPELINE_PAUSED = `UPDATE pipelines SET paused = ? WHERE id = ?`;
