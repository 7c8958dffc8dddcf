// `weir backfill <id> --from D --to D [--concurrency N] [--reprocess none|failed|all] [--dry-run]` creates
// one run per interval of a past range, grouped under a backfill id and tagged `backfill`; a running
// scheduler runs them, at most N at a time. `weir backfill cancel <backfill-id>` stops one.
import { randomBytes } from "node:crypto";
import { WeirError } from "../../common/errors.js";
import { newRunFor } from "../../scheduler/new-run.js";
import type { NewRun } from "../../store/types.js";
import { describeBackfillPlan, parseGraphSchedule, parseLogicalDate, planBackfill, REPROCESS_MODES, type ReprocessMode } from "../../time/index.js";
import { out, printJson, say } from "../output.js";
import { withStore } from "../store-access.js";

export interface BackfillOptions {
  from?: string;
  to?: string;
  concurrency?: number;
  reprocess: string;
  dryRun?: boolean;
  json?: boolean;
}

export async function backfillCommand(pipelineId: string, options: BackfillOptions): Promise<void> {
  const { from, to } = options;
  if (from === undefined || to === undefined) throw new WeirError("backfill_range_missing", "weir backfill needs --from and --to (logical dates, both inclusive)");
  if (!(REPROCESS_MODES as readonly string[]).includes(options.reprocess)) {
    throw new WeirError("reprocess_invalid", `--reprocess must be one of ${REPROCESS_MODES.join(", ")}, got "${options.reprocess}"`);
  }
  const reprocess = options.reprocess as ReprocessMode;
  await withStore(`no pipeline "${pipelineId}"`, async (store, home) => {
    const pipeline = await store.getPipeline(pipelineId);
    if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" in ${home} (a scheduler or \`weir run\` registers pipelines)`, { where: { pipeline: pipelineId } });
    const graph = pipeline.graph;
    const fromMs = parseLogicalDate(from, graph.timezone);
    const toMs = parseLogicalDate(to, graph.timezone);
    const existing = await store.runsByLogicalDate(pipelineId, fromMs, toMs);
    const plan = planBackfill(parseGraphSchedule(graph), { fromMs, toMs, existing, reprocess });

    if (options.dryRun) {
      if (options.json) printJson({ pipeline: pipelineId, dryRun: true, intervals: plan.map((p) => ({ logicalDate: new Date(p.logicalDateMs).toISOString(), intervalStart: new Date(p.intervalStartMs).toISOString(), intervalEnd: new Date(p.intervalEndMs).toISOString(), action: p.action, existingState: p.existingState ?? null })) });
      else for (const line of describeBackfillPlan(plan, graph.timezone)) out(line);
      return;
    }

    const nowMs = Date.now();
    const id = `backfill_${new Date(nowMs).toISOString().replace(/[-:.]/g, "").slice(0, 15)}_${randomBytes(3).toString("hex")}`;
    const runs: NewRun[] = plan
      .filter((p) => p.action === "create" || p.action === "rerun" || p.action === "rerun_failed")
      .map((p) => newRunFor(graph, "backfill", p, { backfillId: id }));
    if (runs.length === 0) {
      say(`weir: nothing to backfill for ${pipelineId} in that range (${plan.length} intervals, none to run with --reprocess ${reprocess}); see --dry-run`);
      return;
    }
    const { backfill } = await store.createBackfill({ id, pipelineId, fromMs, toMs, concurrency: options.concurrency ?? null, reprocess, totalRuns: runs.length }, runs, nowMs);
    if (options.json) printJson({ backfill: { id: backfill.id, pipeline: pipelineId, runs: backfill.totalRuns, concurrency: backfill.concurrency, reprocess, state: backfill.state } });
    else say(`weir: backfill ${backfill.id} of ${pipelineId}: ${runs.length} runs queued${backfill.concurrency ? `, at most ${backfill.concurrency} at a time` : ""}`);
    const lease = await store.getLease("scheduler");
    if (!lease || lease.expiresMs < nowMs) say("weir: no scheduler is running against this store: start one with `weir dev` to run them");
  });
}

export async function backfillCancelCommand(backfillId: string): Promise<void> {
  await withStore(`no backfill "${backfillId}"`, async (store) => {
    const backfill = await store.getBackfill(backfillId);
    if (!backfill) throw new WeirError("backfill_not_found", `no backfill "${backfillId}"`);
    if (backfill.state !== "running") throw new WeirError("backfill_ended", `backfill ${backfillId} already ended: ${backfill.state}`);
    if (!(await store.setBackfillState(backfillId, "canceled", "running", Date.now()))) throw new WeirError("backfill_ended", `backfill ${backfillId} ended just now`);
    say(`weir: backfill ${backfillId} canceled: its queued runs won't start and its running runs are canceled by the scheduler`);
  });
}

export async function backfillListCommand(options: { pipeline?: string; json?: boolean }): Promise<void> {
  await withStore("no backfills", async (store) => {
    const backfills = await store.listBackfills(options.pipeline ? { pipelineId: options.pipeline } : {});
    const rows = backfills.map((b) => ({ id: b.id, pipeline: b.pipelineId, state: b.state, runs: b.totalRuns, concurrency: b.concurrency, reprocess: b.reprocess, from: new Date(b.fromMs).toISOString(), to: new Date(b.toMs).toISOString(), createdAt: new Date(b.createdMs).toISOString(), endedAt: b.endedMs === null ? null : new Date(b.endedMs).toISOString() }));
    if (options.json) {
      printJson({ backfills: rows });
      return;
    }
    if (rows.length === 0) out("no backfills");
    for (const r of rows) out(`${r.id.padEnd(34)} ${r.pipeline.padEnd(20)} ${r.state.padEnd(9)} ${String(r.runs).padStart(5)} runs  ${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}`);
  });
}
