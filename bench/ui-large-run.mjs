#!/usr/bin/env node
// Measures the web app on a 100,000-task run (issue 6: "the pages stay interactive with a 100,000-task
// run; measure the time to first render of the run page"). Not part of `npm run bench`: it needs Chromium.
//
//   npm run build && node bench/ui-large-run.mjs [--tasks 100000] [--reps 3] [--screenshots DIR]
//
// It creates the run directly through the store (a fan-out 1 → N → 1 pipeline version, every instance
// pending: nothing executes), serves it with `weir server`, and opens the run page in Debian's Chromium
// (/usr/bin/chromium, playwright-core) with a fresh profile each repetition. Figures, median of the reps:
//   first row      navigation start → the first task-instance row is in the DOM (what the user sees first)
//   counts         navigation start → the run's progress bar and state counts are drawn (GET /runs/:id)
//   next page      scrolling to the end of the loaded rows → the list has grown by the next page of 500
//   select         clicking a row → its tries panel is drawn
//   graph          the pipeline page → the graph (laid out collapsed in a Web Worker) is drawn
/* global fetch, window, document, requestAnimationFrame -- Node 20's fetch; the rest runs inside the page */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { tsImport } from "tsx/esm/api";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TASKS = arg("tasks", 100_000);
const REPS = arg("reps", 3);
const SHOTS = process.argv.includes("--screenshots") ? process.argv[process.argv.indexOf("--screenshots") + 1] : null;
const ROOT = new URL("..", import.meta.url).pathname;

const { pipeline } = await tsImport("../src/define/index.ts", import.meta.url);
const { compilePipeline } = await tsImport("../src/graph/index.ts", import.meta.url);
const { openStore } = await tsImport("../src/store/open-store.ts", import.meta.url);
const { newRunFor } = await tsImport("../src/scheduler/new-run.ts", import.meta.url);

