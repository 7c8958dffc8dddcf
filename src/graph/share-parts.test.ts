import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";
import { shareEqualParts } from "./share-parts.js";
import type { PipelineGraph } from "./types.js";

describe("shareEqualParts", () => {
  it("makes equal parts of a parsed graph one object, leaving its content and JSON as they were", () => {
    const { graph } = compilePipeline(
      pipeline({ id: "share" }, (p) => {
        const a = p.task("a", async () => 1);
        for (let i = 0; i < 5; i++) p.task(`b${i}`, { after: [a], ...(i === 4 ? { retries: 2, onFailure: ["ops"] } : {}) }, async () => i);
        p.task("c", { needs: { a } }, async () => 0);
      }).spec,
      "/x/share.ts",
    );
    const text = JSON.stringify(graph);
    const parsed = JSON.parse(text) as PipelineGraph;
    shareEqualParts(parsed);
    expect(JSON.stringify(parsed)).toBe(text);
    const [, b0, b1, , , b4, c] = parsed.tasks;
    expect(b0?.retry).toBe(b1?.retry);
    expect(b0?.cache).toBe(b4?.cache);
    expect(b0?.alerts).toBe(b1?.alerts);
    expect(b4?.retry).not.toBe(b0?.retry);
    expect(b4?.alerts).not.toBe(b0?.alerts);
    expect(b0?.upstream).toBe(b0?.after);
    expect(c?.upstream).not.toBe(c?.after);
    expect(b0?.needs).toBe(b1?.needs);
  });
});
