// A pipeline too large to draw task by task, in a real Chromium against a real `weir dev`: the API answers
// its graph collapsed (1,500 siblings as one node) and its details with the first tasks only; the page
// draws three nodes, counts every task, and lists a group's tasks (with links) when it is clicked.
import { describe, expect, it } from "vitest";
import type { GraphView, PipelineDetail } from "../../src/api/types.js";
import { screenshot, useWeirAndBrowser } from "./harness.js";

const ui = useWeirAndBrowser("test/browser/fixtures-large", "ui_fanout");

describe("a pipeline of 1,502 tasks", () => {
  it("is drawn as its collapsed graph, and a group lists its tasks", async () => {
    const graph = (await (await fetch(`${ui.weir.url}/api/v1/pipelines/ui_fanout/graph`)).json()) as GraphView;
    expect(graph).toMatchObject({ collapsed: true, taskCount: 1502, order: ["root", "group:leaf0", "join"] });
    const detail = (await (await fetch(`${ui.weir.url}/api/v1/pipelines/ui_fanout`)).json()) as PipelineDetail;
    expect(detail).toMatchObject({ taskCount: 1502, tasksTruncated: true });

    const { page } = ui.browser;
    await page.goto(`${ui.weir.url}/pipelines/ui_fanout`);
    await page.locator('g.node[data-task="group:leaf0"]').waitFor();
    await expect(page.locator("g.node").count()).resolves.toBe(3);
    await expect(page.locator('g.node[data-task="group:leaf0"] .node-sub').textContent()).resolves.toBe("1,500 tasks");
    await expect(page.locator("dl.facts").textContent()).resolves.toMatch(/1,502/);
    await page.locator('g.node[data-task="group:leaf0"]').click();
    const panel = page.locator('aside[aria-label="Task details"]');
    await expect(panel.locator("h3").textContent()).resolves.toBe("1,500 tasks");
    await expect(panel.locator("li").first().textContent()).resolves.toBe("leaf0");
    await panel.locator("li", { hasText: "… and 1,300 more" }).waitFor();
    await screenshot(page, "17-large-graph");
    expect(ui.browser.errors).toEqual([]);
  }, 60_000);
});
