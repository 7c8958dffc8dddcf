// A version's graph is stored in its compact form (graph/wire-graph.ts) and read back as the same graph;
// rows written before that hold the plain graph JSON and still read (the format is told by its `format`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { PipelineGraph } from "../../src/graph/types.js";
import { decodeGraph, encodeGraph, WIRE_GRAPH_FORMAT } from "../../src/graph/wire-graph.js";
import { openSqliteStore } from "../../src/store/sqlite/open-sqlite-store.js";
import { graph, taskNode } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "weir-stored-graph-"));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function freshStore(): Promise<{ path: string; store: ReturnType<typeof openSqliteStore> }> {
  const path = join(root, `t${counter++}.db`);
  const store = openSqliteStore({ path });
  await store.migrate();
  return { path, store };
}

/** A fan-out of alike tasks (what the compact form is for) with one task of options of its own. */
function fanout(version: string): PipelineGraph {
  // Alike as a compiler makes them: one function's code hash, shared retry, cache and alerts objects.
  const leaf = taskNode("leaf", ["root"]);
  const leaves = Array.from({ length: 500 }, (_, i) => ({ ...leaf, id: `leaf${i}`, upstream: ["root"], after: ["root"] }));
  const odd = { ...taskNode("odd", ["root"]), description: "its own", priority: 3 };
  const join_ = taskNode("join", [...leaves.map((t) => t.id), "odd"]);
  const tasks = [taskNode("root"), ...leaves, odd, join_];
  return { ...graph("fan", version), tasks, order: tasks.map((t) => t.id) };
}

function storedJson(path: string, version: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT graph_json FROM pipeline_versions WHERE pipeline_id = ? AND version = ?").get("fan", version) as { graph_json: string }).graph_json;
  } finally {
    db.close();
  }
}

describe("a pipeline version's stored graph", () => {
  it("is written compact and read back as the same graph, down to its JSON text, by every reader", async () => {
    const { path, store } = await freshStore();
    try {
      const g = fanout("v1");
      await store.savePipelineVersion(g, 1);
      const stored = storedJson(path, "v1");
      expect((JSON.parse(stored) as { format?: string }).format).toBe(WIRE_GRAPH_FORMAT);
      expect(stored.length * 5).toBeLessThan(JSON.stringify(g).length);
      expect(JSON.stringify(await store.getPipelineVersion("fan", "v1"))).toBe(JSON.stringify(g));
      expect(JSON.stringify((await store.getPipeline("fan"))?.graph)).toBe(JSON.stringify(g));
      expect(JSON.stringify((await store.listPipelines())[0]?.graph)).toBe(JSON.stringify(g));
    } finally {
      await store.close();
    }
  });

  it("writes the compact form a worker sent (a graph decoded from it) as it came, and the same graph", async () => {
    const { store } = await freshStore();
    try {
      const g = fanout("v2");
      const fromWorker = decodeGraph(JSON.parse(JSON.stringify(encodeGraph(g))) as PipelineGraph);
      await store.savePipelineVersion(fromWorker, 1);
      // Saved again (another version row of the same graph object): encoded afresh, the same text.
      await store.savePipelineVersion(fromWorker, 2);
      expect(JSON.stringify(await store.getPipelineVersion("fan", "v2"))).toBe(JSON.stringify(g));
    } finally {
      await store.close();
    }
  });

  it("reads a row written before the compact form (the plain graph JSON)", async () => {
    const { path, store } = await freshStore();
    try {
      const g = fanout("old");
      const db = new Database(path);
      db.prepare("INSERT INTO pipelines (id, version, file, paused, updated_ms) VALUES (?, ?, ?, 0, 1)").run("fan", "old", g.file);
      db.prepare("INSERT INTO pipeline_versions (pipeline_id, version, graph_json, file, created_ms) VALUES (?, ?, ?, ?, 1)").run("fan", "old", JSON.stringify(g), g.file);
      db.close();
      expect(await store.getPipelineVersion("fan", "old")).toEqual(g);
      expect((await store.getPipeline("fan"))?.graph).toEqual(g);
    } finally {
      await store.close();
    }
  });
});
