// `weir backfill <id> --from D --to D [--concurrency N] [--reprocess none|failed|all] [--dry-run]` creates
// one run per interval of a past range, grouped under a backfill id and tagged `backfill`; a running
// scheduler runs them, at most N at a time. `weir backfill cancel <backfill-id>` stops one. The shared
// backfill commands do the work (src/scheduler/commands/backfill.ts); with --server URL a running server does.
import type { BackfillList, BackfillResponse, BackfillView, PipelineDetail } from "../../api/types.js";
import { WeirError } from "../../common/errors.js";
import { systemClock } from "../../scheduler/clock.js";
import { cancelBackfill, createBackfill, liveSchedulerOwner } from "../../scheduler/commands/index.js";
import { describeBackfillPlan, REPROCESS_MODES, type BackfillPlanItem, type ReprocessMode } from "../../time/index.js";
import { callApi, enc, serverHealth } from "../api-client.js";
import { out, printJson, say } from "../output.js";
import { withStore } from "../store-access.js";

export interface BackfillOptions {
  from?: string;
  to?: string;
  concurrency?: number;
  reprocess: string;
  dryRun?: boolean;
  json?: boolean;
  server?: string;
}

interface Outcome {
  timezone: string;
  plan: BackfillPlanItem[];
  backfill: { id: string; runs: number; concurrency: number | null; state: string } | null;
  schedulerLive: boolean;
}

export async function backfillCommand(pipelineId: string, options: BackfillOptions): Promise<void> {
  const { from, to } = options;
  if (from === undefined || to === undefined) throw new WeirError("backfill_range_missing", "weir backfill needs --from and --to (logical dates, both inclusive)");
  if (!(REPROCESS_MODES as readonly string[]).includes(options.reprocess)) {
    throw new WeirError("reprocess_invalid", `--reprocess must be one of ${REPROCESS_MODES.join(", ")}, got "${options.reprocess}"`);
  }
  const reprocess = options.reprocess as ReprocessMode;
  const input = { pipelineId, from, to, concurrency: options.concurrency ?? null, reprocess, dryRun: options.dryRun ?? false };
  let outcome: Outcome;
  if (options.server) {
    const body = { pipeline: pipelineId, from, to, reprocess, dryRun: input.dryRun, ...(options.concurrency ? { concurrency: options.concurrency } : {}) };
    const response = await callApi<BackfillResponse>(options.server, "POST", "/backfills", body);
    const pipeline = await callApi<PipelineDetail>(options.server, "GET", `/pipelines/${enc(pipelineId)}`);
    const plan = response.intervals.map((i) => ({
      logicalDateMs: Date.parse(i.logicalDate),
      intervalStartMs: Date.parse(i.intervalStart),
      intervalEndMs: Date.parse(i.intervalEnd),
      action: i.detail,
      ...(i.existingState === null ? {} : { existingState: i.existingState }),
    }));
    const b = response.backfill;
    outcome = { timezone: pipeline.timezone, plan, backfill: b && { id: b.id, runs: totalRuns(b), concurrency: b.concurrency || null, state: b.state }, schedulerLive: (await serverHealth(options.server)).scheduler.live };
  } else {
    outcome = await withStore(`no pipeline "${pipelineId}"`, async (store) => {
      const result = await createBackfill({ store, live: null, clock: systemClock }, input);
      const b = result.backfill;
      return { timezone: result.graph.timezone, plan: result.plan, backfill: b && { id: b.id, runs: b.totalRuns, concurrency: b.concurrency, state: b.state }, schedulerLive: (await liveSchedulerOwner(store, systemClock.now())) !== null };
    });
  }

  const { plan, backfill } = outcome;
  if (options.dryRun) {
    if (options.json) printJson({ pipeline: pipelineId, dryRun: true, intervals: plan.map((p) => ({ logicalDate: new Date(p.logicalDateMs).toISOString(), intervalStart: new Date(p.intervalStartMs).toISOString(), intervalEnd: new Date(p.intervalEndMs).toISOString(), action: p.action, existingState: p.existingState ?? null })) });
    else for (const line of describeBackfillPlan(plan, outcome.timezone)) out(line);
    return;
  }
  if (backfill === null) {
    say(`weir: nothing to backfill for ${pipelineId} in that range (${plan.length} intervals, none to run with --reprocess ${reprocess}); see --dry-run`);
    return;
  }
  if (options.json) printJson({ backfill: { id: backfill.id, pipeline: pipelineId, runs: backfill.runs, concurrency: backfill.concurrency, reprocess, state: backfill.state } });
  else say(`weir: backfill ${backfill.id} of ${pipelineId}: ${backfill.runs} runs queued${backfill.concurrency ? `, at most ${backfill.concurrency} at a time` : ""}`);
  if (!outcome.schedulerLive) say("weir: no scheduler is running against this store: start one with `weir dev` to run them");
}

const totalRuns = (b: BackfillView): number => Object.values(b.runCounts).reduce((sum, n) => sum + (n ?? 0), 0);

export async function backfillCancelCommand(backfillId: string, options: { server?: string } = {}): Promise<void> {
  if (options.server) await callApi(options.server, "POST", `/backfills/${enc(backfillId)}/cancel`);
  else await withStore(`no backfill "${backfillId}"`, (store) => cancelBackfill({ store, live: null, clock: systemClock }, backfillId));
  say(`weir: backfill ${backfillId} canceled: its queued runs won't start and its running runs are canceled by the scheduler`);
}

export async function backfillListCommand(options: { pipeline?: string; json?: boolean; server?: string }): Promise<void> {
  let rows: { id: string; pipeline: string; state: string; runs: number; concurrency: number | null; reprocess: string; from: string; to: string; createdAt: string; endedAt: string | null }[];
  if (options.server) {
    const list = await callApi<BackfillList>(options.server, "GET", `/backfills${options.pipeline ? `?pipeline=${enc(options.pipeline)}` : ""}`);
    rows = list.items.map((b) => ({ id: b.id, pipeline: b.pipeline, state: b.state, runs: totalRuns(b), concurrency: b.concurrency || null, reprocess: b.reprocess, from: b.from, to: b.to, createdAt: b.createdAt, endedAt: b.endedAt }));
  } else {
    rows = await withStore("no backfills", async (store) => {
      const backfills = await store.listBackfills(options.pipeline ? { pipelineId: options.pipeline } : {});
      return backfills.map((b) => ({ id: b.id, pipeline: b.pipelineId, state: b.state, runs: b.totalRuns, concurrency: b.concurrency, reprocess: b.reprocess, from: new Date(b.fromMs).toISOString(), to: new Date(b.toMs).toISOString(), createdAt: new Date(b.createdMs).toISOString(), endedAt: b.endedMs === null ? null : new Date(b.endedMs).toISOString() }));
    });
  }
  if (options.json) {
    printJson({ backfills: rows });
    return;
  }
  if (rows.length === 0) out("no backfills");
  for (const r of rows) out(`${r.id.padEnd(34)} ${r.pipeline.padEnd(20)} ${r.state.padEnd(9)} ${String(r.runs).padStart(5)} runs  ${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}`);
}
