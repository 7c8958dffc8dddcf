// The shape of the DAG: cycles (reported as their path), a stable topological order, and the
// downstream closure of a task (for `weir clear --downstream`).
import { WeirError } from "../common/errors.js";
import type { PipelineGraph } from "./types.js";

/** Edges as task id → its direct upstream ids; only ids that are keys count as tasks. */
export type UpstreamMap = ReadonlyMap<string, readonly string[]>;

/** Formats a cycle given as its tasks in data-flow order: `["a", "b", "c"]` → `a → b → c → a`. */
export function describeCycle(cycle: readonly string[]): string {
  if (cycle.length === 0) return "";
  const closed = cycle.length > 1 && cycle[0] === cycle[cycle.length - 1] ? cycle : [...cycle, cycle[0]];
  return closed.join(" → ");
}

function downstreamMap(upstream: UpstreamMap): Map<string, string[]> {
  const down = new Map<string, string[]>();
  for (const id of upstream.keys()) down.set(id, []);
  for (const [id, ups] of upstream) {
    for (const up of ups) if (up !== id) down.get(up)?.push(id);
  }
  return down;
}

/**
 * One representative cycle per strongly connected component of more than one task, each in data-flow
 * order starting at the component's first-declared task. Self-dependencies are not included (the
 * compiler reports them on their own). Components come in declaration order of their first task.
 */
export function findCycles(upstream: UpstreamMap): string[][] {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);

  // Tarjan's algorithm, iterative so a long chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; edge: number }[] = [{ id: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; edge: number };
      const edges = down.get(frame.id) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++] as string;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component);
      }
    }
  }

  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = component.reduce((a, b) => ((position.get(a) as number) <= (position.get(b) as number) ? a : b));
    return shortestCycleThrough(start, members, down, position);
  });
  return cycles.sort((a, b) => (position.get(a[0] as string) as number) - (position.get(b[0] as string) as number));
}

/** Breadth-first within the component, following edges in declaration order, back to `start`. */
function shortestCycleThrough(
  start: string,
  members: ReadonlySet<string>,
  down: ReadonlyMap<string, readonly string[]>,
  position: ReadonlyMap<string, number>,
): string[] {
  const via = new Map<string, string>();
  const queue = [start];
  const byDeclaration = (a: string, b: string) => (position.get(a) as number) - (position.get(b) as number);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    for (const to of [...(down.get(id) ?? [])].sort(byDeclaration)) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) {
          at = via.get(at) as string;
          path.push(at);
        }
        return path.reverse();
      }
      if (!via.has(to)) {
        via.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start]; // unreachable for a strongly connected component of more than one task
}

/**
 * Kahn's algorithm; among tasks that are ready, the first declared goes first. Returns null when the
 * graph has a cycle. Upstream ids that are not tasks are ignored (the compiler reports them).
 */
export function topologicalOrder(upstream: UpstreamMap): string[] | null {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);
  const waiting = new Map<string, number>();
  for (const [id, ups] of upstream) waiting.set(id, new Set(ups.filter((u) => u !== id && upstream.has(u))).size);
  // `ready` is a min-heap on declaration position: the earliest declared ready task goes first, and a
  // wide fan-out costs O(n log n), not O(n²).
  const ready = new PositionHeap(position);
  for (const id of ids) if (waiting.get(id) === 0) ready.push(id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    for (const to of new Set(down.get(id))) {
      const left = (waiting.get(to) as number) - 1;
      waiting.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  const selfLoop = [...upstream].some(([id, ups]) => ups.includes(id));
  return order.length === ids.length && !selfLoop ? order : null;
}

/**
 * Tasks downstream of `taskId`: its direct dependents, or with `transitive` everything reachable from
 * it. In the graph's topological order, without `taskId` itself.
 * @throws WeirError `task_unknown` when the pipeline has no such task.
 */
export function downstreamOf(graph: PipelineGraph, taskId: string, transitive: boolean): string[] {
  if (!graph.tasks.some((t) => t.id === taskId)) {
    throw new WeirError("task_unknown", `pipeline ${graph.id} has no task "${taskId}"`, { where: { pipeline: graph.id, task: taskId } });
  }
  const down = downstreamMap(new Map(graph.tasks.map((t) => [t.id, t.upstream])));
  const found = new Set<string>();
  const queue = [...(down.get(taskId) ?? [])];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (found.has(id) || id === taskId) continue;
    found.add(id);
    if (transitive) queue.push(...(down.get(id) ?? []));
  }
  return graph.order.filter((id) => found.has(id));
}

/** A binary min-heap of task ids ordered by their declaration position. */
class PositionHeap {
  private readonly items: string[] = [];
  constructor(private readonly position: ReadonlyMap<string, number>) {}

  get size(): number {
    return this.items.length;
  }

  push(id: string): void {
    const items = this.items;
    items.push(id);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.at(parent) <= this.at(i)) break;
      [items[parent], items[i]] = [items[i] as string, items[parent] as string];
      i = parent;
    }
  }

  pop(): string {
    const items = this.items;
    const top = items[0] as string;
    const last = items.pop() as string;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < items.length && this.at(l) < this.at(least)) least = l;
        if (r < items.length && this.at(r) < this.at(least)) least = r;
        if (least === i) break;
        [items[least], items[i]] = [items[i] as string, items[least] as string];
        i = least;
      }
    }
    return top;
  }

  private at(i: number): number {
    return this.position.get(this.items[i] as string) as number;
  }
}
