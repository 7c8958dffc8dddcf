// `weir logs <run-id> <task> [--try N] [--follow]`: a try's log (stdout, stderr and ctx.log lines).
import { createReadStream, existsSync, statSync } from "node:fs";
import { WeirError } from "../../common/errors.js";
import { isTerminalTaskState } from "../../engine/states.js";
import { tryLogPath } from "../../observe/try-log-path.js";
import type { Store } from "../../store/types.js";
import { say } from "../output.js";
import { withStore } from "../store-access.js";

export interface LogsOptions {
  try?: number;
  mapIndex: number;
  follow?: boolean;
}

export async function logsCommand(runId: string, taskId: string, options: LogsOptions): Promise<void> {
  await withStore(`no run with id "${runId}"`, async (store, home) => {
    const run = await store.getRun(runId);
    if (!run) throw new WeirError("run_not_found", `no run with id "${runId}" in ${home}`, { where: { run: runId } });
    const instance = (await store.listTaskInstances(runId)).find((i) => i.taskId === taskId && i.mapIndex === options.mapIndex);
    if (!instance) throw new WeirError("task_not_found", `run ${runId} has no task "${taskId}"${options.mapIndex >= 0 ? ` [${options.mapIndex}]` : ""}`, { where: { run: runId, task: taskId } });
    if (instance.tryNumber === 0) {
      say(`task ${taskId} has not run yet in run ${runId} (${instance.state})`);
      return;
    }
    const tryNumber = options.try ?? instance.tryNumber;
    if (tryNumber > instance.tryNumber) throw new WeirError("try_not_found", `task ${taskId} has ${instance.tryNumber} tries in run ${runId}; there is no try ${tryNumber}`, { where: { run: runId, task: taskId } });

    const path = tryLogPath(home, run.pipelineId, runId, taskId, options.mapIndex, tryNumber);
    let offset = await copyFrom(path, 0);
    if (options.follow) offset = await follow(store, path, offset, { runId, taskId, mapIndex: options.mapIndex, tryNumber });
    if (offset === 0) say(`(try ${tryNumber} of ${taskId} wrote no log)`);
    const tries = await store.listTries(runId, taskId, options.mapIndex);
    const error = tries.find((t) => t.tryNumber === tryNumber)?.error;
    if (error) say(`try ${tryNumber} failed: ${error.name}: ${error.message}`);
  });
}

/** Copies the file from `offset` to stdout; returns the new offset. */
async function copyFrom(path: string, offset: number): Promise<number> {
  if (!existsSync(path)) return offset;
  const size = statSync(path).size;
  if (size <= offset) return offset;
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(path, { start: offset, end: size - 1 });
    stream.on("error", reject);
    stream.on("end", resolve);
    stream.pipe(process.stdout, { end: false });
  });
  return size;
}

async function follow(store: Store, path: string, offset: number, at: { runId: string; taskId: string; mapIndex: number; tryNumber: number }): Promise<number> {
  for (;;) {
    offset = await copyFrom(path, offset);
    const tries = await store.listTries(at.runId, at.taskId, at.mapIndex);
    const current = tries.find((t) => t.tryNumber === at.tryNumber);
    const instance = (await store.listTaskInstances(at.runId)).find((i) => i.taskId === at.taskId && i.mapIndex === at.mapIndex);
    const tryDone = current !== undefined && current.state !== "running" && current.state !== "queued";
    if (tryDone || (instance && isTerminalTaskState(instance.state))) return copyFrom(path, offset);
    await new Promise((r) => setTimeout(r, 250));
  }
}
