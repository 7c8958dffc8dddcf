import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topologicalOrder } from "./graph-order.js";

// The order the compiler promises, written the slow and obvious way: repeatedly the first-declared task
// whose known upstream tasks are all placed; null when some task never gets there or depends on itself.
function referenceOrder(upstream: Map<string, string[]>): string[] | null {
  const ids = [...upstream.keys()];
  if (ids.some((id) => (upstream.get(id) as string[]).includes(id))) return null;
  const placed = new Set<string>();
  const order: string[] = [];
  for (;;) {
    const next = ids.find((id) => !placed.has(id) && (upstream.get(id) as string[]).every((u) => !upstream.has(u) || placed.has(u)));
    if (next === undefined) break;
    placed.add(next);
    order.push(next);
  }
  return order.length === ids.length ? order : null;
}

describe("topologicalOrder", () => {
  it("is the declaration-order Kahn order, or null on a cycle", () => {
    const graph = fc.integer({ min: 0, max: 12 }).chain((n) =>
      fc.array(fc.array(fc.integer({ min: 0, max: n + 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
    );
    fc.assert(
      fc.property(graph, fc.boolean(), (ups, acyclic) => {
        // Acyclic graphs (upstream only among earlier tasks, shuffled by declaration) are the common case; keep them frequent.
        const upstream = new Map(ups.map((list, i) => [`t${(i * 7) % ups.length}`, list.filter((u) => !acyclic || u < i).map((u) => `t${(u * 7) % (ups.length + 2)}`)]));
        expect(topologicalOrder(upstream)).toEqual(referenceOrder(upstream));
      }),
      { numRuns: 500 },
    );
  });
});
