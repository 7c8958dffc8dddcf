// The pipeline registry of `weir dev`: real pipeline files in a temp dir inside the package (so
// `import { pipeline } from "weir"` resolves), loaded by a real worker pool, versions saved in a real
// SQLite store, changes seen through real file watching. Waits on conditions, never on fixed sleeps.
import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PipelineRegistry, type PipelineChange, type PipelineRegistryOptions } from "../../src/scheduler/pipeline-registry.js";
import { findPipelineFiles } from "../../src/cli/pipeline-files.js";
import { watchTree, type WatchMode } from "../../src/scheduler/watch-files.js";
import type { Store } from "../../src/store/index.js";
import { useRegistryFixture } from "../support/registry-fixture.js";

const fx = useRegistryFixture(import.meta.dirname, "weir-registry-", 2);
const tmp = fx.dir;
const registries: PipelineRegistry[] = [];
let cases = 0;

afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.stop()));
});

/** A pipeline file: its one task returns `n`, so each n is a different version. */
const pipelineSource = (id: string, n: number): string => `import { pipeline } from "weir";\nexport default pipeline({ id: "${id}" }, (p) => { p.task("t", async () => ${n}); });\n`;
const brokenSource = `import { pipeline } from "weir";\nthrow new Error("no database url");\nexport default pipeline({ id: "never" }, () => {});\n`;

interface Case {
  root: string;
  registry: PipelineRegistry;
  changes: PipelineChange[];
  write: (name: string, text: string) => string;
  path: (name: string) => string;
}

/** A fresh root with `files` in it, and a started registry over it. */
async function startCase(files: Record<string, string>, options: Partial<PipelineRegistryOptions> = {}): Promise<Case> {
  const root = join(tmp, `case${++cases}`);
  const path = (name: string): string => join(root, name);
  const write = (name: string, text: string): string => {
    mkdirSync(dirname(path(name)), { recursive: true });
    writeFileSync(path(name), text);
    return path(name);
  };
  mkdirSync(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) write(name, text);
  const changes: PipelineChange[] = [];
  const registry = new PipelineRegistry({ root, pool: fx.pool, store: fx.store, clock: { now: () => Date.now() }, debounceMs: 20, onChange: (c) => changes.push(c), ...options });
  registries.push(registry);
  await registry.start();
  return { root, registry, changes, write, path };
}

async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ids = (registry: PipelineRegistry): string[] => registry.pipelines().map((p) => p.id);
const uid = (name: string): string => `${name}_${cases + 1}`;

