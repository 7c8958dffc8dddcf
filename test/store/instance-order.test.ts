// Pages of a run's instances in the pipeline's task order (what the API lists), on SQLite and Postgres: the
// order of the graph, not of the ids' strings, a state filter that skips most tasks, and a keyset cursor
// that picks up exactly where a page ended.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TaskInstanceRecord } from "../../src/store/types.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";
import { decision, graph, move, newRun } from "./fixtures.js";

const home = mkdtempSync(join(tmpdir(), "weir-order-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// 700 tasks (more than one chunk of the walk) whose order is not their ids' string order: task10 comes after task9.
const ORDER = ["zeta", ...Array.from({ length: 698 }, (_, i) => `task${i}`), "alpha"];

describe.each(STORE_KINDS)("instances in task order (%s)", (kind) => {
  it("pages in the graph's order, with and without a state filter", async () => {
    const store = await openTestStore(kind, join(home, kind));
    try {
      await store.savePipelineVersion(graph("p", "v1", ORDER), 1);
      await store.createRun(newRun({ id: "r1", taskIds: ORDER }), 2);
      // A few scattered tasks are skipped: the filtered walk passes hundreds of tasks with nothing to list.
      const done = ["task3", "task250", "task251", "task697", "alpha"];
      const result = await store.applyDecisions([decision("r1", 3, done.map((t) => move(t, "pending", "skipped", 0)))]);
      expect(result.conflicts).toEqual([]);

      const pages = async (states: string[], limit: number): Promise<string[][]> => {
        const out: string[][] = [];
        let after: { taskId: string; mapIndex: number } | undefined;
        for (;;) {
          const rows: TaskInstanceRecord[] = await store.reads.listInstancesPage({ runId: "r1", states: states as TaskInstanceRecord["state"][], taskOrder: ORDER, limit, ...(after ? { after } : {}) });
          if (rows.length === 0) return out;
          out.push(rows.map((r) => r.taskId));
          const last = rows[rows.length - 1] as TaskInstanceRecord;
          after = { taskId: last.taskId, mapIndex: last.mapIndex };
        }
      };
      const all = await pages([], 250);
      expect(all.map((p) => p.length)).toEqual([250, 250, 200]);
      expect(all.flat()).toEqual(ORDER);
      expect((await pages(["skipped"], 2)).flat()).toEqual(done);
      expect(await pages(["skipped"], 2)).toEqual([["task3", "task250"], ["task251", "task697"], ["alpha"]]);
      expect((await pages(["pending"], 1000)).flat()).toEqual(ORDER.filter((t) => !done.includes(t)));
    } finally {
      await store.close();
    }
  });
});
