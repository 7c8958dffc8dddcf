// Tries that follow each other on one worker don't leak into each other: what a finished try still
// prints goes to the worker's stderr (never into the next try's log), and what it still throws fails
// no other try — the worker retires after the try it is running and the pool replaces it. An error of
// the running try's own fails that try and aborts its signal.
// Ordering is by marker files (the late code of `a` waits for `b` to start), never by sleeps.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeValue } from "../../src/worker/value-codec.js";
import { isAlive, makeJob, makePool, makeTempDir, readLog, versionOf, waitFor } from "./helpers.js";

const tmp = makeTempDir();
const started = new Map<string, string>();
const { pool, run } = makePool({ size: 1, killGraceMs: 2000, onStarted: (tryKey, workerId) => started.set(tryKey, workerId) });
let file = "";
let version = "";

beforeAll(async () => {
  file = tmp.write(
    "leaky.ts",
    `import { pipeline } from "weir";
import { existsSync, writeFileSync } from "node:fs";

const dir = ${JSON.stringify(tmp.dir)};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default pipeline({ id: "leaky" }, (p) => {
  // Returns at once; once the try after it has started, prints, throws and rejects, then says so.
  p.task("a", async (ctx) => {
    const go = dir + "/go-" + ctx.runId;
    const timer = setInterval(() => {
      if (!existsSync(go)) return;
      clearInterval(timer);
      console.log("printed by a, late");
      setTimeout(() => {
        void Promise.reject(new Error("rejected by a, late"));
        setTimeout(() => writeFileSync(dir + "/done-" + ctx.runId, ""), 5);
        throw new Error("thrown by a, late");
      }, 1);
    }, 2);
    return "a";
  });
  // Starts a's late code and runs until it is over.
  p.task("b", async (ctx) => {
    const { after } = ctx.params as { after: string };
    console.log("b started");
    writeFileSync(dir + "/go-" + after, "");
    for (let i = 0; i < 2000 && !existsSync(dir + "/done-" + after); i++) await sleep(5);
    console.log("b done");
    return "b";
  });
  p.task("own_error", async (ctx) => {
    ctx.signal.addEventListener("abort", () => writeFileSync(dir + "/aborted-" + ctx.runId, String(ctx.signal.reason)));
    setTimeout(() => { throw new Error("thrown by own_error"); }, 1);
    await new Promise(() => {});
  });
  p.task("quick", async () => "ok");
});
`,
  );
  version = await versionOf(pool, file, "leaky");
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
});

const job = (taskId: string, extra = {}) => makeJob(tmp.dir, file, version, "leaky", taskId, extra);
const pidOf = (tryKey: string) => Number(started.get(tryKey)?.split(":")[1]);

describe("isolation of tries on one worker", () => {
  it("keeps a finished try's late output and errors out of the next try, and retires the worker", async () => {
    const a = job("a");
    const b = job("b", { params: { after: a.runId } });
    expect(await run(a)).toEqual({ outcome: "success", output: expect.any(String) as string });
    const bResult = await run(b);
    expect(existsSync(join(tmp.dir, `done-${a.runId}`))).toBe(true); // a's late code did run during b
    expect(pidOf(b.tryKey)).toBe(pidOf(a.tryKey));

    expect(bResult.outcome === "success" && decodeValue(bResult.output)).toBe("b");
    const bLog = readLog(b.logPath);
    expect(bLog).toMatch(/ out b started\n/);
    expect(bLog).toMatch(/ out b done\n/);
    expect(bLog).not.toContain("by a");
    expect(readLog(a.logPath)).not.toContain("by a"); // a had finished: its late lines went to the worker's stderr

    // The worker couldn't vouch for itself any more: it exits, and the next try runs on a new one.
    await waitFor(() => !isAlive(pidOf(b.tryKey)), 10_000, "the worker to retire");
    const c = job("quick");
    expect(await run(c)).toMatchObject({ outcome: "success" });
    expect(pidOf(c.tryKey)).not.toBe(pidOf(b.tryKey));
  });

  it("fails a try on its own uncaught error and aborts its signal; the worker goes on", async () => {
    const own = job("own_error");
    expect(await run(own)).toMatchObject({ outcome: "failure", error: { name: "Error", message: "thrown by own_error", retryable: true, kind: "error" } });
    await waitFor(() => existsSync(join(tmp.dir, `aborted-${own.runId}`)), 5000, "the try's signal to be aborted");
    const next = job("quick");
    expect(await run(next)).toMatchObject({ outcome: "success" });
    expect(pidOf(next.tryKey)).toBe(pidOf(own.tryKey));
  });
});
