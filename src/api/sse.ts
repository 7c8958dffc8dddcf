// Live events (GET /api/v1/events, server-sent events): runs and task instances changing state, pipelines
// paused, backfills. With the scheduler in this process they come from its coordinator's committed
// changes; `weir server` alone polls the store for what changed (runs, and the instances of running runs).
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { isTerminalRunState } from "../engine/states.js";
import type { CommandChange } from "../scheduler/commands/index.js";
import type { RunChange } from "../scheduler/coordinator.js";
import type { RunRecord, Store } from "../store/types.js";
import type { LiveEvent } from "./types.js";
import { backfillView, runSummary } from "./views.js";

type Listener = (event: LiveEvent) => void;

/** Instances of one running run looked at per poll; larger runs get run events only. */
const POLL_INSTANCES_MAX = 5000;
const KEEPALIVE_MS = 15_000;

export class EventHub {
  private readonly listeners = new Set<Listener>();
  private poller: NodeJS.Timeout | null = null;
  private readonly runStates = new Map<string, string>();
  /** Per running run: `task\u0000mapIndex` → `state:try`, as last seen by the poll. */
  private readonly instanceStates = new Map<string, Map<string, string>>();
  private polling = false;

  constructor(
    private readonly store: Store,
    /** Null: poll the store while somebody listens. */
    private readonly pollMs: number | null,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.pollMs !== null && this.poller === null) {
      void this.poll(true);
      this.poller = setInterval(() => void this.poll(false), this.pollMs);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.poller !== null) {
        clearInterval(this.poller);
        this.poller = null;
      }
    };
  }

  publish(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** A committed decision of this process's coordinator. */
  fromRunChange(change: RunChange): void {
    if (this.listeners.size === 0) return;
    for (const t of change.transitions) {
      this.publish({ kind: "task", runId: change.run.id, taskId: t.taskId, mapIndex: t.mapIndex, state: t.to, tryNumber: t.tryNumber });
    }
    if (this.runStates.get(change.run.id) !== change.runState) {
      // Ended runs are forgotten: memory follows the active runs, not history.
      if (isTerminalRunState(change.runState)) this.runStates.delete(change.run.id);
      else this.runStates.set(change.run.id, change.runState);
      this.publish({ kind: "run", run: runSummary({ ...change.run, state: change.runState }) });
    }
  }

  /** A command of this server committed a change: tell listeners what it is now. */
  async fromCommand(change: CommandChange): Promise<void> {
    if (this.listeners.size === 0) return;
    if (change.kind === "pipeline") {
      this.publish({ kind: "pipeline", pipeline: change.pipelineId, paused: change.paused });
    } else if (change.kind === "run") {
      // Instances the command wrote itself: no coordinator reports them, and a poll would miss a run that
      // ended again before it looked (or a run it does not diff). Their events go before the run's own.
      for (const t of change.transitions ?? []) {
        this.publish({ kind: "task", runId: change.runId, taskId: t.taskId, mapIndex: t.mapIndex, state: t.to, tryNumber: t.tryNumber });
        this.instanceStates.get(change.runId)?.set(`${t.taskId}\u0000${t.mapIndex}`, `${t.to}:${t.tryNumber}`);
      }
      const run = await this.store.getRun(change.runId);
      if (run) this.publishRun(run);
    } else {
      const backfill = await this.store.getBackfill(change.backfillId);
      const counts = (await this.store.reads.backfillRunCounts([change.backfillId])).get(change.backfillId);
      if (backfill) this.publish({ kind: "backfill", backfill: backfillView(backfill, counts) });
    }
  }

  private publishRun(run: RunRecord): void {
    this.runStates.set(run.id, run.state);
    this.publish({ kind: "run", run: runSummary(run) });
  }

  private async diffInstances(run: RunRecord, first: boolean): Promise<void> {
    const instances = await this.store.reads.listInstancesPage({ runId: run.id, limit: POLL_INSTANCES_MAX });
    const known = this.instanceStates.get(run.id) ?? new Map<string, string>();
    this.instanceStates.set(run.id, known);
    for (const i of instances) {
      const key = `${i.taskId}\u0000${i.mapIndex}`;
      const state = `${i.state}:${i.tryNumber}`;
      const before = known.get(key);
      known.set(key, state);
      const changed = before === undefined ? !first && i.state !== "pending" : before !== state;
      if (changed) this.publish({ kind: "task", runId: run.id, taskId: i.taskId, mapIndex: i.mapIndex, state: i.state, tryNumber: i.tryNumber });
    }
    if (run.state !== "running") this.instanceStates.delete(run.id);
  }

  /** Stops polling and drops every listener (the server is closing). */
  close(): void {
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
    this.listeners.clear();
  }

  /** The first poll only learns the current states; later ones send what changed since. */
  private async poll(first: boolean): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const runs = [...(await this.store.listActiveRuns()), ...(await this.store.listRuns({ limit: 50 }))];
      const seen = new Set<string>();
      // Runs no longer among the active or latest are forgotten (their next change is news again).
      const listed = new Set(runs.map((r) => r.id));
      for (const id of this.runStates.keys()) if (!listed.has(id)) this.runStates.delete(id);
      for (const id of this.instanceStates.keys()) if (!listed.has(id)) this.instanceStates.delete(id);
      for (const run of runs) {
        if (seen.has(run.id)) continue;
        seen.add(run.id);
        // A run that just ended gets one last look at its instances (its last tasks ended with it), and its
        // tasks' events go before its own.
        if (run.state === "running" || this.instanceStates.has(run.id)) await this.diffInstances(run, first);
        if (this.runStates.get(run.id) !== run.state) {
          if (first) this.runStates.set(run.id, run.state);
          else this.publishRun(run);
        }
      }
    } catch (error) {
      process.stderr.write(`weir server: live events: ${error instanceof Error ? error.message : String(error)}\n`);
    } finally {
      this.polling = false;
    }
  }
}

/** The event stream of one client: `event: <kind>`, `data: <LiveEvent JSON>`, a comment now and then. */
export function streamEvents(c: Context, hub: EventHub): Response {
  return streamSSE(c, async (stream) => {
    const queue: LiveEvent[] = [];
    let wake: (() => void) | null = null;
    const unsubscribe = hub.subscribe((event) => {
      queue.push(event);
      wake?.();
    });
    let open = true;
    stream.onAbort(() => {
      open = false;
      wake?.();
    });
    try {
      await stream.writeSSE({ event: "hello", data: "{}" });
      while (open) {
        const event = queue.shift();
        if (event) {
          await stream.writeSSE({ event: event.kind, data: JSON.stringify(event) });
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        if (open && queue.length === 0) await stream.write(": keepalive\n\n");
      }
    } finally {
      unsubscribe();
    }
  });
}
