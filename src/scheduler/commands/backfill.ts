// Backfills: one run per interval of a past range, grouped under a backfill id and tagged `backfill`; the
// scheduler runs at most `concurrency` of them at a time. A dry run returns the plan and writes nothing.
import { randomBytes } from "node:crypto";
import { WeirError } from "../../common/errors.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { BackfillRecord, NewRun } from "../../store/types.js";
import { parseGraphSchedule, parseLogicalDate, planBackfill, REPROCESS_MODES, type BackfillPlanItem, type ReprocessMode } from "../../time/index.js";
import { newRunFor } from "../new-run.js";
import type { CommandContext } from "./context.js";

export interface BackfillInput {
  pipelineId: string;
  from: string;
  to: string;
  concurrency?: number | null;
  reprocess: ReprocessMode;
  dryRun?: boolean;
}

export interface BackfillResult {
  graph: PipelineGraph;
  plan: BackfillPlanItem[];
  /** Null for a dry run, or when no interval needed a run. */
  backfill: BackfillRecord | null;
}

/** Actions of the plan that make a run. */
const RUNS: ReadonlySet<string> = new Set(["create", "rerun", "rerun_failed"]);

export async function createBackfill(ctx: CommandContext, input: BackfillInput): Promise<BackfillResult> {
  const { store } = ctx;
  const { pipelineId } = input;
  if (!(REPROCESS_MODES as readonly string[]).includes(input.reprocess)) {
    throw new WeirError("reprocess_invalid", `reprocess must be one of ${REPROCESS_MODES.join(", ")}, got "${String(input.reprocess)}"`);
  }
  const concurrency = input.concurrency ?? null;
  if (concurrency !== null && (!Number.isSafeInteger(concurrency) || concurrency < 1)) {
    throw new WeirError("backfill_invalid", `concurrency must be a whole number ≥ 1, got ${String(concurrency)}`);
  }
  const pipeline = await store.getPipeline(pipelineId);
  if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" (a scheduler or \`weir run\` registers pipelines)`, { where: { pipeline: pipelineId } });
  const graph = pipeline.graph;
  const fromMs = parseLogicalDate(input.from, graph.timezone);
  const toMs = parseLogicalDate(input.to, graph.timezone);
  const existing = await store.runsByLogicalDate(pipelineId, fromMs, toMs);
  const plan = planBackfill(parseGraphSchedule(graph), { fromMs, toMs, existing, reprocess: input.reprocess });
  if (input.dryRun) return { graph, plan, backfill: null };

  const nowMs = ctx.clock.now();
  const id = `backfill_${new Date(nowMs).toISOString().replace(/[-:.]/g, "").slice(0, 15)}_${randomBytes(3).toString("hex")}`;
  const runs: NewRun[] = plan.filter((p) => RUNS.has(p.action)).map((p) => newRunFor(graph, "backfill", p, { backfillId: id }));
  if (runs.length === 0) return { graph, plan, backfill: null };
  const { backfill } = await store.createBackfill({ id, pipelineId, fromMs, toMs, concurrency, reprocess: input.reprocess, totalRuns: runs.length }, runs, nowMs);
  ctx.live?.wake();
  ctx.onChange?.({ kind: "backfill", backfillId: backfill.id });
  return { graph, plan, backfill };
}

export async function cancelBackfill(ctx: CommandContext, backfillId: string): Promise<BackfillRecord> {
  const { store } = ctx;
  const backfill = await store.getBackfill(backfillId);
  const where = { pipeline: backfill?.pipelineId ?? "" };
  if (!backfill) throw new WeirError("backfill_not_found", `no backfill "${backfillId}"`);
  if (backfill.state !== "running") throw new WeirError("backfill_ended", `backfill ${backfillId} already ended: ${backfill.state}`, { where });
  if (!(await store.setBackfillState(backfillId, "canceled", "running", ctx.clock.now()))) throw new WeirError("backfill_ended", `backfill ${backfillId} ended just now`, { where });
  // The scheduler cancels its running runs and won't start its queued ones, on its next pass: now.
  ctx.live?.wake();
  ctx.onChange?.({ kind: "backfill", backfillId });
  return (await store.getBackfill(backfillId)) ?? backfill;
}
