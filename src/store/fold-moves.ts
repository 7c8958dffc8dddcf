// One write for an instance scheduled and started in the same commit. A tick usually commits a result's
// decision (`pending → scheduled` of what follows) together with the dispatcher's (`scheduled → running` of
// the same instance): on a chain that was two UPDATEs of one row in one transaction, 1 of every edge's 5
// statements. The first move is left out and the second is guarded by the first's `from` instead: the same
// check (state and try number) on the same row, and the second write sets every column the first did.
//
// Only on the straight pass of applyDecisionBatch: if a folded guard fails, the whole batch is rolled back and
// applied again decision by decision (each in its own savepoint), without folds, so each conflict is
// reported against the decision that made it.
import { instanceKey, type Decision, type InstanceTransition } from "../engine/types.js";

/** States an instance leaves for `scheduled` with a plain move (no try write). */
const FOLDABLE_FROM: ReadonlySet<string> = new Set(["pending", "up_for_retry"]);

export interface FoldedMoves {
  /** First moves left out. */
  readonly skipped: ReadonlySet<InstanceTransition>;
  /** Second moves, with the `from` their guard checks instead of `scheduled`. */
  readonly guardFrom: ReadonlyMap<InstanceTransition, InstanceTransition["from"]>;
}

/**
 * Finds the pairs among decisions written row by row (`rowByRow(decision)`): a move to `scheduled` whose
 * instance's next transition in the batch leaves `scheduled` at the same try. Null when there is none.
 */
export function foldScheduledMoves(decisions: readonly Decision[], rowByRow: (decision: Decision) => boolean): FoldedMoves | null {
  // Moves to `scheduled` not followed yet in the batch, by run and instance key.
  let open: Map<string, Map<string, InstanceTransition>> | null = null;
  let skipped: Set<InstanceTransition> | null = null;
  let guardFrom: Map<InstanceTransition, InstanceTransition["from"]> | null = null;
  for (const decision of decisions) {
    // Expansions and collapses write rows that are not transitions, and a set-based decision writes its own
    // way: nothing is folded across them. Checked first so that the large decisions cost nothing here.
    if (decision.expansions !== undefined || decision.collapses !== undefined || !rowByRow(decision)) {
      open = null;
      continue;
    }
    let ofRun = open?.get(decision.runId);
    for (const t of decision.transitions) {
      const opens = t.to === "scheduled" && FOLDABLE_FROM.has(t.from);
      // An instance moved to `scheduled` in this batch moves on only from `scheduled`: other moves can't be its.
      if (!opens && t.from !== "scheduled") continue;
      const key = instanceKey(t.taskId, t.mapIndex);
      const first = ofRun?.get(key);
      if (first !== undefined) {
        ofRun!.delete(key);
        // A start (to queued) is guarded at the try before the new one; any other move at its own try.
        const expectedTry = t.to === "queued" ? t.tryNumber - 1 : t.tryNumber;
        if (t.from === "scheduled" && expectedTry === first.tryNumber) {
          (skipped ??= new Set()).add(first);
          (guardFrom ??= new Map()).set(t, first.from);
          continue;
        }
      }
      if (opens) {
        if (ofRun === undefined) (open ??= new Map()).set(decision.runId, (ofRun = new Map()));
        ofRun.set(key, t);
      }
    }
  }
  return skipped === null || guardFrom === null ? null : { skipped, guardFrom };
}
