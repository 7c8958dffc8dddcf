// Remote tries' logs addressable by byte offset (docs/distributed.md): each chunk in try_log_chunks keeps the
// byte offset at which it starts in the try's log, so a reader that follows a long log (`weir logs --follow`,
// the API's log slices, the UI) reads only the chunks past what it has, instead of the whole log on every poll.
// Chunks stored before get their offsets from the chunks before them (octet_length: bytes of UTF-8 text on
// both databases). And try_queue keeps which try of which run a queued row is, so a worker's claim records the
// worker on the try itself (`tries.worker`) instead of the scheduler's placeholder.
import type { Migration } from "./migration.js";

export const migration0011LogOffsets: Migration = {
  version: 11,
  name: "log_offsets",
  sql: `
ALTER TABLE try_log_chunks ADD COLUMN byte_offset BIGINT NOT NULL DEFAULT 0;
UPDATE try_log_chunks SET byte_offset = starts.byte_offset
FROM (
  SELECT try_key, seq, SUM(octet_length(text)) OVER (PARTITION BY try_key ORDER BY seq) - octet_length(text) AS byte_offset
  FROM try_log_chunks
) AS starts
WHERE starts.try_key = try_log_chunks.try_key AND starts.seq = try_log_chunks.seq;
CREATE INDEX try_log_chunks_offset ON try_log_chunks (try_key, byte_offset);
ALTER TABLE try_queue ADD COLUMN run_id TEXT;
ALTER TABLE try_queue ADD COLUMN task_id TEXT;
ALTER TABLE try_queue ADD COLUMN map_index INTEGER;
ALTER TABLE try_queue ADD COLUMN try_number INTEGER;
`,
};
