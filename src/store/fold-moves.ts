// One write for an instance scheduled and started in the same commit. A tick usually commits a result's
// decision (`pending → scheduled` of what follows) together with the dispatcher's (`scheduled → running` of
// the same instance): on a chain that was two UPDATEs of one row in one transaction, 1 of every edge's 5
// statements. The first move is left out and the second is guarded by the first's `from` instead: the same
// check (state and try number) on the same row, and the second write sets every column the first did.
//
// Only on the straight pass of applyDecisionBatch: if a folded guard fails, the whole batch is rolled back and
// applied again decision by decision (each in its own savepoint), without folds, so each conflict is
// reported against the decision that made it.
import type { Decision, InstanceTransition } from "../engine/types.js";

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
  let open: Map<string, InstanceTransition> | null = null;
  let skipped: Set<InstanceTransition> | null = null;
  let guardFrom: Map<InstanceTransition, InstanceTransition["from"]> | null = null;
  for (const decision of decisions) {
    // Expansions and collapses write rows that are not transitions: nothing is folded across them.
    if (decision.expansions !== undefined || decision.collapses !== undefined) {
      open = null;
      continue;
    }
    // A set-based decision writes its rows its own way: it ends a pair it names, and starts none.
    const folds = rowByRow(decision);
    for (const t of decision.transitions) {
      const key = `${decision.runId}\u0000${t.taskId}\u0000${t.mapIndex}`;
      const first = open?.get(key);
      if (first !== undefined) {
        open!.delete(key);
        // A start (to queued) is guarded at the try before the new one; any other move at its own try.
        const expectedTry = t.to === "queued" ? t.tryNumber - 1 : t.tryNumber;
        if (folds && t.from === "scheduled" && expectedTry === first.tryNumber) {
          (skipped ??= new Set()).add(first);
          (guardFrom ??= new Map()).set(t, first.from);
          continue;
        }
      }
      if (folds && t.to === "scheduled" && FOLDABLE_FROM.has(t.from)) (open ??= new Map()).set(key, t);
    }
  }
  return skipped === null || guardFrom === null ? null : { skipped, guardFrom };
}
