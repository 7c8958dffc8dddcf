// Emit an event: a name and a JSON payload. The text is sent as typed, so a payload that is not JSON gets
// the API's own message (the same one `curl` and `weir emit` users see), not a second opinion from the page.
import { useState, type FormEvent } from "react";
import type { EventView } from "../../../src/api/types";
import { api } from "../api";
import { Dialog, ErrorBox } from "./ui";

export function EmitDialog({ initialName, onClose, onEmitted }: { initialName: string; onClose: () => void; onEmitted: (event: EventView) => void }) {
  const [name, setName] = useState(initialName);
  const [payload, setPayload] = useState("{}");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const recorded = await api.emit(name.trim(), payload);
      onEmitted(recorded);
      onClose();
    } catch (failure) {
      setError(failure);
      setSubmitting(false);
    }
  };

  return (
    <Dialog title="Emit event" onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="event-name">Name</label>
          <input id="event-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="orders.loaded" autoFocus />
        </div>
        <div className="field">
          <label htmlFor="event-payload">
            Payload <span className="field-type">JSON</span>
          </label>
          <textarea id="event-payload" rows={6} value={payload} spellCheck={false} onChange={(e) => setPayload(e.target.value)} />
          <div className="hint">Each pipeline scheduled on this name checks it against its own event schema; a rejection shows on the Events page.</div>
        </div>
        <ErrorBox error={error} title="Not recorded" />
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={submitting || name.trim() === ""}>
            {submitting ? "Emitting…" : "Emit event"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
