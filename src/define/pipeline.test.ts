import { describe, expect, it } from "vitest";
import { pipeline } from "./pipeline.js";

describe("pipeline(): what the builder records", () => {
  it("records after as the ids of the references, reporting one that is not a reference and keeping the others in order", () => {
    const { spec } = pipeline({ id: "p" }, (p) => {
      const a = p.task("a", async () => 1);
      const b = p.task("b", async () => 2);
      p.task("c", { after: [a, 42 as never, b, { kind: "task", id: "elsewhere" } as never] }, async () => 3);
    });
    const c = spec.tasks[2];
    expect(c?.after).toEqual(["a", "b", "elsewhere"]);
    expect(c?.needs).toEqual({});
    expect(spec.problems).toEqual([{ code: "reference_invalid", message: "after[1] of task c is not a task reference", task: "c" }]);
  });

  it("keeps a task's other options, without needs, after and mapping, and an empty object for a task without any", () => {
    const { spec } = pipeline({ id: "p" }, (p) => {
      const a = p.task("a", async () => [1]);
      p.task("b", { after: [a] }, async () => 2);
      p.task("c", { needs: { a }, retries: 2, queue: "q" }, async () => 3);
      p.task("d", { map: a, maxParallel: 2, priority: 1 }, async () => 4);
    });
    expect(spec.tasks.map((t) => t.options)).toEqual([{}, {}, { retries: 2, queue: "q" }, { priority: 1 }]);
    expect(spec.tasks[2]?.needs).toEqual({ a: "a" });
    expect(spec.tasks[3]?.mapping).toEqual({ mode: "item", over: { item: "a" }, maxParallel: 2 });
    expect(spec.problems).toEqual([]);
  });

  it("reports a duplicate id each time it is defined again, and an invalid id", () => {
    const { spec } = pipeline({ id: "p" }, (p) => {
      p.task("a", async () => 1);
      p.task("a", async () => 2);
      p.task("bad id", async () => 3);
      p.task("a", async () => 4);
    });
    expect(spec.problems.map((p) => [p.code, p.task])).toEqual([
      ["task_duplicate", "a"],
      ["task_id_invalid", "bad id"],
      ["task_duplicate", "a"],
    ]);
    expect(spec.tasks).toHaveLength(4);
  });
});
