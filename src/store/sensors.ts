// The sensor hand-off's verbs (docs/adr/0007). The scheduler defers a sensor's try here and takes results
// back; the trigger loop claims due waits under a lease and records each check. Every write is guarded (the
// try number, the lease owner, the state), so a late or duplicate writer changes nothing.
import type { ExternalProbe, SqlProbe } from "../define/sensor.js";
import type { Dialect } from "./dialect.js";
import type { ExternalState, NewSensorWait, SensorCheckOutcome, SensorKey, SensorStore, SensorWaitRecord } from "./sensor-types.js";
import { LEASE_OWNERS, RELEASE_LEASES, CLAIM_WAIT, DONE_WAITS, DUE_WAITS, GET_WAIT, MARK_DELIVERED, NEXT_CHECK, NEXT_DUE, RECORD_DONE, RECORD_NOT_YET, RUN_AT_DATE, TASK_STATES, UPSERT_WAIT, WAITS_OF_RUN } from "./sql/sensors.js";

interface WaitRow extends Record<string, unknown> {
  run_id: string;
  task_id: string;
  map_index: unknown;
  try_number: unknown;
  waits_for: string;
  job_json: string;
  probe_json: string | null;
  first_check_ms: unknown;
  next_check_ms: unknown;
  last_check_ms: unknown;
  checks: unknown;
  poke_interval_ms: unknown;
  timeout_ms: unknown;
  soft_fail: unknown;
  state: string;
  result_json: string | null;
}

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));

function toRecord(row: WaitRow): SensorWaitRecord {
  return {
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: num(row.map_index),
    tryNumber: num(row.try_number),
    waitsFor: row.waits_for,
    jobJson: row.job_json,
    probe: row.probe_json === null ? null : (JSON.parse(row.probe_json) as SqlProbe | ExternalProbe),
    firstCheckMs: num(row.first_check_ms),
    nextCheckMs: num(row.next_check_ms),
    lastCheckMs: numOrNull(row.last_check_ms),
    checks: num(row.checks),
    pokeIntervalMs: num(row.poke_interval_ms),
    timeoutMs: numOrNull(row.timeout_ms),
    softFail: num(row.soft_fail) !== 0,
    state: row.state as SensorWaitRecord["state"],
    resultJson: row.result_json,
  };
}

export class SqlSensors implements SensorStore {
  constructor(private readonly db: Dialect) {}

  async defer(wait: NewSensorWait, nowMs: number): Promise<void> {
    const probe = wait.probe === null ? null : JSON.stringify(wait.probe);
    await this.db.session.run(UPSERT_WAIT, [wait.runId, wait.taskId, wait.mapIndex, wait.tryNumber, wait.waitsFor, wait.jobJson, probe, nowMs, nowMs, wait.pokeIntervalMs, wait.timeoutMs, wait.softFail ? 1 : 0]);
  }

  async claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<SensorWaitRecord[]> {
    return this.db.transaction(async (tx) => {
      const due = await tx.all<{ run_id: string; task_id: string; map_index: unknown; try_number: unknown }>(DUE_WAITS, [nowMs, nowMs, limit]);
      const claimed: SensorWaitRecord[] = [];
      for (const row of due) {
        const key = [row.run_id, row.task_id, num(row.map_index)] as const;
        // Another loop may have claimed it between the select and now: the guard says so.
        if ((await tx.run(CLAIM_WAIT, [owner, nowMs + leaseMs, ...key, num(row.try_number), nowMs])) !== 1) continue;
        const full = await tx.get<WaitRow>(GET_WAIT, [...key]);
        if (full) claimed.push(toRecord(full));
      }
      return claimed;
    });
  }

  async nextDueMs(): Promise<number | null> {
    const row = await this.db.session.get<{ due: unknown }>(NEXT_DUE);
    return numOrNull(row?.due);
  }

  async nextCheckMs(): Promise<number | null> {
    const row = await this.db.session.get<{ due: unknown }>(NEXT_CHECK);
    return numOrNull(row?.due);
  }

  async recordCheck(key: SensorKey, owner: string, outcome: SensorCheckOutcome, nowMs: number): Promise<boolean> {
    const where = [key.runId, key.taskId, key.mapIndex, key.tryNumber, owner];
    const changed =
      outcome.kind === "not_yet"
        ? await this.db.session.run(RECORD_NOT_YET, [outcome.nextCheckMs, nowMs, ...where])
        : await this.db.session.run(RECORD_DONE, [outcome.resultJson, nowMs, ...where]);
    return changed === 1;
  }

  async results(limit: number): Promise<SensorWaitRecord[]> {
    return (await this.db.session.all<WaitRow>(DONE_WAITS, [limit])).map(toRecord);
  }

  async markDelivered(): Promise<number> {
    return this.db.session.run(MARK_DELIVERED);
  }

  async leaseOwners(): Promise<string[]> {
    return (await this.db.session.all<{ lease_owner: string }>(LEASE_OWNERS)).map((r) => r.lease_owner);
  }

  async releaseLeases(owner: string): Promise<number> {
    return this.db.session.run(RELEASE_LEASES, [owner]);
  }

  async listForRun(runId: string): Promise<SensorWaitRecord[]> {
    return (await this.db.session.all<WaitRow>(WAITS_OF_RUN, [runId])).map(toRecord);
  }

  async externalState(pipelineId: string, logicalDateMs: number, taskId: string | null): Promise<ExternalState | null> {
    const run = await this.db.session.get<{ id: string; state: string }>(RUN_AT_DATE, [pipelineId, logicalDateMs]);
    if (!run) return null;
    const taskStates = taskId === null ? [] : (await this.db.session.all<{ state: string }>(TASK_STATES, [run.id, taskId])).map((r) => r.state);
    return { runId: run.id, runState: run.state, taskStates };
  }
}
