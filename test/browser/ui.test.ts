// The web app in a real Chromium against a real `weir dev`: the pipelines page, a trigger from the params
// form (client-side validation, the server's 422), a run turning green live, its log, graph and Gantt, a
// cleared task running again, mark failed and cancel, and a backfill created after its dry-run preview. Screenshots of every page
// go to test/browser/screenshots/ (kept after the run, ignored by git).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { screenshot, useWeirAndBrowser, waitFor } from "./harness.js";

const FIXTURES = "test/browser/fixtures";
let runId = "";
const ui = useWeirAndBrowser(FIXTURES, "ui_demo");

describe("the web app", () => {
  it("lists the pipelines with their schedule in words, tags and a pause switch", async () => {
    const { page } = ui.browser;
    await page.goto(ui.weir.url);
    const row = page.locator('tr[data-pipeline="ui_demo"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/every day/);
    await expect(row.locator(".tag", { hasText: "browser" }).count()).resolves.toBe(1);
    await expect(page.locator(".live-status.live").count()).resolves.toBe(1);
    // A file that failed to load is listed with its error.
    await expect(page.locator('section[aria-label="Load errors"]').textContent()).resolves.toMatch(/broken\.ts[\s\S]*broken on purpose/);
    // Search narrows the list; a tag chip filters it.
    await page.fill('input[aria-label="Search pipelines"]', "no-such-pipeline");
    await page.locator(".empty", { hasText: "No pipeline matches" }).waitFor();
    await page.fill('input[aria-label="Search pipelines"]', "");
    await row.waitFor();
    // Pausing goes through the API and holds after a reload.
    await row.locator('[role="switch"]').click();
    await waitFor("the pause to reach the API", async () => {
      const list = (await (await fetch(`${ui.weir.url}/api/v1/pipelines`)).json()) as { pipelines: { id: string; paused: boolean }[] };
      return list.pipelines.find((p) => p.id === "ui_demo")?.paused === true;
    });
    await page.reload();
    await page.locator('tr[data-pipeline="ui_demo"] [role="switch"][aria-checked="false"]').waitFor();
    await page.locator('tr[data-pipeline="ui_demo"] [role="switch"]').click();
    await page.locator('tr[data-pipeline="ui_demo"] [role="switch"][aria-checked="true"]').waitFor();
    await screenshot(page, "01-pipelines");
  }, 60_000);

  it("triggers a run from the params form, with the schema's and the server's validation messages", async () => {
    const { page } = ui.browser;
    await page.click('button[aria-label="Trigger ui_demo"]');
    const dialog = page.locator("dialog[open]");
    await dialog.locator("#param-greeting").waitFor();
    // The form starts from the schema's defaults and offers the enum as choices.
    await expect(dialog.locator("#param-rows").inputValue()).resolves.toBe("3");
    await expect(dialog.locator("#param-mode option").allTextContents()).resolves.toEqual(["fast", "thorough"]);
    // Out of the schema's range: the form says so and will not submit.
    await dialog.locator("#param-rows").fill("99");
    await dialog.locator(".field-error", { hasText: "rows must be at most 20" }).waitFor();
    await expect(dialog.locator('button[type="submit"]').isDisabled()).resolves.toBe(true);
    await screenshot(page, "02-trigger-invalid");
    // A refinement only the server knows: its 422 message is shown in the form.
    await dialog.locator("#param-rows").fill("4");
    await dialog.locator("#param-greeting").fill("boom");
    await dialog.locator('button[type="submit"]').click();
    await dialog.locator(".error-box", { hasText: "greeting must not be boom" }).waitFor();
    await screenshot(page, "03-trigger-rejected");
    await dialog.locator("#param-greeting").fill("bonjour");
    await dialog.locator("#param-mode").selectOption("thorough");
    await dialog.locator("#param-waitForGate").check();
    await dialog.locator('button[type="submit"]').click();
    await page.waitForURL(/\/runs\//);
    runId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2] ?? "");
    expect(runId).not.toBe("");
  }, 60_000);

  it("shows the run turning green live, without a reload", async () => {
    const { page } = ui.browser;
    const openGate = () => writeFileSync(join(ui.weir.home, `gate-${runId}`), "open");
    // A mark in the page's memory: a reload would wipe it.
    await page.evaluate(() => Object.assign(globalThis, { weirTestMark: "same page" }));
    try {
      // The gate task waits for a file; while it does, the page shows it running, and the mapped task's
      // four instances (they replace its placeholder when it expands).
      await page.locator('.task-row[data-task="gate"][data-state="running"]').waitFor({ timeout: 60_000 });
      await waitFor("four instances of square", async () => (await page.locator('.task-row[data-task="square"]').count()) === 4, 10_000);
      await expect(page.locator('.task-row[data-task="square"][data-map-index="-1"]').count()).resolves.toBe(0);
      await expect(page.locator('[data-testid="run-state"] .badge').getAttribute("data-state")).resolves.toBe("running");
      // The running try's log is tailed live.
      await page.click('.task-row[data-task="gate"]');
      await page.locator('[data-testid="log-text"]', { hasText: "waiting for the gate file" }).waitFor();
      await expect(page.locator(".log-head .tailing").count()).resolves.toBe(1);
      await screenshot(page, "04-run-running");
    } finally {
      // Open the gate whatever happened above, so the tests after this one are not left waiting on it.
      openGate();
    }

    await page.locator('.task-row[data-task="gate"][data-state="success"]').waitFor({ timeout: 60_000 });
    await page.locator('.task-row[data-task="report"][data-state="success"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="run-state"] .badge[data-state="success"]').waitFor({ timeout: 60_000 });
    // The progress counts follow too: seven instances, all green; the gate's log is complete.
    await page.locator(".progress .legend", { hasText: /^\s*success 7$/i }).waitFor();
    await page.locator(".log-head .tailing").waitFor({ state: "detached" });
    await expect(page.evaluate(() => (globalThis as { weirTestMark?: string }).weirTestMark)).resolves.toBe("same page");
    await screenshot(page, "05-run-success");
  }, 120_000);

  it("reads a task's log, with the param from the form in it, and offers its download", async () => {
    const { page } = ui.browser;
    await page.click('.task-row[data-task="extract"]');
    const log = page.locator('[data-testid="log-text"]');
    await log.filter({ hasText: "bonjour from extract" }).waitFor();
    await expect(log.textContent()).resolves.toMatch(/thorough/);
    const href = await page.locator(".log-head a", { hasText: "Download" }).getAttribute("href");
    const download = await fetch(new URL(href ?? "", ui.weir.url));
    expect(download.status).toBe(200);
    expect(await download.text()).toMatch(/bonjour from extract/);
    await screenshot(page, "06-run-log");
  }, 60_000);

  it("draws the graph coloured by the run, the mapped task as one node with its count", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/pipelines/ui_demo?run=${encodeURIComponent(runId)}`);
    const square = page.locator('g.node[data-task="square"][data-state="success"]');
    await square.waitFor();
    await expect(square.textContent()).resolves.toMatch(/×4/);
    await expect(page.locator("g.node").count()).resolves.toBe(4);
    await square.click();
    await page.locator('aside[aria-label="Task details"]', { hasText: "Mapped over" }).waitFor();
    await screenshot(page, "07-pipeline-graph");
    // From the mapped node to its instances: the run page opens at the first one, with its log.
    await page.click('aside[aria-label="Task details"] a:has-text("Instances and logs")');
    await page.locator('section[aria-label="Task instance"] h2', { hasText: "square[0]" }).waitFor();
    await page.locator('.tries tr[data-try="1"] .badge[data-state="success"]').waitFor();
    await page.goBack();
    await page.locator("g.node").first().waitFor();
    await page.click('[role="tab"]:has-text("Grid")');
    await page.locator('.grid-cell[data-state="success"]').first().waitFor();
    await screenshot(page, "08-pipeline-grid");
  }, 60_000);

  it("draws the Gantt chart of the run's tries", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/runs/${encodeURIComponent(runId)}?tab=gantt`);
    await page.locator('[data-testid="gantt"] .gantt-row[data-task="report"]').waitFor();
    // extract, four squares, gate, report: one row per task instance, a bar per try.
    await expect(page.locator(".gantt-row").count()).resolves.toBe(7);
    await expect(page.locator('.gantt-row [data-state="success"]').count()).resolves.toBe(7);
    await screenshot(page, "09-run-gantt");
  }, 60_000);

  it("clears a task and shows it running again", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/runs/${encodeURIComponent(runId)}?task=report`);
    await page.locator('.tries tr[data-try="1"]').waitFor();
    await page.getByRole("button", { name: "Clear", exact: true }).click();
    await page.locator(".notice", { hasText: "Cleared report" }).waitFor();
    // A second try appears and succeeds, live.
    await page.locator('.tries tr[data-try="2"] .badge[data-state="success"]').waitFor({ timeout: 60_000 });
    await page.locator('.task-row[data-task="report"][data-state="success"]').waitFor();
    await page.locator('[data-testid="run-state"] .badge[data-state="success"]').waitFor({ timeout: 60_000 });
    await screenshot(page, "10-run-cleared");
  }, 90_000);

  it("marks a task failed, and cancels a running run", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/runs/${encodeURIComponent(runId)}?task=extract`);
    await page.locator('.tries tr[data-try="1"]').waitFor();
    await page.getByRole("button", { name: "Mark failed" }).click();
    await page.locator(".notice", { hasText: "Marked extract failed" }).waitFor();
    await page.locator('.task-row[data-task="extract"][data-state="failed"]').waitFor({ timeout: 30_000 });

    // A run held at its gate, canceled from its page: the page follows it to canceled.
    const response = await fetch(`${ui.weir.url}/api/v1/pipelines/ui_demo/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ params: { waitForGate: true } }) });
    expect(response.status).toBeLessThan(300);
    const held = (await response.json()) as { id: string };
    await page.goto(`${ui.weir.url}/runs/${encodeURIComponent(held.id)}`);
    await page.locator('.task-row[data-task="gate"][data-state="running"]').waitFor({ timeout: 60_000 });
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.locator('[data-testid="run-state"] .badge[data-state="canceled"]').waitFor({ timeout: 60_000 });
    await page.locator('.task-row[data-task="report"][data-state="canceled"]').waitFor({ timeout: 30_000 });
    await expect(page.getByRole("button", { name: "Cancel run" }).count()).resolves.toBe(0);
    await screenshot(page, "11-run-canceled");
  }, 120_000);

  it("creates a backfill after previewing its intervals", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/pipelines/ui_demo?tab=runs`);
    await page.click('button:has-text("Backfill…")');
    const dialog = page.locator("dialog[open]");
    await dialog.locator("#backfill-from").fill("2025-09-01");
    await dialog.locator("#backfill-to").fill("2025-09-03");
    await dialog.locator("#backfill-concurrency").fill("2");
    await expect(dialog.locator('button:has-text("Create backfill")').isDisabled()).resolves.toBe(true);
    await dialog.locator('button:has-text("Preview intervals")').click();
    const preview = dialog.locator('section[aria-label="Dry-run preview"]');
    await preview.waitFor();
    await expect(preview.locator("tbody tr").count()).resolves.toBe(3);
    await expect(preview.locator("tbody tr.preview-create").count()).resolves.toBe(3);
    // The preview wrote nothing.
    const before = (await (await fetch(`${ui.weir.url}/api/v1/backfills?pipeline=ui_demo`)).json()) as { items: unknown[] };
    expect(before.items).toHaveLength(0);
    await screenshot(page, "12-backfill-preview");
    await dialog.locator('button:has-text("Create backfill")').click();
    await page.locator("dialog[open]").waitFor({ state: "detached" });
    await page.locator('section[aria-label="Backfills"] tr[data-backfill] .badge[data-state="success"]').waitFor({ timeout: 90_000 });
    await waitFor("the backfill's three runs in the list", async () => (await page.locator('.runs-table tr[data-run] .badge[data-state="success"]').count()) >= 4);
    await screenshot(page, "13-pipeline-backfill");
    await page.goto(ui.weir.url);
    await page.locator('tr[data-pipeline="ui_demo"] .run-square').first().waitFor();
    await screenshot(page, "14-pipelines-after");
    expect(ui.browser.errors).toEqual([]);
  }, 120_000);
});
