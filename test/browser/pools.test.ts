// The pools page in a real Chromium against a real `weir dev`: a pool made through the API is listed, its
// slots are changed in the page (the API holds the new size after a reload), and a size the store refuses
// shows the server's message and changes nothing.
import { describe, expect, it } from "vitest";
import type { PoolList } from "../../src/api/types.js";
import { screenshot, useWeirAndBrowser, waitFor } from "./harness.js";

const ui = useWeirAndBrowser("test/browser/fixtures", "ui_demo");

async function slotsOf(name: string): Promise<number | undefined> {
  const list = (await (await fetch(`${ui.weir.url}/api/v1/pools`)).json()) as PoolList;
  return list.items.find((p) => p.name === name)?.slots;
}

describe("the pools page", () => {
  it("lists a pool and resizes it through the page", async () => {
    // The page edits existing pools; creating one is the API's (or `weir pool set`'s) job.
    const created = await fetch(`${ui.weir.url}/api/v1/pools/gpu`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ slots: 2, description: "the GPU boxes" }) });
    expect(created.status).toBe(200);
    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/pools`);
    const row = page.locator('tr[data-pool="gpu"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/the GPU boxes/);
    const slots = row.locator('input[aria-label="Slots of gpu"]');
    await expect(slots.inputValue()).resolves.toBe("2");

    await slots.fill("5");
    await row.locator("button", { hasText: "Save" }).click();
    await waitFor("the new size to reach the API", async () => (await slotsOf("gpu")) === 5);
    // Saved: the Save button goes away once the list shows the stored size.
    await row.locator("button", { hasText: "Save" }).waitFor({ state: "detached" });
    await page.reload();
    await expect(page.locator('tr[data-pool="gpu"] input[aria-label="Slots of gpu"]').inputValue()).resolves.toBe("5");
    await screenshot(page, "15-pools");

    // A size the store refuses: its message is shown and the pool keeps its slots.
    await page.locator('tr[data-pool="gpu"] input[aria-label="Slots of gpu"]').fill("-3");
    await page.locator('tr[data-pool="gpu"] button', { hasText: "Save" }).click();
    await page.locator('tr[data-pool="gpu"] .error-box').waitFor();
    await expect(page.locator('tr[data-pool="gpu"] .error-box').textContent()).resolves.toMatch(/slots/);
    await screenshot(page, "16-pools-refused");
    expect(await slotsOf("gpu")).toBe(5);
    expect(ui.browser.errors).toEqual([]);
  }, 60_000);
});
