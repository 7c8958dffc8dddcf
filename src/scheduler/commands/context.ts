// What every state-changing command (trigger, pause, clear, cancel, mark, backfill, pools) works with: the
// store, and the scheduler of this process when there is one. The CLI and the HTTP API call the same
// commands, so a run a live scheduler drives is never written under it: its commands go to the scheduler's
// coordinator (the same tick as try results); other runs are claimed before they are written.
import { randomBytes } from "node:crypto";
import { WeirError } from "../../common/errors.js";
import type { EngineEvent, InstanceTransition } from "../../engine/types.js";
import type { RunRecord, Store } from "../../store/types.js";
import type { Clock } from "../clock.js";
import { isOwnerAlive, newOwnerId, retireOwnerId } from "../owner.js";

/** The scheduler service of this process, as commands see it (`SchedulerService` fits). */
export interface LiveScheduler {
  readonly ownerId: string;
  readonly coordinator: { request(runId: string, event: EngineEvent): boolean; drives(runId: string): boolean };
  /** Look at the store now: a run was created or reopened, a pipeline unpaused, a backfill canceled. */
  wake(): void;
}

/** What a command changed, for live events (the API's server-sent events). */
export type CommandChange =
  /** `transitions`: the instances this command wrote itself (no coordinator saw them, so nobody else tells). */
  | { kind: "run"; runId: string; transitions?: readonly InstanceTransition[] }
  | { kind: "pipeline"; pipelineId: string; paused: boolean }
  | { kind: "backfill"; backfillId: string };

export interface CommandContext {
  store: Store;
  /** The scheduler running in this process (`weir dev`, `weir scheduler` with the API), or null. */
  live: LiveScheduler | null;
  clock: Pick<Clock, "now">;
  /** Told after a command committed a change. */
  onChange?: (change: CommandChange) => void;
}

/** The scheduler lease (one scheduler per store). */
const SCHEDULER_LEASE = "scheduler";

/** The scheduler lease's holder when a live scheduler holds it, else null. */
export async function liveSchedulerOwner(store: Store, nowMs: number): Promise<string | null> {
  const lease = await store.getLease(SCHEDULER_LEASE);
  if (!lease || lease.expiresMs <= nowMs || !isOwnerAlive(lease.owner)) return null;
  return lease.owner;
}

export async function requireRun(store: Store, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (!run) throw new WeirError("run_not_found", `no run with id "${runId}"`, { where: { run: runId } });
  return run;
}

/**
 * Refuses a run that another live process drives: writing under it would race its decisions. `what` names
 * the command for the message ("cancel", "clear").
 */
export async function refuseIfDrivenElsewhere(ctx: CommandContext, run: RunRecord, what: string): Promise<void> {
  const where = { run: run.id };
  const scheduler = await liveSchedulerOwner(ctx.store, ctx.clock.now());
  const elsewhere = (owner: string): string => `${what} it through the API of that process (\`weir dev\` and \`weir scheduler --port\` serve one), or once it has ended`.replace("that process", `that process (${owner})`);
  if (run.owner !== null && run.owner !== ctx.live?.ownerId && isOwnerAlive(run.owner)) {
    if (run.owner === scheduler) throw new WeirError("run_driven", `run ${run.id} is still running, driven by the scheduler: ${elsewhere(run.owner)}`, { where });
    throw new WeirError("run_driven", `run ${run.id} is still running, driven by \`weir run\` (${run.owner}): ${what} it once it has ended`, { where });
  }
  if (scheduler !== null && scheduler !== ctx.live?.ownerId && run.state === "running") {
    throw new WeirError("run_driven", `run ${run.id} is still running under the scheduler of another process: ${elsewhere(scheduler)}`, { where });
  }
}

/** How long a command waits for the scheduler of another process to take its request. */
const REQUEST_WAIT_MS = 15_000;

/** Whether a live scheduler of another process drives the run (then commands go to it as run requests). */
export async function drivenByOtherScheduler(ctx: CommandContext, run: RunRecord): Promise<boolean> {
  if (run.owner === null || run.owner === ctx.live?.ownerId) return false;
  return run.owner === (await liveSchedulerOwner(ctx.store, ctx.clock.now()));
}

/**
 * Hands an engine event to the scheduler of another process that drives the run, through the store (a run
 * request it takes on its next pass and gives to its coordinator), and waits until it has taken it.
 */
export async function sendToScheduler(ctx: CommandContext, run: RunRecord, event: EngineEvent): Promise<void> {
  const id = `request_${ctx.clock.now()}_${randomBytes(4).toString("hex")}`;
  await ctx.store.submitRunRequest({ id, runId: run.id, event }, ctx.clock.now());
  let answer = await ctx.store.getRunRequest(id);
  await settleWithin(async () => (answer = await ctx.store.getRunRequest(id))?.state !== "pending", REQUEST_WAIT_MS);
  const where = { run: run.id };
  if (answer?.state === "refused") throw new WeirError("run_changed", `${answer.message ?? `the scheduler refused the request for run ${run.id}`}: nothing was changed, try again`, { where });
  if (answer?.state !== "done") {
    throw new WeirError("scheduler_busy", `the scheduler driving run ${run.id} (${run.owner ?? "?"}) has not taken the request within ${REQUEST_WAIT_MS / 1000} s; it stays queued and is applied when it does`, { where });
  }
}

/**
 * Runs `write` while this command owns the run, so no scheduler starts or adopts it meanwhile. The owner is
 * compare-and-set from what was read: a run that changed hands since is a conflict, and nothing is written.
 */
export async function whileOwning<T>(store: Store, run: RunRecord, write: () => Promise<T>): Promise<T> {
  const owner = newOwnerId();
  try {
    if (!(await store.setRunOwner(run.id, owner, run.owner))) {
      throw new WeirError("run_changed", `run ${run.id} was taken by another process just now; nothing was changed: try again`, { where: { run: run.id } });
    }
    try {
      return await write();
    } finally {
      await store.setRunOwner(run.id, null, owner);
    }
  } finally {
    retireOwnerId(owner);
  }
}

/** Waits (briefly) until the store shows what a command handed to the scheduler did; never throws. */
export async function settleWithin(check: () => Promise<boolean>, capMs = 5000): Promise<boolean> {
  const until = Date.now() + capMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
