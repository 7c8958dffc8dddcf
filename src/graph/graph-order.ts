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
  const position = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) position.set(ids[i] as string, i);
  const edges = UpstreamPositions.of([...upstream.values()], position);
  const order = orderOfPositions(edges);
  return order === null ? null : order.map((at) => ids[at] as string);
}

/**
 * Every task's upstream as positions (index in declaration order) in one flat list: task i's are
 * `at[start[i]]` … `at[start[i + 1] - 1]`, -1 for an id that is not a task. Computed once by the compiler
 * for both the order and the compact form of the graph (one map lookup per edge, not one per use).
 */
export class UpstreamPositions {
  constructor(
    readonly start: Int32Array,
    readonly at: Int32Array,
  ) {}

  static of(upstream: readonly (readonly string[])[], position: ReadonlyMap<string, number>): UpstreamPositions {
    const n = upstream.length;
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = (start[i] as number) + (upstream[i] as readonly string[]).length;
    const at = new Int32Array(start[n] as number);
    let e = 0;
    for (let i = 0; i < n; i++) {
      const ups = upstream[i] as readonly string[];
      for (let k = 0; k < ups.length; k++) at[e++] = position.get(ups[k] as string) ?? -1;
    }
    return new UpstreamPositions(start, at);
  }

  get size(): number {
    return this.start.length - 1;
  }
}

/** Whether every known upstream of every task is declared before it (unknown ones, -1, are ignored). */
function onlyForward(upstream: UpstreamPositions): boolean {
  const { start, at } = upstream;
  for (let i = 0; i < start.length - 1; i++) {
    for (let k = start[i] as number; k < (start[i + 1] as number); k++) if ((at[k] as number) >= i) return false;
  }
  return true;
}

/** topologicalOrder on positions: the positions in order, or null for a cycle (a self-dependency included). */
export function orderOfPositions(upstream: UpstreamPositions): number[] | null {
  // On positions and typed arrays: a 100k-task graph is ordered in milliseconds, not a second of Maps.
  const n = upstream.size;
  if (onlyForward(upstream)) {
    // Every edge comes from a task declared earlier (as references made by the builder do): the smallest
    // task not yet placed always has its upstream placed, so the order is the declaration order.
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }
  const waiting = new Int32Array(n);
  const seenBy = new Int32Array(n).fill(-1);
  // Edges upstream position → downstream position, each pair once, as two parallel lists.
  const most = upstream.at.length;
  const from = new Int32Array(most);
  const to = new Int32Array(most);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    for (let k = upstream.start[i] as number; k < (upstream.start[i + 1] as number); k++) {
      const u = upstream.at[k] as number;
      if (u < 0) continue;
      if (u === i) return null;
      if (seenBy[u] === i) continue;
      seenBy[u] = i;
      waiting[i] = (waiting[i] as number) + 1;
      from[edges] = u;
      to[edges] = i;
      edges++;
    }
  }
  // Downstream lists in compressed form, each in declaration order (edges were added in that order).
  const start = new Int32Array(n + 1);
  for (let e = 0; e < edges; e++) {
    const u = from[e] as number;
    start[u + 1] = (start[u + 1] as number) + 1;
  }
  for (let k = 0; k < n; k++) start[k + 1] = (start[k + 1] as number) + (start[k] as number);
  const fill = start.slice(0, n);
  const down = new Int32Array(edges);
  for (let e = 0; e < edges; e++) {
    const u = from[e] as number;
    const at = fill[u] as number;
    down[at] = to[e] as number;
    fill[u] = at + 1;
  }

  // `ready` is a min-heap of positions: the earliest declared ready task goes first, and a wide fan-out
  // costs O(n log n), not O(n²).
  const ready = new PositionHeap(n);
  for (let k = 0; k < n; k++) if (waiting[k] === 0) ready.push(k);
  const order: number[] = [];
  while (ready.size > 0) {
    const at = ready.pop();
    order.push(at);
    for (let e = start[at] as number; e < (start[at + 1] as number); e++) {
      const next = down[e] as number;
      const left = (waiting[next] as number) - 1;
      waiting[next] = left;
      if (left === 0) ready.push(next);
    }
  }
  return order.length === n ? order : null;
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

/** A binary min-heap of task positions. */
class PositionHeap {
  private readonly items: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.items = new Int32Array(capacity);
  }

  push(value: number): void {
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent] as number;
      if (above <= value) break;
      items[i] = above;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const last = items[--this.size] as number;
    const size = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const least = r < size && (items[r] as number) < (items[l] as number) ? r : l;
      if ((items[least] as number) >= last) break;
      items[i] = items[least] as number;
      i = least;
    }
    if (size > 0) items[i] = last;
    return top;
  }
}
