// Free slots per queue of the store executor (src/executor/distributed/queue-capacity.ts): each queue gets
// twice the slots of the alive workers serving it, a backlog of one queue takes nothing from the others, the
// total stays within twice all alive slots, and a queue nobody serves gets none.
import { describe, expect, it } from "vitest";
import { QueueCapacity } from "../../src/executor/distributed/queue-capacity.js";

describe("QueueCapacity", () => {
  it("gives each served queue twice its workers' slots, independent of other queues' backlog", () => {
    const c = new QueueCapacity();
    expect(c.setWorkers([{ slots: 2, queues: ["spark"] }, { slots: 4, queues: ["default"] }])).toBe(true);
    expect([c.free(), c.freeOf("spark"), c.freeOf("default"), c.freeOf("gpu")]).toEqual([12, 4, 8, 0]);
    for (let i = 0; i < 4; i++) c.add("spark");
    expect([c.free(), c.freeOf("spark"), c.freeOf("default")]).toEqual([8, 0, 8]);
    // Tries whose queue is not known yet count against every queue until they are resolved.
    c.add(null);
    expect([c.freeOf("spark"), c.freeOf("default")]).toEqual([0, 7]);
    c.resolve("default");
    expect([c.free(), c.freeOf("default")]).toEqual([7, 7]);
    c.remove("spark");
    expect(c.freeOf("spark")).toBe(1);
  });

  it("bounds the total by twice all slots when a worker serves several queues, and says when room grew", () => {
    const c = new QueueCapacity();
    c.setWorkers([{ slots: 2, queues: ["default", "spark"] }]);
    expect([c.free(), c.freeOf("default"), c.freeOf("spark")]).toEqual([4, 4, 4]);
    for (let i = 0; i < 3; i++) c.add("default");
    expect([c.free(), c.freeOf("spark")]).toEqual([1, 1]);
    // Tries of a queue nobody serves now don't count against the others.
    c.add("gpu");
    expect(c.free()).toBe(1);
    expect(c.setWorkers([{ slots: 2, queues: ["default", "spark"] }])).toBe(false);
    expect(c.setWorkers([{ slots: 2, queues: ["default", "spark"] }, { slots: 1, queues: ["gpu"] }])).toBe(true);
    expect([c.free(), c.freeOf("gpu")]).toEqual([2, 1]);
    expect(c.slots).toBe(3);
  });
});
