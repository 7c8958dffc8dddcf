// A standby's pipeline registry (`holdSaves`, src/scheduler/standby-pipelines.ts): real files loaded by a real
// worker pool, a real SQLite store, real file watching. It loads and follows changes like any registry but
// saves no version until `saveHeld`, which saves only what the store doesn't have as current.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PipelineRegistry } from "../../src/scheduler/pipeline-registry.js";
import { loadStandbyPipelines } from "../../src/scheduler/standby-pipelines.js";
import { waitFor } from "../distributed/cluster.js";
import { useRegistryFixture } from "../support/registry-fixture.js";

const fx = useRegistryFixture(import.meta.dirname, "weir-standby-registry-", 1);
const root = fx.dir;

const source = (id: string, n: number): string => `import { pipeline } from "weir";\nexport default pipeline({ id: "${id}" }, (p) => { p.task("t", async () => ${n}); });\n`;
const heads = async (): Promise<Map<string, { version: string; file: string }>> => new Map((await fx.store.reads.pipelineHeads()).map((h) => [h.id, h]));

describe("a standby's registry", () => {
  it("loads and follows the files without saving a version; saveHeld saves the ones the store lacks, then saves as usual", async () => {
    writeFileSync(join(root, "a.ts"), source("a", 1));
    writeFileSync(join(root, "b.ts"), source("b", 1));
    const lines: string[] = [];
    let registry: PipelineRegistry | null = null;
    try {
      registry = await loadStandbyPipelines({ root, loader: fx.pool, store: fx.store, clock: { now: () => Date.now() }, onEvent: (_kind, line) => lines.push(line) });
      const loaded = registry;
      expect(loaded.pipelines().map((g) => g.id)).toEqual(["a", "b"]);
      expect(lines).toContain(`standby: 2 pipelines loaded from ${root} (not scheduling until this process holds the lease)`);
      expect(await fx.store.reads.pipelineHeads()).toEqual([]);

      // The holder saved b's version already; a's changes while standing by, unsaved.
      const b = loaded.get("b");
      if (!b) throw new Error("b is not loaded");
      await fx.store.savePipelineVersion(b, Date.now());
      const first = loaded.get("a")?.version;
      writeFileSync(join(root, "a.ts"), source("a", 2));
      await waitFor("the change", () => loaded.get("a")?.version !== first);
      expect(lines.some((line) => line.startsWith("standby: updated") && line.endsWith("a.ts: a"))).toBe(true);
      expect([...(await heads()).keys()]).toEqual(["b"]);

      expect(await loaded.saveHeld(heads)).toBe(1);
      expect((await heads()).get("a")?.version).toBe(loaded.get("a")?.version);
      expect(await loaded.saveHeld(heads)).toBe(0);

      // Held no more: the next change is saved before it becomes current.
      const b1 = loaded.get("b")?.version;
      writeFileSync(join(root, "b.ts"), source("b", 3));
      await waitFor("b's change", () => loaded.get("b")?.version !== b1);
      expect((await heads()).get("b")?.version).toBe(loaded.get("b")?.version);
    } finally {
      await registry?.stop();
    }
  });
});
