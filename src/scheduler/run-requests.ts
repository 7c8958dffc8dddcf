// Commands `weir server` wrote for runs a scheduler of this process drives (docs: commands/, `run_requests`).
import { isTerminalRunState } from "../engine/states.js";
import type { Store } from "../store/types.js";
import type { Coordinator } from "./coordinator.js";
import { isOwnerAlive, isSchedulerOwner } from "./owner.js";

/** The engine events a user's run request may carry. */
const REQUESTABLE: ReadonlySet<string> = new Set(["run_cancel_requested", "instances_cleared", "instance_marked"]);

/**
 * Each pending request (cancel, clear, mark) is handed to the coordinator, like a try result; the decision that
 * carries it out records it done in its own transaction (so "done" means committed, and a crash neither loses
 * nor repeats it). One the coordinator holds already is not handed again. One for a run the coordinator doesn't
 * drive waits while the run may still come to this scheduler (after a crash or a takeover, before the run is
 * adopted; while a run is reloaded) and is refused only when it can't: the run ended, is gone, or a live
 * `weir run` drives it.
 */
export async function serveRunRequests(store: Store, coordinator: Coordinator, owner: string, now: () => number): Promise<void> {
  for (const request of await store.pendingRunRequests(100)) {
    if (coordinator.holdsRequest(request.id)) continue;
    if (!REQUESTABLE.has(request.event.kind)) {
      await store.finishRunRequest(request.id, "refused", `the scheduler does not take ${request.event.kind} requests`, now());
      continue;
    }
    if (coordinator.request(request.runId, request.event, request.id)) continue;
    const why = await whyNotHere(store, request.runId, owner);
    if (why !== null) await store.finishRunRequest(request.id, "refused", why, now());
  }
}

/** Why a run the coordinator doesn't drive can't take a request here, or null when it may yet come to us. */
async function whyNotHere(store: Store, runId: string, owner: string): Promise<string | null> {
  const run = await store.getRun(runId);
  if (run === null) return `run ${runId} is not driven by the scheduler (${owner}) any more: there is no such run`;
  if (isTerminalRunState(run.state)) return `run ${runId} is not driven by the scheduler (${owner}) any more: it ended (${run.state})`;
  if (run.owner !== null && !isSchedulerOwner(run.owner) && isOwnerAlive(run.owner)) return `run ${runId} is not driven by the scheduler (${owner}) any more: \`weir run\` (${run.owner}) drives it`;
  return null;
}
