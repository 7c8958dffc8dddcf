// A standby's pipeline registry (`holdSaves`, src/scheduler/standby-pipelines.ts): real files loaded by a real
// worker pool, a real SQLite store, real file watching. It loads and follows changes like any registry but
// saves no version until `saveHeld`, which saves only what the store doesn't have as current.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import type { PipelineRegistry } from "../../src/scheduler/pipeline-registry.js";
import { loadStandbyPipelines } from "../../src/scheduler/standby-pipelines.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";
import { waitFor } from "../distributed/cluster.js";

const root = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
const dbDir = mkdtempSync(join(tmpdir(), "weir-standby-registry-"));
let pool: LocalWorkerPool;
let store: Store;

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
  store = openSqliteStore({ path: join(dbDir, "weir.db") });
  await store.migrate();
});

afterAll(async () => {
  await pool?.close();
  await store?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(dbDir, { recursive: true, force: true });
});

const source = (id: string, n: number): string => `import { pipeline } from "weir";\nexport default pipeline({ id: "${id}" }, (p) => { p.task("t", async () => ${n}); });\n`;
const heads = async (): Promise<Map<string, { version: string; file: string }>> => new Map((await store.reads.pipelineHeads()).map((h) => [h.id, h]));

describe("a standby's registry", () => {
  it("loads and follows the files without saving a version; saveHeld saves the ones the store lacks, then saves as usual", async () => {
    writeFileSync(join(root, "a.ts"), source("a", 1));
    writeFileSync(join(root, "b.ts"), source("b", 1));
    const lines: string[] = [];
    let registry: PipelineRegistry | null = null;
    try {
      registry = await loadStandbyPipelines({ root, loader: pool, store, clock: { now: () => Date.now() }, onEvent: (_kind, line) => lines.push(line) });
      const loaded = registry;
      expect(loaded.pipelines().map((g) => g.id)).toEqual(["a", "b"]);
      expect(lines).toContain(`standby: 2 pipelines loaded from ${root} (not scheduling until this process holds the lease)`);
      expect(await store.reads.pipelineHeads()).toEqual([]);

      // The holder saved b's version already; a's changes while standing by, unsaved.
      const b = loaded.get("b");
      if (!b) throw new Error("b is not loaded");
      await store.savePipelineVersion(b, Date.now());
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
