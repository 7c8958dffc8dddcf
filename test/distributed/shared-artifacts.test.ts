// Large outputs between workers that share no disk (docs/distributed.md, "Artifacts"), on SQLite and on
// Postgres: worker A (its own WEIR_HOME) writes an output over the artifact threshold; worker B (another
// WEIR_HOME) runs the tasks that need it and a mapped task over it, whose items the scheduler reads itself.
// Every machine ends with its own copy of the object, carried by the store.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aliveWorkers, runEnded, useClusters, waitFor } from "./cluster.js";

// Four items of 30,000 characters: 120 KB encoded, over the default threshold of 64 KB.
const BIG = `
import { writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.taskId}\${ctx.mapIndex >= 0 ? "." + ctx.mapIndex : ""}-\${ctx.tryNumber}-\${process.env.WEIR_TEST_WORKER}\`, "");
const expected = (i) => String(i).repeat(30_000);
export default pipeline({ id: "big" }, (p) => {
  const parts = p.task("parts", async (ctx) => { mark(ctx); return [0, 1, 2, 3].map(expected); });
  p.task("count", { needs: { parts }, queue: "spark" }, async (ctx, { parts }) => {
    mark(ctx);
    if (parts.length !== 4 || parts.some((part, i) => part !== expected(i))) throw new Error("parts arrived wrong");
    return parts.length;
  });
  p.task("each", { map: parts, queue: "spark" }, async (ctx, part) => {
    mark(ctx);
    if (part !== expected(ctx.mapIndex)) throw new Error("item " + ctx.mapIndex + " arrived wrong");
    return part.length;
  });
});
`;

const startCluster = useClusters();

/** The digests of the artifact objects under a WEIR_HOME. */
function objectsIn(home: string): string[] {
  const root = join(home, "artifacts", "sha256");
  try {
    return readdirSync(root).flatMap((shard) => readdirSync(join(root, shard))).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return [];
  }
}

for (const store of ["sqlite", "postgres"] as const) {
  describe(`artifacts between workers on ${store}`, () => {
    it("carries a large output through the store to a worker and a scheduler that share no disk with its writer", async () => {
      const c = await startCluster(store);
      c.writePipeline("big.ts", BIG);
      const scheduler = c.scheduler();
      const a = c.worker("A", "default");
      const b = c.worker("B", "spark");
      const output = (): string => scheduler.output() + a.output() + b.output();
      await waitFor("two workers", async () => (await aliveWorkers(c)).length === 2, output);
      await waitFor("the scheduler", () => /scheduler running/.test(scheduler.output()), output);
      const runId = (await c.json<{ run: { id: string } }>(["trigger", "big"])).run.id;
      const ended = await runEnded(c, runId, output);
      expect(ended.run.state, output()).toBe("success");
      expect(c.markList()).toEqual(["count-1-B", "each.0-1-B", "each.1-1-B", "each.2-1-B", "each.3-1-B", "parts-1-A"]);

      // One object, written by A, copied to B (the inputs) and to the scheduler (the map's items) by the store.
      const written = objectsIn(join(c.home, "worker-A"));
      expect(written).toHaveLength(1);
      expect(objectsIn(join(c.home, "worker-B"))).toEqual(written);
      expect(objectsIn(c.home)).toEqual(written);
    });
  });
}
