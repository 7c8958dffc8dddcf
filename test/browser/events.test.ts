// Events and sensors in a real Chromium against a real `weir dev` (which starts its own trigger loop): an
// event emitted from the page's dialog (a payload that is not JSON gets the API's message) starts a run that
// appears on the Events page and turns green live; a payload the pipeline's schema refuses shows the reason;
// a run's deferred file sensor shows what it waits for, its checks and next check, and completes once the
// test creates the file. Screenshots go to test/browser/screenshots/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EventList, RunSummary } from "../../src/api/types.js";
import { screenshot, useWeirAndBrowser, waitFor } from "./harness.js";

const ui = useWeirAndBrowser("test/browser/fixtures-events", "wait_for_file");

async function events(name: string): Promise<EventList> {
  return (await (await fetch(`${ui.weir.url}/api/v1/events?name=${encodeURIComponent(name)}`)).json()) as EventList;
}

describe("the events page", () => {
  it("emits an event from the dialog and shows the run it started turning green", async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/events`);
    await page.locator(".empty", { hasText: "No events yet" }).waitFor();
    await page.locator(".topnav a.active", { hasText: "Events" }).waitFor();

    await page.locator("button", { hasText: "Emit event" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.locator("#event-name").fill("orders.loaded");
    // Not JSON: the API's own message, and nothing recorded.
    await dialog.locator("#event-payload").fill('{"rows": 3,');
    await dialog.locator('button[type="submit"]').click();
    await dialog.locator(".error-box", { hasText: "not JSON" }).waitFor();
    await screenshot(page, "18-emit-bad-json");
    expect((await events("orders.loaded")).items).toEqual([]);

    await dialog.locator("#event-payload").fill('{"rows": 3, "day": "2026-11-26"}');
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({ state: "detached" });
    const row = page.locator('tr[data-event-name="orders.loaded"]');
    await row.waitFor();
    await expect(row.locator(".payload").textContent()).resolves.toContain('"rows":3');
    // The run it started appears, linked, and turns green without a reload.
    const started = row.locator('li[data-outcome="started"][data-pipeline="orders_report"]');
    await started.locator(".run-link").waitFor();
    await started.locator('.badge[data-state="success"]').waitFor();
    await screenshot(page, "19-events-run-started");

    const [recorded] = (await events("orders.loaded")).items;
    const runId = recorded?.runIds[0] ?? "";
    expect(runId).not.toBe("");
    await expect(started.locator(".run-link").textContent()).resolves.toBe(runId);
    const run = (await (await fetch(`${ui.weir.url}/api/v1/runs/${runId}`)).json()) as RunSummary;
    expect(run.state).toBe("success");
    expect(ui.browser.errors).toEqual([]);
  }, 90_000);

  it("shows why a pipeline rejected an event, events nobody takes, and filters by name", async () => {
    const { page } = ui.browser;
    await page.locator("button", { hasText: "Emit event" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.locator("#event-name").fill("orders.loaded");
    await dialog.locator("#event-payload").fill('{"day": "2026-11-27"}');
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({ state: "detached" });
    const rejected = page.locator('tr[data-event-name="orders.loaded"] li[data-outcome="rejected"][data-pipeline="orders_report"]');
    await rejected.waitFor();
    await expect(rejected.locator(".reason").textContent()).resolves.toMatch(/rows/);

    const other = await fetch(`${ui.weir.url}/api/v1/events/inventory.counted`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ items: 12 }) });
    expect(other.status).toBe(201);
    const unclaimed = page.locator('tr[data-event-name="inventory.counted"]');
    await page.reload();
    await unclaimed.waitFor();
    await expect(unclaimed.textContent()).resolves.toMatch(/no pipeline is scheduled on it/);
    await screenshot(page, "20-events-rejected");

    await page.fill('input[aria-label="Filter events by name"]', "orders.loaded");
    await page.press('input[aria-label="Filter events by name"]', "Enter");
    // The filtered list replaces the whole one (three rows, then none while it loads): the two orders.loaded events only.
    await waitFor("the filtered list", async () => (await page.locator("tr[data-event-name]").count()) === 2);
    await expect(page.locator('tr[data-event-name="orders.loaded"]').count()).resolves.toBe(2);
    expect(new URL(page.url()).searchParams.get("name")).toBe("orders.loaded");
    expect(ui.browser.errors).toEqual([]);
  }, 60_000);

  it("shows event and pipeline-completion schedules in words on the pipelines and pipeline pages", async () => {
    const { page } = ui.browser;
    await page.goto(ui.weir.url);
    const row = page.locator('tr[data-pipeline="orders_report"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/on event orders\.loaded/);
    await expect(page.locator('tr[data-pipeline="orders_summary"]').textContent()).resolves.toMatch(/after orders_report succeeds/);
    // The words say it all: the schedule's JSON is not shown beside them.
    await expect(row.locator("code").count()).resolves.toBe(0);
    await screenshot(page, "24-pipelines-event-schedule");
    await page.goto(`${ui.weir.url}/pipelines/orders_report`);
    const link = page.locator(".facts a.event-link");
    await link.waitFor();
    await page.locator('g.node[data-task="report"]').waitFor();
    // An event schedule has no intervals to backfill.
    await expect(page.locator("button", { hasText: "Backfill…" }).isDisabled()).resolves.toBe(true);
    await screenshot(page, "23-pipeline-event-schedule");
    await link.click();
    await page.locator('tr[data-event-name="orders.loaded"]').first().waitFor();
    expect(new URL(page.url()).pathname).toBe("/events");
    expect(ui.browser.errors).toEqual([]);
  }, 60_000);
});

describe("a run with a deferred sensor", () => {
  it("shows what the sensor waits for and its next check, then completes when the file lands", async () => {
    const triggered = await fetch(`${ui.weir.url}/api/v1/pipelines/wait_for_file/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(triggered.status).toBe(201);
    const run = (await triggered.json()) as RunSummary;
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/runs/${run.id}`);

    const sensor = page.locator('section[aria-label="Sensors"] tr[data-sensor="wait_for_landed"][data-status="waiting"]');
    await sensor.waitFor();
    const landed = join(ui.weir.home, "landed.csv");
    await expect(sensor.locator(".waits-for").textContent()).resolves.toBe(`file ${landed}`);
    await expect(sensor.locator(".next-check").textContent()).resolves.not.toBe("—");
    // The check count grows without a reload: the trigger loop keeps checking while the page watches.
    await waitFor("a second check to show", async () => Number((await sensor.locator(".checks").textContent())?.split(" ")[0]) >= 2);
    // The instance itself is deferred, drawn in the palette's purple.
    const badge = page.locator('.badge[data-state="deferred"]').first();
    await badge.waitFor();
    await expect(badge.getAttribute("style")).resolves.toMatch(/background: rgb\(139, 92, 246\)/);
    await screenshot(page, "21-run-sensor-waiting");

    writeFileSync(landed, "id,amount\n1,10\n");
    await page.locator('[data-testid="run-state"] .badge[data-state="success"]').waitFor();
    await page.locator('section[aria-label="Sensors"] tr[data-sensor="wait_for_landed"][data-status="answered"]').waitFor();
    await screenshot(page, "22-run-sensor-done");
    expect(ui.browser.errors).toEqual([]);
  }, 90_000);
});
