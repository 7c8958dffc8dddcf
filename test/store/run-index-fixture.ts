// A store shaped like one that has run a while, for the run-index plan tests: many pipelines with a history of
// scheduled runs (mostly ended, the last minute's running or queued), manual and event runs, and backfills
// half done. Written through the store's verbs; the states through plain SQL both databases accept, because
// driving thousands of runs to their end through decisions would cost the test far more than it tells.
import type { NewRun, Store } from "../../src/store/types.js";
import { graph } from "./fixtures.js";

export const T0 = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;
export const PIPELINES = 200;
export const MINUTES = 30;
export const BACKFILLS = 3;
const BACKFILL_RUNS = 150;

function run(id: string, p: number, trigger: NewRun["trigger"], logicalDateMs: number): NewRun {
  return {
    id,
    pipelineId: `p${p}`,
    version: "v1",
    trigger,
    logicalDateMs,
    intervalStartMs: logicalDateMs,
    intervalEndMs: logicalDateMs + MINUTE,
    params: {},
    file: `/pipelines/p${p}.ts`,
    taskIds: ["a"],
  };
}

/** 6,000 scheduled runs, 600 manual, 300 event and 450 of backfills bf0… on pipelines p0… */
export async function fillRunHistory(store: Store): Promise<void> {
  for (let p = 0; p < PIPELINES; p++) await store.savePipelineVersion(graph(`p${p}`, "v1", ["a"]), T0);
  for (let m = 0; m < MINUTES; m++) {
    await store.createRuns(
      Array.from({ length: PIPELINES }, (_, p) => run(`scheduled_${m}_${p}`, p, "scheduled", T0 + m * MINUTE)),
      T0 + (m + 1) * MINUTE,
    );
  }
  const others: NewRun[] = [];
  for (let i = 0; i < 600; i++) others.push(run(`manual_${i}`, i % PIPELINES, "manual", T0 + (i % MINUTES) * MINUTE + 7));
  for (let i = 0; i < 300; i++) others.push(run(`event_${i}`, (i * 7) % PIPELINES, "event", T0 + (i % MINUTES) * MINUTE + 13));
  await store.createRuns(others, T0 + (MINUTES + 1) * MINUTE);
  for (let b = 0; b < BACKFILLS; b++) {
    const runs = Array.from({ length: BACKFILL_RUNS }, (_, i) => run(`backfill_${b}_${i}`, b, "backfill", T0 - (i + 1) * 3_600_000));
    await store.createBackfill(
      { id: `bf${b}`, pipelineId: `p${b}`, fromMs: T0 - BACKFILL_RUNS * 3_600_000, toMs: T0, concurrency: 4, reprocess: "none", totalRuns: BACKFILL_RUNS },
      runs,
      T0 + (MINUTES + 2) * MINUTE,
    );
  }
}

const LAST_MINUTE = T0 + (MINUTES - 1) * MINUTE;
const PIPELINE_NUMBER = "CAST(substr(pipeline_id, 2) AS INTEGER)";

/** Run it in order after fillRunHistory: ~5% failed, ~2% canceled, the rest ended success but a few active. */
export const RUN_STATES_SQL: readonly string[] = [
  `UPDATE runs SET state = CASE WHEN (logical_date_ms / 60000 + ${PIPELINE_NUMBER}) % 20 = 0 THEN 'failed'
    WHEN (logical_date_ms / 60000 + ${PIPELINE_NUMBER}) % 50 = 1 THEN 'canceled' ELSE 'success' END,
    started_ms = created_ms, ended_ms = created_ms + 500`,
  `UPDATE runs SET state = 'running', ended_ms = NULL WHERE trigger = 'scheduled' AND logical_date_ms = ${LAST_MINUTE} AND ${PIPELINE_NUMBER} % 3 = 0`,
  `UPDATE runs SET state = 'queued', started_ms = NULL, ended_ms = NULL
    WHERE trigger = 'scheduled' AND logical_date_ms = ${LAST_MINUTE} AND ${PIPELINE_NUMBER} % 5 = 1`,
  `UPDATE runs SET state = 'running', ended_ms = NULL WHERE id LIKE 'manual_5__' AND CAST(substr(id, 8) AS INTEGER) % 4 = 0`,
  `UPDATE runs SET state = 'queued', started_ms = NULL, ended_ms = NULL WHERE backfill_id IS NOT NULL AND CAST(substr(id, 12) AS INTEGER) >= 75`,
  `UPDATE runs SET state = 'running', ended_ms = NULL WHERE backfill_id IS NOT NULL AND CAST(substr(id, 12) AS INTEGER) BETWEEN 71 AND 74`,
  `UPDATE task_instances SET state = (SELECT CASE r.state WHEN 'queued' THEN 'pending' ELSE r.state END FROM runs r WHERE r.id = run_id)`,
];
