// `weir run --json`: stdout is exactly the run document of DESIGN.md §4, nothing else.
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, makeTempDir, RUN_KEYS, runDocument, TASK_KEYS, type Home, type RunDocument } from "./helpers.js";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("weir run --json", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("prints exactly the run document on stdout, and the store agrees with it", async () => {
    h = makeHome();
    const result = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    // The whole of stdout is one JSON document (JSON.parse rejects anything before or after it).
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(Object.keys(doc).sort()).toEqual(["run", "tasks"]);
    expect(Object.keys(doc.run).sort()).toEqual(RUN_KEYS);
    expect(doc.run).toMatchObject({ pipeline: "etl_daily", state: "success", logicalDate: "2025-09-03T00:00:00.000Z" });
    expect(doc.run.startedAt).toMatch(ISO);
    expect(doc.run.endedAt).toMatch(ISO);
    expect(doc.tasks).toHaveLength(3);
    for (const task of doc.tasks) {
      expect(Object.keys(task).sort()).toEqual(TASK_KEYS);
      expect(task).toMatchObject({ mapIndex: -1, state: "success", tries: 1, cached: false });
      expect(task.startedAt).toMatch(ISO);
      expect(task.endedAt).toMatch(ISO);
    }
    expect(doc.tasks.map((t) => t.id)).toEqual(["extract", "transform", "load"]);
    // No progress lines were mixed into stdout, and the store holds the same document.
    expect(await runDocument(h, doc.run.id)).toEqual(doc);
  });

  it("prints the run document of a failed run too, with exit 1", async () => {
    h = makeHome();
    const result = await h.weir(["run", "examples/ml_training.ts", "--param", "threshold=1", "--param", "epochs=5", "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(Object.keys(doc.run).sort()).toEqual(RUN_KEYS);
    expect(doc.run.state).toBe("failed");
    expect(doc.tasks.map((t) => [t.id, t.state])).toEqual([
      ["train", "success"],
      ["evaluate", "failed"],
    ]);
  });

  it("keeps stdout clean when the pipeline file and its task print", async () => {
    h = makeHome();
    const temp = makeTempDir();
    try {
      const file = temp.write(
        "noisy.ts",
        `import { pipeline } from "weir";
console.log("hello from import");
process.stdout.write("raw write at import\\n");
export default pipeline({ id: "noisy" }, (p) => {
  p.task("talk", async () => {
    console.log("hello from the task");
    return 1;
  });
});
`,
      );
      const result = await h.weir(["run", file, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      const doc = JSON.parse(result.stdout) as RunDocument;
      expect(doc.run).toMatchObject({ pipeline: "noisy", state: "success" });
      expect(result.stdout).not.toContain("hello");
    } finally {
      temp.remove();
    }
  });
});
