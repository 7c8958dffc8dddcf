// Distributed execution's verbs (docs/distributed.md). Every write that a late or duplicate writer could make
// is guarded: a result only by the worker still holding the claim, a heartbeat only while the worker is alive,
// a claim only of a row still queued. A worker declared lost therefore changes nothing when it comes back.
import { WeirError } from "../common/errors.js";
import { runAll, type Dialect, type SqlParam } from "./dialect.js";
import type { AdoptedTry, ClaimedTry, DistributedStore, LogChunkRecord, LostWorkerTries, NewWorker, QueuedTry, ReportedTry, WakeChannel, WorkerRecord, WorkerState } from "./distributed-types.js";
import {
  ABORT_OTHER_CLAIMED,
  ADOPT_OTHERS,
  ABORT_REQUESTS,
  APPEND_LOG_CHUNK,
  COMPLETE_TRY,
  DEQUEUE_TRY,
  distributedStatements,
  DROP_OTHER_QUEUED,
  ENQUEUE_TRY,
  FORGET_RESULT,
  KEEP_RESULTS,
  LIST_WORKERS,
  NOTIFY,
  READ_LOG_CHUNKS_FROM,
  REQUEST_ABORT,
  SET_TRY_WORKER,
  STOP_WORKER,
  TAKE_LOST_TRIES,
  TAKE_RESULTS,
  WORKER_IS_ALIVE,
  type DistributedStatements,
} from "./sql/distributed.js";
import { holdFence } from "./leases.js";
import type { LeaseFence } from "./types.js";

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));

const CHANNELS: Record<WakeChannel, string> = { queue: "weir_try_queue", results: "weir_try_results" };

/** Rows per multi-row enqueue transaction chunk (kept well under every dialect's parameter limit). */
const ENQUEUE_CHUNK = 200;

export class SqlDistributed implements DistributedStore {
  private readonly sql: DistributedStatements;

  constructor(private readonly db: Dialect) {
    this.sql = distributedStatements(db.databaseClockMs ?? "?", db.name === "postgres" ? "FOR UPDATE SKIP LOCKED" : "");
  }

  /** The "now" parameter(s): none where the database's clock is used. */
  private now(nowMs: number): SqlParam[] {
    return this.db.databaseClockMs === null ? [nowMs] : [];
  }

  async registerWorker(worker: NewWorker, nowMs: number): Promise<void> {
    validateWorker(worker);
    const params = [worker.id, worker.host, worker.pid, JSON.stringify(worker.queues), worker.slots, worker.version, ...this.now(nowMs), ...this.now(nowMs)];
    await this.db.session.run(this.sql.register, params);
  }

  async heartbeat(workerId: string, inUse: number, nowMs: number): Promise<boolean> {
    return (await this.db.session.run(this.sql.heartbeat, [inUse, ...this.now(nowMs), workerId])) > 0;
  }

  async stopWorker(workerId: string): Promise<void> {
    await this.db.session.run(STOP_WORKER, [workerId]);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = await this.db.session.all(LIST_WORKERS);
    return rows.map((row) => ({
      id: String(row.id),
      host: String(row.host),
      pid: num(row.pid),
      queues: JSON.parse(String(row.queues_json)) as string[],
      slots: num(row.slots),
      inUse: num(row.in_use),
      version: String(row.version),
      startedMs: num(row.started_ms),
      heartbeatMs: num(row.heartbeat_ms),
      state: String(row.state) as WorkerState,
    }));
  }

  async enqueueTries(schedulerId: string, tries: readonly QueuedTry[], nowMs: number, fence?: LeaseFence): Promise<void> {
    if (tries.length === 0) return;
    await this.db.transaction(async (tx) => {
      if (fence) await holdFence(tx, fence);
      for (let i = 0; i < tries.length; i += ENQUEUE_CHUNK) {
        const chunk = tries.slice(i, i + ENQUEUE_CHUNK);
        const statements = chunk.map((t) => ({
          sql: ENQUEUE_TRY,
          params: [t.tryKey, t.queue, schedulerId, t.jobJson, nowMs, t.ref?.runId ?? null, t.ref?.taskId ?? null, t.ref?.mapIndex ?? null, t.ref?.tryNumber ?? null],
        }));
        await runAll(tx, statements);
      }
    });
    await this.notify("queue");
  }

  async claimTries(workerId: string, queues: readonly string[], limit: number, nowMs: number): Promise<ClaimedTry[]> {
    if (queues.length === 0 || limit <= 0) return [];
    const rows = await this.db.transaction(async (tx) => {
      // A worker declared lost claims nothing until it registers again.
      if ((await tx.get(WORKER_IS_ALIVE, [workerId])) === undefined) return [];
      const claimed = await tx.all(this.sql.claim(queues.length), [...queues, Math.floor(limit), ...this.now(nowMs), workerId]);
      // The try shows who runs it (the API's tries, the UI) instead of the scheduler's placeholder.
      const named = claimed
        .filter((row) => row.run_id !== null && row.run_id !== undefined)
        .map((row) => ({ sql: SET_TRY_WORKER, params: [workerId, String(row.run_id), String(row.task_id), num(row.map_index), num(row.try_number)] }));
      if (named.length === 0) return claimed;
      await runAll(tx, named);
      return claimed;
    });
    rows.sort((a, b) => num(a.enqueued_ms) - num(b.enqueued_ms) || String(a.try_key).localeCompare(String(b.try_key)));
    return rows.map((row) => ({ tryKey: String(row.try_key), jobJson: String(row.job_json) }));
  }

