// The real commands as a user runs them: `weir dev --port` and `weir server` serve the UI and API, and the
// CLI's --server paths give the same output and exit codes as the store paths. `weir server` alone hands
// commands on a run a scheduler process drives to it (run requests), and refuses (409, exit 2) to write
// under a run a foreground `weir run` drives.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ApiError, LiveEvent, PipelineList, RunDetail } from "../../src/api/types.js";
import { badInputLine, makeHome, ROOT, waitFor, type Home } from "../cli/helpers.js";
import { FIXTURES, waitFor as waitUntil } from "./helpers.js";

const FIXTURE_DIR = relative(ROOT, FIXTURES);
const children: ChildProcess[] = [];
let h: Home | null = null;
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
  h?.remove();
  h = null;
});

/** Starts `weir <args>` and waits for the URL it serves on. */
async function serve(home: Home, args: string[]): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: { ...process.env, WEIR_HOME: home.dir, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await waitFor(() => /(?:UI and API on|serving the UI and API on) (http:\/\/\S+)/.exec(stderr)?.[1], 30_000, `weir ${args[0]} to serve (${stderr})`);
  return { url, stderr: () => stderr };
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe("weir dev with the API, and the CLI's --server paths", () => {
  it("triggers, inspects, pauses, clears and backfills through a server exactly as through the store", async () => {
    h = makeHome();
    const home = h;
    const { url } = await serve(home, ["dev", FIXTURE_DIR, "--port", "0"]);
    const page = await fetch(`${url}/pipelines/api_params`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);

    const triggered = await home.weir(["trigger", "api_params", "--param", "n=7", "--param", "mode=slow", "--server", url]);
    expect(triggered.code, triggered.stderr).toBe(0);
    const runId = /run (\S+) of api_params queued/.exec(triggered.stderr)?.[1] as string;
    expect(triggered.stderr).not.toMatch(/no scheduler is running/);
    await waitUntil("the run to succeed", async () => (await json<RunDetail>(`${url}/api/v1/runs/${runId}`)).body.state === "success");
    const final = await json<RunDetail>(`${url}/api/v1/runs/${runId}`);
    expect(final.body.state).toBe("success");

    // Same documents and lines both ways.
    for (const args of [["tasks", runId, "--json"], ["tasks", runId], ["runs", "api_params", "--json"], ["logs", runId, "double"], ["logs", runId, "report", "--try", "1"]]) {
      const local = await home.weir(args);
      const remote = await home.weir([...args, "--server", url]);
      expect(remote.code, `${args.join(" ")}: ${remote.stderr}`).toBe(0);
      expect(remote.stdout.replace(/\d+ms|\d+(\.\d+)?s\b/g, "T"), args.join(" ")).toBe(local.stdout.replace(/\d+ms|\d+(\.\d+)?s\b/g, "T"));
      expect(remote.stderr, args.join(" ")).toBe(local.stderr);
    }
    expect((await home.weir(["logs", runId, "double", "--server", url])).stdout).toMatch(/doubling 7 \(slow\)/);
    const dryLocal = await home.weir(["backfill", "api_daily", "--from", "2025-09-01", "--to", "2025-09-04", "--dry-run"]);
    const dryRemote = await home.weir(["backfill", "api_daily", "--from", "2025-09-01", "--to", "2025-09-04", "--dry-run", "--server", url]);
    expect(dryRemote.stdout).toBe(dryLocal.stdout);

    // Bad input: exit 2, one line naming the problem, nothing written.
    const runsBefore = await home.weir(["runs", "api_params", "--json"]);
    expect(badInputLine(await home.weir(["trigger", "api_params", "--param", "n=500", "--server", url]))).toMatch(/param n/);
    expect(badInputLine(await home.weir(["trigger", "api_params", "--param", "colour=red", "--server", url]))).toMatch(/unknown param 'colour'/);
    expect(badInputLine(await home.weir(["trigger", "nope", "--server", url]))).toMatch(/no pipeline "nope"/);
    expect(badInputLine(await home.weir(["tasks", "no_such_run", "--server", url]))).toMatch(/no run with id "no_such_run"/);
    expect(badInputLine(await home.weir(["logs", runId, "nope", "--server", url]))).toMatch(/has no task "nope"/);
    expect(badInputLine(await home.weir(["logs", runId, "double", "--try", "7", "--server", url]))).toMatch(/no try 7/);
    expect(badInputLine(await home.weir(["pause", "nope", "--server", url]))).toMatch(/no pipeline "nope"/);
    expect(badInputLine(await home.weir(["clear", runId, "--task", "nope", "--server", url]))).toMatch(/has no task "nope"/);
    expect(badInputLine(await home.weir(["tasks", runId, "--server", "localhost:1"]))).toMatch(/--server must be/);
    expect((await home.weir(["runs", "api_params", "--json"])).stdout).toBe(runsBefore.stdout);

    const paused = await home.weir(["pause", "api_daily", "--server", url]);
    expect(paused.stderr).toMatch(/api_daily paused/);
    expect((await json<PipelineList>(`${url}/api/v1/pipelines`)).body.pipelines.find((p) => p.id === "api_daily")?.paused).toBe(true);
    expect((await home.weir(["unpause", "api_daily", "--server", url])).code).toBe(0);

    // A failed run, cleared through the server: the scheduler of `weir dev` runs it again.
    writeFileSync(join(home.dir, "fail"), "");
    const failing = await home.weir(["trigger", "api_ops", "--server", url, "--json"]);
    const failedId = (JSON.parse(failing.stdout) as { run: { id: string } }).run.id;
    await waitUntil("the run to fail", async () => (await json<RunDetail>(`${url}/api/v1/runs/${failedId}`)).body.state === "failed");
    const nothing = await home.weir(["clear", failedId, "--task", "extract", "--failed-only", "--server", url]);
    expect(badInputLine(nothing)).toMatch(/nothing to clear in run \S+: no failed, upstream_failed or canceled task instance among extract$/);
    rmSync(join(home.dir, "fail"));
    const cleared = await home.weir(["clear", failedId, "--failed-only", "--server", url]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toMatch(/^cleared flaky: failed → \w+ \(next try 2\)$/m);
    expect(cleared.stderr).toMatch(/takes the run over/);
    await waitUntil("the cleared run to succeed", async () => (await json<RunDetail>(`${url}/api/v1/runs/${failedId}`)).body.state === "success");

    const backfill = await home.weir(["backfill", "api_daily", "--from", "2025-09-01", "--to", "2025-09-02", "--server", url, "--json"]);
    expect(backfill.code, backfill.stderr).toBe(0);
    const backfillId = (JSON.parse(backfill.stdout) as { backfill: { id: string; runs: number } }).backfill.id;
    const listed = await home.weir(["backfill", "list", "--server", url, "--json"]);
    expect((JSON.parse(listed.stdout) as { backfills: { id: string; runs: number }[] }).backfills).toEqual([expect.objectContaining({ id: backfillId, runs: 2 })]);
  });
});

describe("weir server alone", () => {
  it("serves the store, sends live events by polling it, hands commands to the scheduler process, and refuses to write under `weir run`", async () => {
    h = makeHome();
    const home = h;
    writeFileSync(join(home.dir, "hold"), "");
    await serve(home, ["scheduler", FIXTURE_DIR, "--port", "0"]);
    const { url } = await serve(home, ["server", "--port", "0"]);
    expect((await json<{ scheduler: { live: boolean; inProcess: boolean } }>(`${url}/healthz`)).body.scheduler).toEqual({ live: true, inProcess: false });

    // Live events: the trigger goes through this server, the run is driven by the scheduler process.
    const controller = new AbortController();
    const events = await fetch(`${url}/api/v1/events`, { signal: controller.signal });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    const triggered = await json<RunDetail>(`${url}/api/v1/pipelines/api_ops/runs`, { method: "POST", body: "{}" });
    expect(triggered.status).toBe(201);
    const runId = triggered.body.id;
    let text = "";
    const decoder = new TextDecoder();
    const seen = await waitUntil("a live event of hold running", async () => {
      const { value } = await reader.read();
      text += decoder.decode(value, { stream: true });
      const found = text.split("\n\n").map((b) => b.split("\n").find((l) => l.startsWith("data:"))).filter((l): l is string => l !== undefined).map((l) => JSON.parse(l.slice(5)) as LiveEvent);
      return found.find((e) => e.kind === "task" && e.runId === runId && e.taskId === "hold" && e.state === "running");
    });
    controller.abort();
    expect(seen).toMatchObject({ kind: "task", taskId: "hold", state: "running" });
    await waitFor(() => existsSync(join(home.dir, "hold-started")), 30_000, "hold to start");

    // The scheduler of the other process drives the run: the server hands it the cancel as a run request.
    const canceled = await json<RunDetail>(`${url}/api/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(canceled.status).toBe(200);
    await waitUntil("the run to be canceled", async () => (await json<RunDetail>(`${url}/api/v1/runs/${runId}`)).body.state === "canceled");
    const doc = JSON.parse((await home.weir(["tasks", runId, "--json"])).stdout) as { tasks: { id: string; state: string }[] };
    expect(doc.tasks.find((t) => t.id === "hold")?.state).toBe("canceled");

    // A foreground `weir run` drives its own run: the server refuses to write under it.
    const child = spawn(process.execPath, ["bin/weir.js", "run", join(FIXTURE_DIR, "api_pipelines.ts"), "--pipeline", "api_ops"], { cwd: ROOT, env: { ...process.env, WEIR_HOME: home.dir, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const foreground = await waitFor(() => /^weir: run (\S+) of api_ops/m.exec(stderr)?.[1], 30_000, "weir run to start");
    await waitUntil("hold to run, and the rest to end, in the foreground run", async () => {
      const counts = (await json<RunDetail>(`${url}/api/v1/runs/${foreground}`)).body.taskCounts;
      return counts.hold?.running === 1 && counts.report?.success === 1;
    });
    const before = await home.weir(["tasks", foreground, "--json"]);
    const refused = await fetch(`${url}/api/v1/runs/${foreground}/cancel`, { method: "POST" });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as ApiError;
    expect(body.error.code).toBe("run_driven");
    expect(body.error.message).toMatch(/driven by `weir run`/);
    expect(badInputLine(await home.weir(["clear", foreground, "--task", "extract", "--server", url]))).toMatch(/driven by `weir run`/);
    expect((await home.weir(["tasks", foreground, "--json"])).stdout).toBe(before.stdout);
    rmSync(join(home.dir, "hold"));
  });

  it("fails with one line when its port is taken", async () => {
    h = makeHome();
    const { url } = await serve(h, ["server", "--port", "0"]);
    const port = new URL(url).port;
    const second = await h.weir(["server", "--port", port]);
    expect(badInputLine(second)).toMatch(new RegExp(`port ${port} on 127.0.0.1 is in use`));
    expect(badInputLine(await h.weir(["server", "--port", "http"]))).toMatch(/--port must be a port number/);
  });
});
