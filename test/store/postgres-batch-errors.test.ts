// The Postgres write path's error paths on a real embedded Postgres (src/store/postgres/): a batch (runMany)
// that fails in the middle, a batch sent behind with its COMMIT (every statement checked on the server by
// weir_expect_rows), the connection killed by the server mid-transaction, and what each leaves on the
// connection for the next transaction (poolSize 1: the next transaction runs on the same connection).
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpeculationFailed } from "../../src/store/batched-writes.js";
import type { SqlStatement } from "../../src/store/dialect.js";
import { arrayLiteral } from "../../src/store/postgres/bulk-writes.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { TRANSITION_INSTANCE } from "../../src/store/sql/instances.js";
import { freshPostgresUrl, withClient } from "../support/postgres.js";

let url: string;
let dialect: PostgresDialect;

beforeAll(async () => {
  url = await freshPostgresUrl();
  dialect = await PostgresDialect.open({ url, poolSize: 1 });
});

afterAll(async () => {
  await dialect?.close();
});

let tables = 0;
/** A new table `kv(id int key, v bigint, s text)` of its own per test. */
async function table(): Promise<string> {
  const name = `kv${++tables}`;
  await withClient(url, (c) => c.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v bigint, s text)`));
  return name;
}

async function rows(name: string): Promise<{ id: number; v: string | null; s: string | null }[]> {
  return withClient(url, async (c) => (await c.query<{ id: number; v: string | null; s: string | null }>(`SELECT id, v, s FROM ${name} ORDER BY id`)).rows);
}

const insert = (name: string, id: number, v: number | null = 0): SqlStatement => ({ sql: `INSERT INTO ${name} (id, v) VALUES (?, ?)`, params: [id, v] });
const update = (name: string, id: number, v: number): SqlStatement => ({ sql: `UPDATE ${name} SET v = ? WHERE id = ?`, params: [v, id] });
/** One statement of more than 64 parameters: sent unnamed in a batch query (batch-query.ts), not as EXECUTE text. */
function wide(name: string, from: number, count = 33): SqlStatement {
  const params = Array.from({ length: count }, (_, i) => [from + i, i]).flat();
  return { sql: `INSERT INTO ${name} (id, v) VALUES ${Array.from({ length: count }, () => "(?, ?)").join(", ")}`, params };
}

async function backendPid(): Promise<number> {
  return dialect.transaction(async (tx) => Number((await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid));
}

/** A checked batch with a NaN in it, in each of the forms a batch is sent in. */
function badBatch(name: string, form: "EXECUTE text" | "batch query" | "merged"): SqlStatement[] {
  if (form === "EXECUTE text") return [update(name, 1, Number.NaN)];
  // More than 64 parameters: unnamed, a batch query. Changes the one row id 1.
  if (form === "batch query") return [{ sql: `UPDATE ${name} SET v = ? WHERE id IN (${Array.from({ length: 65 }, () => "?").join(", ")})`, params: [Number.NaN, ...Array.from({ length: 65 }, () => 1)] }];
  // Eight of a hot kind: one merged UPDATE … FROM unnest(…) (bulk-writes.ts).
  return Array.from({ length: 8 }, (_, i) => ({ sql: TRANSITION_INSTANCE, params: ["scheduled", 0, i === 3 ? Number.NaN : null, null, "r", `t${i}`, -1, "pending", 0] }));
}

describe("Postgres batches: what a failure leaves behind", () => {
  it("a batch sent behind its COMMIT whose row check fails rolls back everything and leaves the connection clean", async () => {
    const kv = await table();
    const failure = await dialect
      .transaction(async (tx) => {
        await tx.runMany!([insert(kv, 1)], 0);
        // Checked: each must change one row; id 99 doesn't exist.
        await tx.runMany!([update(kv, 1, 5), update(kv, 99, 5)], 2);
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SpeculationFailed);
    expect(await rows(kv)).toEqual([]);
    // Same connection, same statement texts (prepared on it by the failed batch or not).
    await dialect.transaction(async (tx) => {
      await tx.runMany!([insert(kv, 1), insert(kv, 99)], 0);
      await tx.runMany!([update(kv, 1, 5), update(kv, 99, 6)], 2);
      expect(await tx.get(`SELECT count(*)::int AS n FROM ${kv}`)).toEqual({ n: 2 });
    });
    expect((await rows(kv)).map((r) => r.v)).toEqual(["5", "6"]);
  });

  for (const form of ["EXECUTE text", "batch query"] as const) {
    it(`a constraint violation in the middle of a batch (${form}) fails it, commits nothing, and the next batch re-prepares cleanly`, async () => {
      const kv = await table();
      const extra = (from: number): SqlStatement[] => (form === "batch query" ? [wide(kv, from)] : []);
      const failure = await dialect
        .transaction(async (tx) => {
          await tx.runMany!([insert(kv, 1), ...extra(100), insert(kv, 1), update(kv, 1, 7)]);
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(pg.DatabaseError);
      expect((failure as pg.DatabaseError).code).toBe("23505");
      expect(await rows(kv)).toEqual([]);
      const counts = await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), ...extra(100), insert(kv, 2), update(kv, 1, 7)]));
      expect(counts).toEqual(form === "batch query" ? [1, 33, 1, 1] : [1, 1, 1]);
      expect(await dialect.session.get(`SELECT v FROM ${kv} WHERE id = 1`)).toEqual({ v: 7 });
    });
  }

  it("a connection the server terminates mid-transaction commits nothing; the pool replaces it", async () => {
    const kv = await table();
    const failure = await dialect
      .transaction(async (tx) => {
        await tx.runMany!([insert(kv, 1), insert(kv, 2)], 0);
        const pid = Number((await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
        await tx.runMany!([update(kv, 1, 3), update(kv, 2, 3)], 2);
        await withClient(url, (c) => c.query("SELECT pg_terminate_backend($1)", [pid]));
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(await rows(kv)).toEqual([]);
    await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 2)], 0));
    expect((await rows(kv)).length).toBe(2);
    expect(await backendPid()).toBeGreaterThan(0);
  });

  it("a serialization failure in a batch sent behind its COMMIT is retried whole and commits once", async () => {
    const kv = await table();
    await withClient(url, (c) =>
      c.query(`CREATE SEQUENCE ${kv}_calls;
CREATE FUNCTION ${kv}_flaky(v bigint) RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN
  IF nextval('${kv}_calls') = 1 THEN RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END IF;
  RETURN v;
END $f$;
INSERT INTO ${kv} (id, v) VALUES (1, 0), (2, 0);`),
    );
    let attempts = 0;
    await dialect.transaction(async (tx) => {
      attempts++;
      await tx.runMany!([update(kv, 1, 1), { sql: `UPDATE ${kv} SET v = ${kv}_flaky(?) WHERE id = ?`, params: [2, 2] }], 2);
    });
    expect(attempts).toBe(2);
    expect((await rows(kv)).map((r) => r.v)).toEqual(["1", "2"]);
    expect(await dialect.session.get(`SELECT count(*)::int AS n FROM ${kv}`)).toEqual({ n: 2 });
  });

  it("a batch issued while a checked batch is still unanswered uses the statements that one prepares, not prepare them again", async () => {
    const kv = await table();
    await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 2)]));
    const appended: SqlStatement = { sql: `UPDATE ${kv} SET s = coalesce(s, '') || ? WHERE id = ?`, params: [] };
    await dialect.transaction(async (tx) => {
      // Both are sent before the first is answered (pipeline mode); the second needs the first's statement.
      await tx.runMany!([{ ...appended, params: ["a", 1] }], 1);
      await tx.runMany!([{ ...appended, params: ["b", 1] }, { ...appended, params: ["c", 2] }], 2);
    });
    expect((await rows(kv)).map((r) => r.s)).toEqual(["ab", "c"]);
  });

  it("a DEALLOCATE ALL that could not run (the transaction was already aborted) is sent again by the next batch", async () => {
    const kv = await table();
    // Fails after preparing its statements on the connection: the next batch must start over.
    const failed = await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 1)])).catch((error: unknown) => error);
    expect((failed as pg.DatabaseError).code).toBe("23505");
    // Its DEALLOCATE ALL goes into a transaction that is already aborted, so it does not run.
    const aborted = await dialect
      .transaction(async (tx) => {
        await tx.get("SELECT 1 / 0 AS x").catch(() => undefined);
        await tx.runMany!([wide(kv, 100)]);
      })
      .catch((error: unknown) => error);
    expect((aborted as pg.DatabaseError).code).toBe("25P02");
    expect(await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 2)]))).toEqual([1, 1]);
  });

  it("a number goes through a small batch (EXECUTE text) as it goes bound: never rounded into an integer column", async () => {
    const kv = await table();
    const write = { sql: `INSERT INTO ${kv} (id, v) VALUES (?, ?)`, params: [1, 2 ** 40 + 0.5] };
    const bound = await dialect.transaction((tx) => tx.run(write.sql, write.params)).catch((error: unknown) => error);
    const batched = await dialect.transaction((tx) => tx.runMany!([write])).catch((error: unknown) => error);
    expect((bound as pg.DatabaseError).code).toBe("22P02");
    expect((batched as pg.DatabaseError).code).toBe("22P02");
    expect(await rows(kv)).toEqual([]);
    // Large and negative ones are written exactly.
    await dialect.transaction((tx) => tx.runMany!([{ sql: write.sql, params: [1, 2 ** 53 - 1] }, { sql: write.sql, params: [2, -(2 ** 40)] }]));
    expect((await rows(kv)).map((r) => r.v)).toEqual([String(2 ** 53 - 1), String(-(2 ** 40))]);
  });

  it("a string with a NUL fails a small batch with the error it gets bound, and the connection goes on", async () => {
    const kv = await table();
    const write = { sql: `INSERT INTO ${kv} (id, s) VALUES (?, ?)`, params: [1, "a\u0000b"] };
    const bound = await dialect.transaction((tx) => tx.run(write.sql, write.params)).catch((error: unknown) => error);
    const batched = await dialect.transaction((tx) => tx.runMany!([write])).catch((error: unknown) => error);
    expect((bound as pg.DatabaseError).code).toBe("22021");
    expect((batched as pg.DatabaseError).code).toBe("22021");
    await dialect.transaction((tx) => tx.runMany!([{ sql: write.sql, params: [1, "ab"] }]));
    expect(await rows(kv)).toEqual([{ id: 1, v: null, s: "ab" }]);
  });

  it("strings and numbers come back unchanged from a small batch's EXECUTE text and from a merged write's arrays", async () => {
    const kv = await table();
    const hard = ["", "NULL", "null", '"', "\\", "'); DROP TABLE x; --", "a,b}{", " padded ", "é😀", "\ud800", "$1", "?", "--"];
    const strings = fc.sample(fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("\u0000")), 60);
    const values = [...hard, ...strings];
    const numbers = [null, 0, -1, 2 ** 31, -(2 ** 31) - 1, 1_764_201_600_000, 2 ** 53 - 1];
    // Node writes a lone surrogate as U+FFFD in every path: what a bound parameter stores is the reference.
    const stored = (s: string): string => Buffer.from(s, "utf8").toString("utf8");
    await dialect.transaction((tx) => tx.runMany!(values.map((s, i) => ({ sql: `INSERT INTO ${kv} (id, s) VALUES (?, ?)`, params: [i, s] }))));
    expect((await rows(kv)).map((r) => r.s)).toEqual(values.map(stored));
    const unnested = await dialect.session.all<{ s: string | null }>("SELECT unnest(?::text[]) AS s", [arrayLiteral([...values, null])]);
    expect(unnested.map((r) => r.s)).toEqual([...values.map(stored), null]);
    const bigints = await dialect.session.all<{ v: number | null }>("SELECT unnest(?::bigint[]) AS v", [arrayLiteral(numbers)]);
    expect(bigints.map((r) => r.v)).toEqual(numbers);
  });

  for (const form of ["EXECUTE text", "batch query", "merged"] as const) {
    it(`a checked batch (${form}) that cannot even be sent (a NaN) fails its transaction: the COMMIT behind it commits nothing`, async () => {
      const kv = await table();
      const failure = await dialect
        .transaction(async (tx) => {
          await tx.runMany!([insert(kv, 1)]);
          const batch = badBatch(kv, form);
          await tx.runMany!(batch, batch.length);
        })
        .catch((error: unknown) => error);
      expect(String(failure)).toMatch(/NaN/);
      expect(await rows(kv)).toEqual([]);
      expect(await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 2)]))).toEqual([1, 1]);
    });
  }

  it("a connection whose prepared statements are gone (DEALLOCATE/DISCARD behind the dialect's back) fails one batch, then prepares them again", async () => {
    const kv = await table();
    await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), update(kv, 1, 1)]));
    const lost = await dialect
      .transaction(async (tx) => {
        await tx.exec("DEALLOCATE ALL");
        await tx.runMany!([update(kv, 1, 2)]);
      })
      .catch((error: unknown) => error);
    expect((lost as pg.DatabaseError).code).toBe("26000");
    expect(await dialect.transaction((tx) => tx.runMany!([update(kv, 1, 3)]))).toEqual([1]);
    expect((await rows(kv)).map((r) => r.v)).toEqual(["3"]);
  });

  it("a connection the server terminates while its batch waits on a lock fails that transaction, commits nothing, and is replaced", async () => {
    const kv = await table();
    await dialect.transaction((tx) => tx.runMany!([insert(kv, 1), insert(kv, 2)]));
    const pid = await backendPid();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query(`BEGIN; SELECT * FROM ${kv} WHERE id = 2 FOR UPDATE`);
      const transaction = dialect
        .transaction(async (tx) => {
          // A batch query (more than 64 parameters) whose last statement waits for the row lock.
          await tx.runMany!([wide(kv, 100), update(kv, 1, 5), update(kv, 2, 5)], 0);
        })
        .catch((error: unknown) => error);
      for (;;) {
        const { rows: waiting } = await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
        if (waiting[0]!.n === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await holder.query("SELECT pg_terminate_backend($1)", [pid]);
      expect(await transaction).toBeInstanceOf(Error);
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    expect((await rows(kv)).map((r) => [r.id, r.v])).toEqual([
      [1, "0"],
      [2, "0"],
    ]);
    expect(await dialect.transaction((tx) => tx.runMany!([update(kv, 1, 6), update(kv, 2, 6)], 2))).toEqual([1, 1]);
    expect((await rows(kv)).map((r) => r.v)).toEqual(["6", "6"]);
    expect(await backendPid()).not.toBe(pid);
  });

  it("a column widened by a concurrent migration (int to bigint) fails at most one batch of a statement prepared before it", async () => {
    const kv = await table();
    await withClient(url, (c) => c.query(`ALTER TABLE ${kv} ADD COLUMN n int; INSERT INTO ${kv} (id) VALUES (1)`));
    const setN = (n: number): SqlStatement => ({ sql: `UPDATE ${kv} SET n = ? WHERE id = ?`, params: [n, 1] });
    // Prepared on the connection with its parameter typed int.
    expect(await dialect.transaction((tx) => tx.runMany!([setN(1)]))).toEqual([1]);
    await withClient(url, (c) => c.query(`ALTER TABLE ${kv} ALTER COLUMN n TYPE bigint, ADD COLUMN w text`));
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await dialect.transaction((tx) => tx.runMany!([setN(2 ** 40 + i)])).then(String, (error: unknown) => `failed ${(error as pg.DatabaseError).code}`));
    }
    expect(outcomes.slice(1)).toEqual(["1", "1"]);
    expect(await dialect.session.get(`SELECT n FROM ${kv}`)).toEqual({ n: 2 ** 40 + 2 });
  });
});
