// Task outputs crossing worker processes and the store with their types; an output that can't be
// serialized fails its try once, naming the task, without retries.
import { afterEach, describe, expect, it } from "vitest";
import { byTask, fixture, logs, makeHome, runDocument, runIdOf, statesOf, type Home } from "./helpers.js";

describe("outputs", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("passes Date, Map, Set, bigint and undefined to downstream tasks intact", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("outputs.ts")]);
    expect(result.code, result.stderr).toBe(0);
    const runId = runIdOf(result);
    expect(statesOf(await runDocument(h, runId))).toEqual({ produce: "success", count: "success", check: "success" });
    const log = await logs(h, runId, "check");
    expect(log.stdout).toMatch(
      /info received \{"when":"2025-01-02T03:04:05\.678Z","orders":"1180591620717411303424","tags":\["a","b"\],"count":3\}/,
    );
  });

  it("fails a try whose output is a function, naming the task, and does not retry it", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("output_function.ts")]);
    expect(result.code, result.stderr).toBe(1);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(byTask(doc).get("connect")).toMatchObject({ state: "failed", tries: 1 }); // retries: 2, not used
    expect(byTask(doc).get("use")?.state).toBe("upstream_failed");
    expect(result.stderr).toMatch(/ connect failed · OutputNotSerializableError: task "connect" returned a value that can't be serialized/);
    const log = await logs(h, runId, "connect");
    expect(log.stderr).toMatch(/^try 1 failed: OutputNotSerializableError: task "connect" returned a value that can't be serialized: .*close/m);
  });
});
