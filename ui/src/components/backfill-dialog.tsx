// Create a backfill: pick the range, concurrency and what to do with intervals that already ran, preview
// the intervals (a dry run on the server, nothing written), then create it.
import { useState } from "react";
import type { BackfillRequest, BackfillResponse, ReprocessMode } from "../../../src/api/types";
import { api } from "../api";
import { formatLogicalDate } from "../format";
import { StateBadge } from "./state";
import { Dialog, ErrorBox } from "./ui";

const REPROCESS: Record<ReprocessMode, string> = {
  none: "Skip intervals that already have a run",
  failed: "Rerun intervals whose run failed",
  all: "Rerun every interval",
};

export function BackfillDialog({ pipelineId, onClose, onCreated }: { pipelineId: string; onClose: () => void; onCreated: (id: string) => void }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [concurrency, setConcurrency] = useState("2");
  const [reprocess, setReprocess] = useState<ReprocessMode>("none");
  const [preview, setPreview] = useState<{ key: string; response: BackfillResponse } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const concurrencyN = Number(concurrency);
  const problem =
    !from || !to ? "Choose the first and last logical date." : from > to ? "The range ends before it starts." : !Number.isInteger(concurrencyN) || concurrencyN < 1 ? "Concurrency must be a whole number of at least 1." : null;
  const request: BackfillRequest = { pipeline: pipelineId, from, to, concurrency: concurrencyN, reprocess };
  const key = JSON.stringify(request);
  const previewed = preview?.key === key ? preview.response : null;

  const run = async (dryRun: boolean) => {
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      const response = await api.backfill({ ...request, dryRun });
      if (dryRun) setPreview({ key, response });
      else {
        onCreated(response.backfill?.id ?? "");
        onClose();
      }
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const counts = previewed ? { create: 0, rerun: 0, skip: 0, ...Object.fromEntries(["create", "rerun", "skip"].map((a) => [a, previewed.intervals.filter((i) => i.action === a).length])) } : null;

  return (
    <Dialog title={`Backfill ${pipelineId}`} onClose={onClose} wide>
      <form className="form" onSubmit={(e) => (e.preventDefault(), void run(true))} noValidate>
        <div className="form-row">
          <div className="field">
            <label htmlFor="backfill-from">From (logical date)</label>
            <input id="backfill-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="backfill-to">To (inclusive)</label>
            <input id="backfill-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
          <div className="field narrow">
            <label htmlFor="backfill-concurrency">Concurrency</label>
            <input id="backfill-concurrency" type="number" min={1} value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
          </div>
        </div>
        <fieldset className="field">
          <legend>Intervals that already ran</legend>
          {(Object.keys(REPROCESS) as ReprocessMode[]).map((mode) => (
            <label key={mode} className="radio">
              <input type="radio" name="reprocess" value={mode} checked={reprocess === mode} onChange={() => setReprocess(mode)} /> {REPROCESS[mode]} <code className="muted">{mode}</code>
            </label>
          ))}
        </fieldset>
        {problem && (from || to) ? <div className="field-error">{problem}</div> : null}
        <ErrorBox error={error} />
        {previewed && counts ? (
          <section className="preview" aria-label="Dry-run preview">
            <h3>
              {previewed.intervals.length} interval{previewed.intervals.length === 1 ? "" : "s"}: {counts.create} to create, {counts.rerun} to rerun, {counts.skip} to skip
            </h3>
            <div className="preview-table">
              <table className="table compact">
                <thead>
                  <tr>
                    <th>Logical date</th>
                    <th>Interval</th>
                    <th>Action</th>
                    <th>Existing run</th>
                  </tr>
                </thead>
                <tbody>
                  {previewed.intervals.map((i) => (
                    <tr key={i.logicalDate} className={`preview-${i.action}`}>
                      <td>{formatLogicalDate(i.logicalDate)}</td>
                      <td className="muted small">
                        {formatLogicalDate(i.intervalStart)} → {formatLogicalDate(i.intervalEnd)}
                      </td>
                      <td>
                        <span className={`action action-${i.action}`}>{i.action}</span>
                      </td>
                      <td>{i.existingState ? <StateBadge state={i.existingState} /> : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ) : null}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button" disabled={busy || problem !== null}>
            Preview intervals
          </button>
          <button
            type="button"
            className="button primary"
            disabled={busy || !previewed || previewed.intervals.every((i) => i.action === "skip")}
            title={previewed ? undefined : "Preview the intervals first"}
            onClick={() => void run(false)}
          >
            Create backfill
          </button>
        </div>
      </form>
    </Dialog>
  );
}
