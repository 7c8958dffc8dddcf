// SQL of the shared artifacts (migration 0010): an object's row and its base64 chunks.

export const INSERT_SHARED_ARTIFACT = `
INSERT INTO shared_artifacts (digest, bytes, chunks, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`;
export const INSERT_SHARED_ARTIFACT_CHUNK = `INSERT INTO shared_artifact_chunks (digest, seq, data) VALUES (?, ?, ?)`;
export const GET_SHARED_ARTIFACT = `SELECT bytes, chunks FROM shared_artifacts WHERE digest = ?`;
export const GET_SHARED_ARTIFACT_CHUNK = `SELECT data FROM shared_artifact_chunks WHERE digest = ? AND seq = ?`;
export const HAS_SHARED_ARTIFACT = `SELECT 1 AS one FROM shared_artifacts WHERE digest = ?`;
export const DELETE_SHARED_ARTIFACT_CHUNKS = `DELETE FROM shared_artifact_chunks WHERE digest = ?`;
export const DELETE_SHARED_ARTIFACT = `DELETE FROM shared_artifacts WHERE digest = ?`;
export const LIST_SHARED_ARTIFACTS = `SELECT digest, bytes, created_ms FROM shared_artifacts ORDER BY digest`;
