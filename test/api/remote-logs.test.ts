// The log of a try that ran on a remote `weir worker` (its own WEIR_HOME, so no log file where the server and
// the CLI look) is readable from the API (byte-offset slices while it runs, the download) and by
// `weir logs --follow`, read from the chunks the worker shipped to the store (docs/distributed.md). Real
// processes: a scheduler with `--executor store`, a worker, `weir server`, on SQLite and on Postgres.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LogChunk } from "../../src/api/types.js";
import { tryLogPath } from "../../src/observe/try-log-path.js";
import { freshPostgresUrl } from "../support/postgres.js";
import { Cluster, ROOT, runEnded, waitFor, type WorkersDoc } from "../distributed/cluster.js";

// Two lines, then a wait for the test's release file, then two more (one with characters of several bytes).
const TALKS = `
import { existsSync } from "node:fs";
import { pipeline } from "weir";
export default pipeline({ id: "talks" }, (p) => {
  p.task("talk", async (ctx) => {
    console.log("first line from " + process.env.WEIR_TEST_WORKER);
    console.error("second line, on stderr");
    while (!existsSync(\`\${__MARKS__}/../release\`)) await new Promise((r) => setTimeout(r, 50));
    console.log("third line: ünïcødé ✓ 日本語");
    ctx.log.info("last line");
    return "done";
  });
});
`;

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** `weir logs … --follow` as a child process; resolves with its exit code and output when it ends. */
function followLogs(c: Cluster, runId: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/weir.js", "logs", runId, "talk", "--follow"], { cwd: ROOT, env: c.env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

for (const store of ["sqlite", "postgres"] as const) {
  describe(`logs of a try on a remote worker, on ${store}`, () => {
    // Three long-lived processes and a dozen cold CLI runs: on a busy machine this outgrows the default 60 s.
    it("are read from the store by the API (slices by byte offset, download) and by weir logs --follow", async () => {
      const c = (cluster = new Cluster(store === "postgres" ? await freshPostgresUrl() : undefined));
      c.writePipeline("talks.ts", TALKS);
      const scheduler = c.scheduler();
      const worker = c.worker("A", "default");
      const server = c.start(["server", "--port", "0"]);
      await waitFor("the worker", async () => ((await c.cli(["workers", "--json"])).stdout.match(/"alive"/g) ?? []).length === 1, worker.output);
      await waitFor("the server", () => /serving the UI and API on (http:\/\/\S+)/.test(server.output()), server.output);
      const api = `${/serving the UI and API on (http:\/\/\S+)/.exec(server.output())![1]}/api/v1`;
      await waitFor("the scheduler", () => /scheduler running/.test(scheduler.output()), scheduler.output);
      const runId = (await c.json<{ run: { id: string } }>(["trigger", "talks"])).run.id;
      const logs = `${api}/runs/${runId}/tasks/talk/tries/1/logs`;

      // While the try runs: the first lines, shipped at the worker's heartbeats; not complete.
      let first: LogChunk | null = null;
      await waitFor("the first lines through the API", async () => {
        // 404 try_not_found until the scheduler has started the try.
        const response = await fetch(`${logs}?offset=0`);
        if (response.status === 404) return false;
        first = (await response.json()) as LogChunk;
        return /second line/.test(first.text);
      }, () => scheduler.output() + worker.output());
      expect(first!).toMatchObject({ offset: 0, complete: false });
      expect(first!.text).toMatch(/^\S+ out first line from A\n\S+ err second line, on stderr\n$/);
      expect(first!.nextOffset).toBe(Buffer.byteLength(first!.text));
      // The log file is only in the worker's WEIR_HOME, not in the server's.
      expect(existsSync(tryLogPath(join(c.home, "worker-A"), "talks", runId, "talk", -1, 1))).toBe(true);
      expect(existsSync(tryLogPath(c.home, "talks", runId, "talk", -1, 1))).toBe(false);

      const followed = followLogs(c, runId);
      c.touch("release");
      expect((await runEnded(c, runId)).run.state).toBe("success");

      // The rest, from where the first slice ended, until complete.
      let rest = "";
      let offset = first!.nextOffset;
      for (;;) {
        const chunk = await get<LogChunk>(`${logs}?offset=${offset}`);
        expect(chunk.offset).toBe(offset);
        rest += chunk.text;
        offset = chunk.nextOffset;
        if (chunk.complete) break;
      }
      expect(rest).toMatch(/^\S+ out third line: ünïcødé ✓ 日本語\n\S+ .*last line.*\n$/);
      const whole = first!.text + rest;
      expect(offset).toBe(Buffer.byteLength(whole));
      // A slice from the middle of the multi-byte characters starts at the next whole character.
      const past = Buffer.byteLength(whole.slice(0, whole.indexOf("ü"))) + 1;
      const cut = await get<LogChunk>(`${logs}?offset=${past}`);
      expect(cut).toMatchObject({ offset: past, nextOffset: offset, complete: true });
      expect(Buffer.from(whole).subarray(past).toString("utf8")).toBe(cut.text);

      const download = await fetch(`${logs}/download`);
      expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${runId}_talk_try1.log"`);
      expect(await download.text()).toBe(whole);

      // `weir logs --follow` started while the try ran, reading the store: every line once, then it ended.
      const follow = await followed;
      expect(follow.code).toBe(0);
      expect(follow.stdout).toBe(whole);
      // Through the API too (`--server`), and `weir logs` without --follow.
      const viaServer = await c.cli(["logs", runId, "talk", "--server", api.replace(/\/api\/v1$/, "")]);
      expect([viaServer.code, viaServer.stdout]).toEqual([0, whole]);
      const plain = await c.cli(["logs", runId, "talk"]);
      expect([plain.code, plain.stdout]).toEqual([0, whole]);
      const workers = await c.json<WorkersDoc>(["workers"]);
      expect(workers.workers).toHaveLength(1);
    }, 150_000);
  });
}
