// A standby `weir scheduler` loads the pipelines while it waits for the lease (docs/scheduler.md, "Standby"),
// with real processes on SQLite and on Postgres: it says so before it holds the lease, follows a file change
// as the holder does without writing the new version (the store's current version is the holder's to set),
// and after the holder is killed (kill -9) it adopts the run and starts the next one without loading a file
// again. Loads are counted by the pipeline files themselves: each import appends its worker's parent pid.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { ROOT, runEnded, useClusters, waitFor, type Cluster, type Proc } from "../distributed/cluster.js";

const counted = (body: string): string => `
import { appendFileSync, existsSync } from "node:fs";
import { pipeline } from "weir";
appendFileSync(\`\${__MARKS__}/../imports\`, \`\${process.ppid}\\n\`);
${body}`;

const PROBE = counted(`
const released = () => existsSync(\`\${__MARKS__}/../release\`);
export default pipeline({ id: "probe" }, (p) => {
  const hold = p.task("hold", async () => { while (!released()) await new Promise((r) => setTimeout(r, 50)); return 1; });
  p.task("after", { needs: { hold } }, async (_ctx, inputs) => inputs.hold + 1);
});`);

const OTHER = (tasks: number): string =>
  counted(`
export default pipeline({ id: "other" }, (p) => {
  for (let i = 0; i < ${tasks}; i++) p.task("t" + i, async () => i);
});`);

const startCluster = useClusters();

/** A scheduler on the local executor with one worker: every load and try of it happens in that worker. */
const scheduler = (c: Cluster): Proc => c.start(["scheduler", relative(ROOT, c.pipelines), "-c", "1"]);

/** How many times a worker of `p` imported a pipeline file. */
function importsBy(c: Cluster, p: Proc): number {
  const lines = readFileSync(join(c.home, "imports"), "utf8").split("\n");
  return lines.filter((line) => line === String(p.child.pid)).length;
}

async function headVersion(c: Cluster, pipelineId: string): Promise<string | undefined> {
  const store = await openStore(c.env().WEIR_DATABASE_URL as string, c.home, { autoMigrate: false });
  try {
    return (await store.reads.pipelineHead(pipelineId))?.version;
  } finally {
    await store.close();
  }
}

const trigger = async (c: Cluster): Promise<string> => (await c.json<{ run: { id: string } }>(["trigger", "probe"])).run.id;

for (const store of ["sqlite", "postgres"] as const) {
  describe(`a standby scheduler on ${store}`, () => {
    it("has the pipelines loaded before it holds the lease and takes over from kill -9 without loading them again", async () => {
      const c = await startCluster(store);
      c.writePipeline("probe.ts", PROBE);
      c.writePipeline("other.ts", OTHER(1));
      const first = scheduler(c);
      await waitFor("the first scheduler", () => /scheduler running/.test(first.output()), first.output);
      const second = scheduler(c);
      await waitFor("the standby", () => /standby: scheduler \S+ holds the lease/.test(second.output()), second.output);
      const standing = second.output();
      // Loaded before the first look at the lease, one import per file in its one worker; nothing scheduled.
      expect(standing).toMatch(/standby: 2 pipelines loaded from \S+ \(not scheduling until this process holds the lease\)/);
      expect(standing.indexOf("standby: 2 pipelines loaded")).toBeLessThan(standing.indexOf("holds the lease"));
      expect(standing).not.toMatch(/scheduler running|took the scheduler lease/);
      expect(importsBy(c, second)).toBe(2);

      // A change is followed while standing by; its version is not saved by the standby.
      const before = await headVersion(c, "other");
      c.writePipeline("other.ts", OTHER(2));
      await waitFor("the first to save the change", async () => (await headVersion(c, "other")) !== before, first.output);
      const changed = await headVersion(c, "other");
      await waitFor("the standby to follow the change", () => /standby: updated \S+other\.ts: other/.test(second.output()), second.output);
      expect(importsBy(c, second)).toBe(3);

      const runId = await trigger(c);
      await waitFor("the first to run the task", () => first.output().includes(`probe ${runId} hold running`), first.output);
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("close", r));
      await waitFor("the standby to run the task again", () => second.output().includes(`probe ${runId} hold running`), second.output);
      c.touch("release");
      expect((await runEnded(c, runId, second.output)).run.state).toBe("success");
      const next = await trigger(c);
      expect((await runEnded(c, next, second.output)).run.state).toBe("success");

      const out = second.output();
      const order = ["standby: 2 pipelines loaded", "took the scheduler lease", "taking over with the 2 pipelines loaded while standing by (0 new versions saved)", `probe ${runId} hold running`, `probe ${next} after success`];
      const at = order.map((line) => out.indexOf(line));
      expect(at.every((i) => i >= 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // No file loaded at or after the takeover: the imports are still the standby's, and no load was reported.
      expect(importsBy(c, second)).toBe(3);
      expect(out.slice(at[1])).not.toMatch(/pipelines loaded from| loaded \S+\.ts/);
      expect(await headVersion(c, "other")).toBe(changed);
    });
  });
}
