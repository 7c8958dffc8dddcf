// The run requests (weir server's cancel, clear, mark) a coordinator holds between being handed one and the
// commit of the decision that carries it out (which records it done: Decision.requestIds). Events are kept
// by identity, so an event replayed after a conflict still carries its request.
import type { EngineEvent } from "../engine/types.js";

export class HeldRequests {
  private readonly byEvent = new Map<EngineEvent, string>();
  // Derivable from byEvent's values, but holds() is asked for every pending request each poll: O(1), not a scan.
  private readonly ids = new Set<string>();

  hold(event: EngineEvent, requestId: string): void {
    this.byEvent.set(event, requestId);
    this.ids.add(requestId);
  }

  holds(requestId: string): boolean {
    return this.ids.has(requestId);
  }

  /** The requests these events carry out (none, cheaply, in the usual case of no request held). */
  idsOf(events: readonly EngineEvent[]): string[] {
    if (this.byEvent.size === 0) return [];
    const ids: string[] = [];
    for (const event of events) {
      const id = this.byEvent.get(event);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** The events' requests are committed, or their run ended here: no longer held. */
  release(events: readonly EngineEvent[]): void {
    if (this.byEvent.size === 0) return;
    for (const event of events) {
      const id = this.byEvent.get(event);
      if (id === undefined) continue;
      this.byEvent.delete(event);
      this.ids.delete(id);
    }
  }
}