const home = mkdtempSync(join(tmpdir(), "weir-ui-bench-"));
const say = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function createLargeRun() {
  const started = performance.now();
  const spec = pipeline({ id: "ui_large", schedule: null, description: `fan-out of ${TASKS.toLocaleString("en")} tasks` }, (p) => {
    const root = p.task("root", async () => 0);
    const leaves = [];
    for (let i = 0; i < TASKS; i++) leaves.push(p.task(`leaf${i}`, { after: [root] }, async () => i));
    p.task("join", { after: leaves }, async () => TASKS);
  }).spec;
  const { graph, problems } = compilePipeline(spec, join(ROOT, "bench/ui_large.ts"));
  if (!graph || problems.length) throw new Error(`the generated pipeline did not compile: ${JSON.stringify(problems.slice(0, 3))}`);
  const store = await openStore(undefined, home);
  await store.migrate();
  const now = Date.now();
  await store.savePipelineVersion(graph, now);
  const day = Date.UTC(2025, 8, 1);
  const { run } = await store.createRun(newRunFor(graph, "manual", { logicalDateMs: day, intervalStartMs: day, intervalEndMs: day + 86_400_000 }), now);
  await store.close();
  say(`created run ${run.id} with ${graph.order.length.toLocaleString("en")} task instances in ${Math.round(performance.now() - started)} ms`);
  return run.id;
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const child = spawn(process.execPath, ["bin/weir.js", "server", "--port", String(port)], { cwd: ROOT, env: { ...process.env, WEIR_HOME: home }, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/api/v1/pipelines`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("weir server did not start");
}

async function timeFetch(url) {
  const started = performance.now();
  const response = await fetch(url);
  const bytes = (await response.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, bytes, status: response.status };
}

// Records, inside the page, when the first row and the counts appear (a MutationObserver, so the time is the
// DOM's, not the test driver's polling).
const OBSERVE = `
  window.__marks = {};
  new MutationObserver(() => {
    const m = window.__marks;
    if (m.firstRow === undefined && document.querySelector(".task-row[data-task]")) m.firstRow = performance.now();
    if (m.counts === undefined && document.querySelector(".progress .legend li")) m.counts = performance.now();
    if (m.graph === undefined && document.querySelector("g.node")) m.graph = performance.now();
  }).observe(document, { childList: true, subtree: true });
`;

async function measureOnce(url, runId) {
  const profile = mkdtempSync(join(tmpdir(), "weir-ui-bench-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(OBSERVE);
    await page.goto(`${url}/runs/${encodeURIComponent(runId)}`);
    await page.waitForFunction(() => window.__marks.firstRow !== undefined && window.__marks.counts !== undefined, null, { timeout: 120_000 });
    const marks = await page.evaluate(() => window.__marks);
    const count = await page.locator('[data-testid="instance-count"]').textContent();

    // Interactive: scroll to the end of what is loaded; the next page comes and is drawn.
    const loaded = await page.locator(".task-row[data-task]").count();
    const nextPage = await page.evaluate(async () => {
      const scroller = document.querySelector('[data-testid="task-list"]');
      const before = scroller.scrollHeight;
      const started = performance.now();
      scroller.scrollTop = before;
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (scroller.scrollHeight > before) {
          // One more frame: the new rows are painted.
          await new Promise((r) => requestAnimationFrame(r));
          return performance.now() - started;
        }
        if (performance.now() - started > 60_000) return NaN;
      }
    });
    const selectStarted = Date.now();
    await page.locator(".task-row[data-task]").nth(3).click();
    await page.locator('section[aria-label="Task instance"]').waitFor();
    const selectMs = Date.now() - selectStarted;
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "large-run.png") });

    await page.goto(`${url}/pipelines/ui_large`);
    await page.waitForFunction(() => window.__marks.graph !== undefined, null, { timeout: 300_000 });
    const graphMs = await page.evaluate(() => window.__marks.graph);
    if (SHOTS) {
      await page.locator("g.node").first().click();
      await page.screenshot({ path: join(SHOTS, "large-graph.png") });
    }
    return { firstRowMs: marks.firstRow, countsMs: marks.counts, nextPageMs: nextPage, selectMs, graphMs, rowsInDom: loaded, count };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const runId = await createLargeRun();
const { url, child } = await startServer();
try {
  const api = {
    run: await timeFetch(`${url}/api/v1/runs/${encodeURIComponent(runId)}`),
    tasks: await timeFetch(`${url}/api/v1/runs/${encodeURIComponent(runId)}/tasks?limit=500`),
    pipeline: await timeFetch(`${url}/api/v1/pipelines/ui_large`),
    graph: await timeFetch(`${url}/api/v1/pipelines/ui_large/graph?run=${encodeURIComponent(runId)}`),
  };
  for (const [name, r] of Object.entries(api)) say(`GET ${name}: ${Math.round(r.ms)} ms, ${(r.bytes / 1024).toFixed(0)} KiB (HTTP ${r.status})`);
  const reps = [];
  for (let i = 0; i < REPS; i++) {
    const r = await measureOnce(url, runId);
    say(`rep ${i + 1}: first row ${Math.round(r.firstRowMs)} ms, counts ${Math.round(r.countsMs)} ms, next page ${Math.round(r.nextPageMs)} ms, select ${r.selectMs} ms, graph ${Math.round(r.graphMs)} ms (${r.rowsInDom} rows in the DOM, "${r.count}")`);
    reps.push(r);
  }
  const result = {
    tasks: TASKS + 2,
    reps: REPS,
    firstRowMs: Math.round(median(reps.map((r) => r.firstRowMs))),
    countsMs: Math.round(median(reps.map((r) => r.countsMs))),
    nextPageMs: Math.round(median(reps.map((r) => r.nextPageMs))),
    selectMs: Math.round(median(reps.map((r) => r.selectMs))),
    graphMs: Math.round(median(reps.map((r) => r.graphMs))),
    rowsInDom: reps[0]?.rowsInDom,
    api: Object.fromEntries(Object.entries(api).map(([k, v]) => [k, { ms: Math.round(v.ms), kib: Math.round(v.bytes / 1024) }])),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  child.kill("SIGINT");
  await new Promise((r) => child.once("close", r));
  rmSync(home, { recursive: true, force: true });
}
