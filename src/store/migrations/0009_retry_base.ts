// Two facts a run rebuilt from the store needs and could only guess before. Where an instance's retry budget starts (issue 4: a clear gives an instance all its retries again). Tries
// numbered up to retry_base use no retries; it is set when a clear reopens an instance and when a mapped task
// is collapsed or expanded again after one. Stored rather than inferred from the tries: an instance canceled
// or skipped while up_for_retry and then cleared leaves nothing in its tries that tells where the clear was.
// And the shape of a "product" expansion (its sources' lengths, "3,2"), kept on its instance 0: a source
// cleared while the task keeps its instances no longer has a length to find it from.
import type { Migration } from "./migration.js";

export const migration0009RetryBase: Migration = {
  version: 9,
  name: "retry_base",
  sql: `
ALTER TABLE task_instances ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_instances ADD COLUMN map_shape TEXT;
`,
};
