// Commands `weir server` wrote for runs a scheduler of this process drives (docs: commands/, `run_requests`).
import type { Store } from "../store/types.js";
import type { Coordinator } from "./coordinator.js";

/** The engine events a user's run request may carry. */
const REQUESTABLE: ReadonlySet<string> = new Set(["run_cancel_requested", "instances_cleared", "instance_marked"]);

/**
 * Each pending request (cancel, clear, mark) is handed to the coordinator, like a try result, and recorded
 * done; one for a run it no longer drives is refused.
 */
export async function serveRunRequests(store: Store, coordinator: Coordinator, owner: string, now: () => number): Promise<void> {
  for (const request of await store.pendingRunRequests(100)) {
    const allowed = REQUESTABLE.has(request.event.kind);
    if (allowed && coordinator.request(request.runId, request.event)) {
      await store.finishRunRequest(request.id, "done", null, now());
    } else {
      const why = allowed ? `run ${request.runId} is not driven by the scheduler (${owner}) any more` : `the scheduler does not take ${request.event.kind} requests`;
      await store.finishRunRequest(request.id, "refused", why, now());
    }
  }
}
