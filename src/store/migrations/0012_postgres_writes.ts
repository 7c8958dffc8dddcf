// Room on each page for the next versions of its rows (Postgres only). A task instance is updated three times
// (scheduled, running, ended) and a try once (ended) soon after their rows are written; on a page filled to
// the brim each update writes the new row version on another page and a new entry into the primary key's
// index. With free room on the page Postgres updates in place (a HOT update: no index entry, and the dead
// version is pruned from the page later), which in the fan-out benchmark (W2) cut the WAL the instance
// updates write by ~60% and the buffers they touch by ~55%. The price is space: those two tables take up to
// twice the pages. Only pages written from now on are filled less; SQLite has no such setting.
//
// And weir_expect_rows, the check of a batch of writes sent together with its COMMIT (postgres-dialect.ts):
// each write of the batch that must change exactly so many rows fails the transaction when it changed another
// number, so a batch whose writes took another path than its caller assumed can't commit.
import type { Migration } from "./migration.js";

export const migration0012PostgresWrites: Migration = {
  version: 12,
  name: "postgres_writes",
  sql: "",
  overrides: {
    postgres: `
ALTER TABLE task_instances SET (fillfactor = 50);
ALTER TABLE tries SET (fillfactor = 70);
CREATE FUNCTION weir_expect_rows(changed BIGINT, expected BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $check$
BEGIN
  IF changed <> expected THEN
    RAISE EXCEPTION 'a batched write changed % rows where % were expected', changed, expected USING ERRCODE = 'WE001';
  END IF;
  RETURN changed;
END
$check$;
`,
  },
};
