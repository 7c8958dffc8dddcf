// Commands `weir server` wrote for runs a scheduler of this process drives (docs: commands/, `run_requests`).
import type { Store } from "../store/types.js";
import type { Coordinator } from "./coordinator.js";

/** The engine events a user's run request may carry. */
const REQUESTABLE: ReadonlySet<string> = new Set(["run_cancel_requested", "instances_cleared", "instance_marked"]);

/**
 * Each pending request (cancel, clear, mark) is handed to the coordinator, like a try result; the decision that
 * carries it out records it done in its own transaction (so "done" means committed, and a crash neither loses
 * nor repeats it). `handed` holds the requests handed over and not yet committed, so a pass doesn't hand them
 * again; one for a run the coordinator no longer drives (it ended meanwhile) is refused.
 */
export async function serveRunRequests(store: Store, coordinator: Coordinator, owner: string, now: () => number, handed: Set<string>): Promise<void> {
  const pending = await store.pendingRunRequests(100);
  const stillPending = new Set(pending.map((r) => r.id));
  for (const id of handed) if (!stillPending.has(id)) handed.delete(id);
  for (const request of pending) {
    if (handed.has(request.id) && coordinator.drives(request.runId)) continue;
    handed.delete(request.id);
    const allowed = REQUESTABLE.has(request.event.kind);
    if (allowed && coordinator.request(request.runId, request.event, request.id)) {
      handed.add(request.id);
    } else {
      const why = allowed ? `run ${request.runId} is not driven by the scheduler (${owner}) any more` : `the scheduler does not take ${request.event.kind} requests`;
      await store.finishRunRequest(request.id, "refused", why, now());
    }
  }
}