describe("PipelineRegistry", () => {
  it("loads every file at start: good ones registered and saved, broken ones reported, helpers and skipped dirs ignored", async () => {
    const a = uid("a");
    const b = uid("b");
    const c = await startCase({
      "a.ts": pipelineSource(a, 1),
      "sub/b.ts": pipelineSource(b, 1),
      "broken.ts": brokenSource,
      "lib.ts": `export const x = 1;\n`,
      "a.test.ts": pipelineSource(uid("test"), 1),
      "node_modules/pkg/index.ts": pipelineSource(uid("nm"), 1),
      ".hidden/h.ts": pipelineSource(uid("hidden"), 1),
    });
    expect(ids(c.registry)).toEqual([a, b].sort());
    expect(c.registry.fileOf(a)).toBe(c.path("a.ts"));
    expect(c.registry.fileOf(b)).toBe(c.path("sub/b.ts"));
    expect(c.registry.problems()).toEqual([expect.objectContaining({ file: c.path("broken.ts"), code: "import_failed" })]);
    expect(c.registry.problems()[0]?.message).toContain("no database url");
    for (const id of [a, b]) {
      const record = await fx.store.getPipeline(id);
      expect(record?.version).toBe(c.registry.get(id)?.version);
      expect(record?.file).toBe(c.registry.fileOf(id));
    }
    expect(c.changes.map((x) => [x.kind, x.file, x.pipelineIds])).toEqual([
      ["loaded", c.path("a.ts"), [a]],
      ["failed", c.path("broken.ts"), []],
      ["loaded", c.path("sub/b.ts"), [b]],
    ]);
    expect(c.changes[1]?.problems).toEqual([expect.objectContaining({ code: "import_failed" })]);
  });

  it("reloads an edited file: the new version is saved and current, the old one stays in the store", async () => {
    const a = uid("a");
    const c = await startCase({ "a.ts": pipelineSource(a, 1), "other.ts": pipelineSource(uid("other"), 1) });
    const v1 = c.registry.get(a)?.version as string;
    const otherVersion = c.registry.get(uid("other"))?.version;
    c.changes.length = 0;

    c.write("a.ts", pipelineSource(a, 2));
    const v2 = await waitFor(() => c.registry.get(a)?.version !== v1 && c.registry.get(a)?.version, "the new version");
    expect((await fx.store.getPipeline(a))?.version).toBe(v2);
    expect((await fx.store.getPipelineVersion(a, v1))?.version).toBe(v1);
    expect((await fx.store.getPipelineVersion(a, v2))?.tasks.map((t) => t.id)).toEqual(["t"]);
    await waitFor(() => c.changes.length > 0, "the change event");
    expect(c.changes).toEqual([{ kind: "updated", file: c.path("a.ts"), pipelineIds: [a] }]);
    expect(c.registry.get(uid("other"))?.version).toBe(otherVersion);
  });

  it("keeps the last good version of a file that breaks, reports the problem, and takes the fix", async () => {
    const a = uid("a");
    const c = await startCase({ "a.ts": pipelineSource(a, 1) });
    const good = c.registry.get(a)?.version as string;
    c.changes.length = 0;

    c.write("a.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "${a}" }, (p) => {\n  const = 1;\n});\n`);
    await waitFor(() => c.registry.problems().length > 0, "the problem");
    expect(c.registry.problems()).toEqual([expect.objectContaining({ file: c.path("a.ts"), code: "import_failed" })]);
    expect(c.registry.get(a)?.version).toBe(good);
    expect((await fx.store.getPipeline(a))?.version).toBe(good);
    expect(c.changes).toEqual([expect.objectContaining({ kind: "failed", file: c.path("a.ts"), pipelineIds: [a] })]);

    // A pipeline that becomes invalid (here: its schedule) keeps its last good version too.
    c.write("a.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "${a}", schedule: "every now and then" }, (p) => { p.task("t", async () => 1); });\n`);
    await waitFor(() => c.registry.problems().some((p) => p.pipeline === a), "the pipeline's problem");
    expect(c.registry.get(a)?.version).toBe(good);

    c.write("a.ts", pipelineSource(a, 3));
    const fixed = await waitFor(() => c.registry.problems().length === 0 && c.registry.get(a)?.version, "the fix");
    expect(fixed).not.toBe(good);
    expect(c.changes.at(-1)).toEqual({ kind: "updated", file: c.path("a.ts"), pipelineIds: [a] });
  });

  it("removes the pipelines of a deleted file, and of one that stops defining them", async () => {
    const a = uid("a");
    const b = uid("b");
    const c = await startCase({ "a.ts": pipelineSource(a, 1), "b.ts": pipelineSource(b, 1) });
    c.changes.length = 0;
    unlinkSync(c.path("b.ts"));
    await waitFor(() => c.registry.get(b) === undefined, "the removal");
    expect(ids(c.registry)).toEqual([a]);
    expect(c.changes).toEqual([{ kind: "removed", file: c.path("b.ts"), pipelineIds: [b] }]);

    c.write("a.ts", `export const notAPipeline = 1;\n`);
    await waitFor(() => c.registry.get(a) === undefined, "the pipeline dropped from its file");
    expect(c.registry.problems()).toEqual([]);
    expect(c.changes.at(-1)).toEqual({ kind: "updated", file: c.path("a.ts"), pipelineIds: [], droppedIds: [a] });
  });

  it("loads added files and directories, and removes a deleted directory's pipelines", async () => {
    const a = uid("a");
    const c = await startCase({ "a.ts": pipelineSource(a, 1) });
    c.changes.length = 0;
    const added = uid("added");
    c.write("added.ts", pipelineSource(added, 1));
    await waitFor(() => c.registry.get(added), "the added file");
    expect((await fx.store.getPipeline(added))?.version).toBe(c.registry.get(added)?.version);
    expect(c.changes).toEqual([{ kind: "loaded", file: c.path("added.ts"), pipelineIds: [added] }]);

    const deep = uid("deep");
    c.write("new/deeper/d.ts", pipelineSource(deep, 1));
    await waitFor(() => c.registry.get(deep), "the file in a new directory");
    c.write("new/deeper/d.ts", pipelineSource(deep, 2));
    const v1 = c.registry.get(deep)?.version;
    await waitFor(() => c.registry.get(deep)?.version !== v1, "an edit in the new directory");

    rmSync(c.path("new"), { recursive: true });
    await waitFor(() => c.registry.get(deep) === undefined, "the directory's removal");
    expect(ids(c.registry)).toEqual([a, added].sort());
    expect(c.changes.at(-1)).toEqual({ kind: "removed", file: c.path("new/deeper/d.ts"), pipelineIds: [deep] });
  });

  it("follows a file saved by writing a temporary file and renaming it over the original", async () => {
    const a = uid("a");
    const c = await startCase({ "a.ts": pipelineSource(a, 1) });
    const versions = [c.registry.get(a)?.version];
    for (const n of [2, 3]) {
      writeFileSync(c.path(".a.ts.swp"), pipelineSource(a, n));
      renameSync(c.path(".a.ts.swp"), c.path("a.ts"));
      versions.push(await waitFor(() => !versions.includes(c.registry.get(a)?.version) && c.registry.get(a)?.version, `atomic save ${n}`));
    }
    c.write("a.ts", pipelineSource(a, 4));
    await waitFor(() => !versions.includes(c.registry.get(a)?.version), "an in-place edit after atomic saves");
  });

  it("gives a duplicate id to the first file in path order and hands it over when that file stops defining it", async () => {
    const dup = uid("dup");
    const c = await startCase({ "a.ts": pipelineSource(dup, 1), "b.ts": pipelineSource(dup, 2) });
    const first = c.registry.get(dup)?.version as string;
    expect(c.registry.fileOf(dup)).toBe(c.path("a.ts"));
    expect(c.registry.problems()).toEqual([expect.objectContaining({ file: c.path("b.ts"), pipeline: dup, code: "pipeline_duplicate" })]);
    expect(c.registry.problems()[0]?.message).toContain("a.ts");
    expect((await fx.store.getPipeline(dup))?.file).toBe(c.path("a.ts"));
    expect(c.changes.map((x) => [x.kind, x.file, x.pipelineIds])).toEqual([
      ["loaded", c.path("a.ts"), [dup]],
      ["failed", c.path("b.ts"), []],
    ]);

    // Breaking the first file keeps its last good version (and the id).
    c.write("a.ts", brokenSource);
    await waitFor(() => c.registry.problems().some((p) => p.file === c.path("a.ts")), "a.ts's problem");
    expect(c.registry.fileOf(dup)).toBe(c.path("a.ts"));

    c.changes.length = 0;
    unlinkSync(c.path("a.ts"));
    await waitFor(() => c.registry.fileOf(dup) === c.path("b.ts"), "b.ts taking the id over");
    const second = c.registry.get(dup)?.version;
    expect(second).not.toBe(first);
    expect(c.registry.problems()).toEqual([]);
    expect(await fx.store.getPipeline(dup)).toMatchObject({ version: second, file: c.path("b.ts") });
    expect(c.changes).toEqual([
      { kind: "removed", file: c.path("a.ts"), pipelineIds: [dup] },
      { kind: "updated", file: c.path("b.ts"), pipelineIds: [dup] },
    ]);

    // A new file earlier in path order takes it back.
    c.write("0.ts", pipelineSource(dup, 3));
    await waitFor(() => c.registry.fileOf(dup) === c.path("0.ts"), "0.ts taking the id");
    expect(c.registry.problems()).toEqual([expect.objectContaining({ file: c.path("b.ts"), code: "pipeline_duplicate" })]);
  });

  it("reloads the files that import a helper module when it changes", async () => {
    const p = uid("p");
    const c = await startCase({
      "lib/schedule.ts": `export const SCHEDULE = "@daily";\n`,
      "p.ts": `import { pipeline } from "weir";\nimport { SCHEDULE } from "./lib/schedule.js";\nexport default pipeline({ id: "${p}", schedule: SCHEDULE }, (t) => { t.task("t", async () => 1); });\n`,
    });
    expect(c.registry.get(p)?.schedule).toBe("@daily");
    c.write("lib/schedule.ts", `export const SCHEDULE = "@hourly";\n`);
    await waitFor(() => c.registry.get(p)?.schedule === "@hourly", "the importer's new schedule");
    expect((await fx.store.getPipeline(p))?.graph.schedule).toBe("@hourly");

    // A missing helper breaks the importer (last good version kept); restoring it fixes it.
    rmSync(c.path("lib"), { recursive: true });
    await waitFor(() => c.registry.problems().some((x) => x.file === c.path("p.ts")), "the importer's problem");
    expect(c.registry.get(p)?.schedule).toBe("@hourly");
    c.write("lib/schedule.ts", `export const SCHEDULE = "@weekly";\n`);
    await waitFor(() => c.registry.problems().length === 0 && c.registry.get(p)?.schedule === "@weekly", "the importer fixed");
  });

  it("keeps the current version when the store fails to save a new one, and saves it on the next change", async () => {
    const a = uid("a");
    let failing = false;
    const flaky: Pick<Store, "savePipelineVersion"> = {
      savePipelineVersion: (graph, nowMs) => (failing ? Promise.reject(new Error("disk I/O error")) : fx.store.savePipelineVersion(graph, nowMs)),
    };
    const c = await startCase({ "a.ts": pipelineSource(a, 1) }, { store: flaky });
    const good = c.registry.get(a)?.version;
    failing = true;
    c.write("a.ts", pipelineSource(a, 2));
    await waitFor(() => c.registry.problems().some((p) => p.code === "pipeline_save_failed"), "the save problem");
    expect(c.registry.get(a)?.version).toBe(good);
    expect(c.registry.problems()[0]?.message).toContain("disk I/O error");
    failing = false;
    c.write("other.ts", pipelineSource(uid("other"), 1));
    const saved = await waitFor(() => c.registry.problems().length === 0 && c.registry.get(a)?.version !== good && c.registry.get(a)?.version, "the retried save");
    expect((await fx.store.getPipeline(a))?.version).toBe(saved);
  });

  it("watches a single pipeline file", async () => {
    const a = uid("a");
    const dir = await startCase({});
    const file = dir.write("single.ts", pipelineSource(a, 1));
    dir.write("neighbour.ts", pipelineSource(uid("neighbour"), 1));
    const registry = new PipelineRegistry({ root: file, pool: fx.pool, store: fx.store, clock: { now: () => Date.now() }, debounceMs: 20 });
    registries.push(registry);
    await registry.start();
    expect(ids(registry)).toEqual([a]);
    const v1 = registry.get(a)?.version;
    dir.write("single.ts", pipelineSource(a, 2));
    await waitFor(() => registry.get(a)?.version !== v1, "the edit");
    unlinkSync(file);
    await waitFor(() => registry.get(a) === undefined, "the removal");
  });

  it("stops watching on stop", async () => {
    const c = await startCase({ "a.ts": pipelineSource(uid("a"), 1) });
    await c.registry.stop();
    const late = uid("late");
    c.write("late.ts", pipelineSource(late, 1));
    // Another registry over the same root sees the file; the stopped one never does.
    const other = new PipelineRegistry({ root: c.root, pool: fx.pool, store: fx.store, clock: { now: () => Date.now() }, debounceMs: 20 });
    registries.push(other);
    await other.start();
    expect(other.get(late)).toBeDefined();
    expect(c.registry.get(late)).toBeUndefined();
  });

  it("rejects a root that doesn't exist", async () => {
    const registry = new PipelineRegistry({ root: join(tmp, "nope"), pool: fx.pool, store: fx.store, clock: { now: () => Date.now() } });
    await expect(registry.start()).rejects.toMatchObject({ code: "path_not_found" });
  });
});

describe("watchTree", () => {
  for (const mode of ["per-directory", "recursive"] as WatchMode[]) {
    it(`reports created, edited and deleted files in nested directories (${mode})`, async () => {
      const root = join(tmp, `watch-${mode}`);
      mkdirSync(join(root, "sub"), { recursive: true });
      const seen = new Set<string>();
      const watcher = watchTree(root, { mode, skipDir: (name) => name.startsWith("."), onPath: (p) => seen.add(p) });
      try {
        const saw = async (path: string, act: () => void): Promise<void> => {
          seen.clear();
          act();
          await waitFor(() => seen.has(path), `an event for ${path} (${watcher.mode})`);
        };
        const file = join(root, "sub", "f.ts");
        await saw(file, () => writeFileSync(file, "1"));
        await saw(file, () => writeFileSync(file, "2"));
        mkdirSync(join(root, "sub", "new"));
        const nested = join(root, "sub", "new", "g.ts");
        await waitFor(async () => {
          // The new directory's watch starts when its creation is seen: write until an event arrives.
          writeFileSync(nested, String(Date.now()));
          await new Promise((r) => setTimeout(r, 20));
          return seen.has(nested);
        }, "an event in a new directory");
        await saw(file, () => unlinkSync(file));
      } finally {
        watcher.close();
      }
    });
  }

  it("the CLI's findPipelineFiles is the registry's", () => {
    expect(findPipelineFiles(join(import.meta.dirname, "..", "..", "examples")).files.length).toBeGreaterThan(0);
  });
});