  async completeTry(workerId: string, report: ReportedTry): Promise<boolean> {
    const held = (await this.db.session.run(COMPLETE_TRY, [report.resultJson, report.startedMs, report.endedMs, report.tryKey, workerId])) > 0;
    if (held) await this.notify("results");
    return held;
  }

  async subscribe(channel: WakeChannel, onNotify: () => void): Promise<(() => void) | null> {
    return this.db.listen === undefined ? null : this.db.listen(CHANNELS[channel], onNotify);
  }

  /** Outside every transaction, and only where someone can listen (see NOTIFY). */
  private async notify(channel: WakeChannel): Promise<void> {
    if (this.db.listen !== undefined) await this.db.session.run(NOTIFY, [CHANNELS[channel]]);
  }

  async takeResults(schedulerId: string, keepAs?: string): Promise<ReportedTry[]> {
    const rows = keepAs === undefined ? await this.db.session.all(TAKE_RESULTS, [schedulerId]) : await this.db.session.all(KEEP_RESULTS, [keepAs, schedulerId]);
    return rows.map((row) => ({ tryKey: String(row.try_key), resultJson: String(row.result_json), startedMs: numOrNull(row.started_ms), endedMs: numOrNull(row.ended_ms) }));
  }

  async forgetResults(tryKeys: readonly string[], fence?: LeaseFence): Promise<void> {
    if (tryKeys.length === 0) return;
    await this.db.transaction(async (tx) => {
      if (fence) await holdFence(tx, fence);
      const statements = tryKeys.map((tryKey) => ({ sql: FORGET_RESULT, params: [tryKey] }));
      await runAll(tx, statements);
    });
  }

  async requestAbort(tryKey: string, reason: "timeout" | "canceled"): Promise<"dequeued" | "requested" | "none"> {
    if ((await this.db.session.run(DEQUEUE_TRY, [tryKey])) > 0) return "dequeued";
    return (await this.db.session.run(REQUEST_ABORT, [reason, tryKey])) > 0 ? "requested" : "none";
  }

  async abortRequests(workerId: string): Promise<{ tryKey: string; reason: "timeout" | "canceled" }[]> {
    const rows = await this.db.session.all(ABORT_REQUESTS, [workerId]);
    return rows.map((row) => ({ tryKey: String(row.try_key), reason: row.abort_reason === "timeout" ? "timeout" : "canceled" }));
  }

  async reapLostWorkers(schedulerId: string, timeoutMs: number, nowMs: number, fence?: LeaseFence): Promise<LostWorkerTries[]> {
    const rows = await this.db.transaction(async (tx) => {
      if (fence) await holdFence(tx, fence);
      await tx.run(this.sql.markLost, [...this.now(nowMs), timeoutMs]);
      return tx.all(TAKE_LOST_TRIES, [schedulerId]);
    });
    const byWorker = new Map<string, string[]>();
    for (const row of rows) {
      const workerId = String(row.worker_id);
      byWorker.set(workerId, [...(byWorker.get(workerId) ?? []), String(row.try_key)]);
    }
    return [...byWorker].map(([workerId, tryKeys]) => ({ workerId, tryKeys: tryKeys.sort() }));
  }

  async dropOtherSchedulers(schedulerId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(DROP_OTHER_QUEUED, [schedulerId]);
      await tx.run(ABORT_OTHER_CLAIMED, [schedulerId]);
    });
  }

  async adoptOtherSchedulers(schedulerId: string, fence?: LeaseFence): Promise<AdoptedTry[]> {
    const rows = await this.db.transaction(async (tx) => {
      if (fence) await holdFence(tx, fence);
      return tx.all(ADOPT_OTHERS, [schedulerId, schedulerId]);
    });
    return rows
      .map((row) => ({ tryKey: String(row.try_key), queue: String(row.queue), state: String(row.state) as AdoptedTry["state"], jobJson: String(row.job_json) }))
      .sort((a, b) => a.tryKey.localeCompare(b.tryKey));
  }

  async appendLogChunk(tryKey: string, seq: number, offset: number, text: string): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new WeirError("log_chunk_invalid", `Log chunk ${seq} of try ${tryKey} can't be stored: its number and byte offset must be whole numbers ≥ 0, got ${seq} and ${offset}.`, { input: false });
    }
    await this.db.session.run(APPEND_LOG_CHUNK, [tryKey, seq, offset, text]);
  }

  async readLogFrom(tryKey: string, offset: number, limit: number): Promise<LogChunkRecord[]> {
    if (limit <= 0) return [];
    const rows = await this.db.session.all(READ_LOG_CHUNKS_FROM, [tryKey, tryKey, Math.max(0, Math.floor(offset)), Math.floor(limit)]);
    return rows.map((row) => ({ offset: num(row.byte_offset), text: String(row.text) }));
  }
}

function validateWorker(worker: NewWorker): void {
  const problem =
    worker.queues.length === 0
      ? "it serves no queue"
      : !Number.isSafeInteger(worker.slots) || worker.slots <= 0
        ? `its slots must be a whole number > 0, got ${String(worker.slots)}`
        : worker.id.trim() === ""
          ? "its id is empty"
          : null;
  if (problem !== null) throw new WeirError("worker_invalid", `Worker ${JSON.stringify(worker.id)} can't register: ${problem}.`, { input: false });
}
