// The compile step of event and completion schedules: the schedule is copied as data, the `event` schema is
// kept as JSON Schema (only when declared: other pipelines' versions don't change), and a bad one is reported.
import { expect, it } from "vitest";
import { z } from "zod";
import { pipeline } from "../../src/define/pipeline.js";
import { compilePipeline } from "../../src/graph/compile-pipeline.js";
import { validateSchedule } from "../../src/time/index.js";

const FILE = "/pipelines/orders.ts";

it("copies the event schedule with its batch policy and keeps the event schema as JSON Schema", () => {
  const batch = { max: 10, window: "5m" };
  const spec = pipeline({ id: "orders", schedule: { events: ["orders.loaded"], batch, cron: "@daily" }, event: z.object({ rows: z.number() }) }, (p) => {
    p.task("t", async () => 1);
  }).spec;
  const { graph, problems } = compilePipeline(spec, FILE);
  expect(problems).toEqual([]);
  expect(graph?.schedule).toEqual({ events: ["orders.loaded"], batch: { max: 10, window: "5m" }, cron: "@daily" });
  batch.max = 99;
  expect(graph?.schedule).toMatchObject({ batch: { max: 10 } });
  expect(graph?.eventSchema).toMatchObject({ type: "object", properties: { rows: { type: "number" } } });
});

it("leaves eventSchema out when there is none, and reports an event option that is not a zod schema", () => {
  const plain = compilePipeline(pipeline({ id: "plain", schedule: { after: ["up"], cron: "@hourly" } }, (p) => void p.task("t", async () => 1)).spec, FILE);
  expect(plain.graph).not.toHaveProperty("eventSchema");
  expect(plain.graph?.schedule).toEqual({ after: ["up"], cron: "@hourly" });
  const bad = compilePipeline(pipeline({ id: "bad", schedule: { events: ["x"] }, event: { rows: 1 } as unknown as z.ZodType }, (p) => void p.task("t", async () => 1)).spec, FILE);
  expect(bad.problems).toEqual([expect.objectContaining({ code: "event_schema_invalid" })]);
});

it("validate names a bad event schedule", () => {
  expect(validateSchedule({ events: ["orders.loaded"], batch: { max: 0, window: "1m" } }, "UTC")).toMatch(/batch.max must be an integer from 1 to 10000/);
  expect(validateSchedule({ events: ["orders loaded"] }, "UTC")).toMatch(/events has an invalid entry "orders loaded"/);
});
