// `weir logs <run-id> <task> [--try N] [--follow]`: a try's log (stdout, stderr and ctx.log lines), read
// from the try's log file, or from the chunks a remote worker shipped to the store when the file isn't on this
// machine, or with --server URL from a running server's API (the same bytes, by offset).
import { createReadStream, existsSync, statSync } from "node:fs";
import type { LogChunk, Page, TaskInstanceView, TryView } from "../../api/types.js";
import { WeirError } from "../../common/errors.js";
import { isTerminalTaskState } from "../../engine/states.js";
import { tryLogPath } from "../../observe/try-log-path.js";
import type { Store } from "../../store/types.js";
import { callApi, enc } from "../api-client.js";
import { say } from "../output.js";
import { withStore } from "../store-access.js";
import { copyStoredLog } from "../remote-log.js";

export interface LogsOptions {
  try?: number;
  mapIndex: number;
  follow?: boolean;
  server?: string;
}

const FOLLOW_POLL_MS = 250;

function noTask(runId: string, taskId: string, mapIndex: number): WeirError {
  return new WeirError("task_not_found", `run ${runId} has no task "${taskId}"${mapIndex >= 0 ? ` [${mapIndex}]` : ""}`, { where: { run: runId, task: taskId } });
}

function noTry(runId: string, taskId: string, tries: number, wanted: number): WeirError {
  return new WeirError("try_not_found", `task ${taskId} has ${tries} tries in run ${runId}; there is no try ${wanted}`, { where: { run: runId, task: taskId } });
}

/** The try to show: --try or the instance's latest; null (having said so) when the task has not run yet. */
function tryToShow(instance: { state: string; tryNumber: number } | undefined, runId: string, taskId: string, options: LogsOptions): number | null {
  if (!instance) throw noTask(runId, taskId, options.mapIndex);
  if (instance.tryNumber === 0) {
    say(`task ${taskId} has not run yet in run ${runId} (${instance.state})`);
    return null;
  }
  const tryNumber = options.try ?? instance.tryNumber;
  if (tryNumber > instance.tryNumber) throw noTry(runId, taskId, instance.tryNumber, tryNumber);
  return tryNumber;
}

export async function logsCommand(runId: string, taskId: string, options: LogsOptions): Promise<void> {
  if (options.server) return logsFromServer(options.server, runId, taskId, options);
  await withStore(`no run with id "${runId}"`, async (store, home) => {
    const run = await store.getRun(runId);
    if (!run) throw new WeirError("run_not_found", `no run with id "${runId}" in ${home}`, { where: { run: runId } });
    const instance = (await store.listTaskInstances(runId)).find((i) => i.taskId === taskId && i.mapIndex === options.mapIndex);
    const tryNumber = tryToShow(instance, runId, taskId, options);
    if (tryNumber === null) return;

    const path = tryLogPath(home, run.pipelineId, runId, taskId, options.mapIndex, tryNumber);
    const at = { runId, taskId, mapIndex: options.mapIndex, tryNumber };
    let offset = await copyLog(store, path, at, 0);
    if (options.follow) offset = await follow(store, path, offset, at);
    if (offset === 0) say(`(try ${tryNumber} of ${taskId} wrote no log)`);
    const tries = await store.listTries(runId, taskId, options.mapIndex);
    const error = tries.find((t) => t.tryNumber === tryNumber)?.error;
    if (error) say(`try ${tryNumber} failed: ${error.name}: ${error.message}`);
  });
}

async function logsFromServer(server: string, runId: string, taskId: string, options: LogsOptions): Promise<void> {
  const base = `/runs/${enc(runId)}/tasks`;
  const instances = await callApi<Page<TaskInstanceView>>(server, "GET", `${base}?task=${enc(taskId)}&limit=1000`).catch((error: unknown) => {
    throw error instanceof WeirError && error.code === "task_not_found" ? noTask(runId, taskId, options.mapIndex) : error;
  });
  const instance = instances.items.find((i) => i.mapIndex === options.mapIndex);
  const tryNumber = tryToShow(instance, runId, taskId, options);
  if (tryNumber === null) return;
  const at = `${base}/${enc(taskId)}/tries/${tryNumber}/logs?mapIndex=${options.mapIndex}`;
  let offset = 0;
  for (;;) {
    const chunk = await callApi<LogChunk>(server, "GET", `${at}&offset=${offset}`);
    if (chunk.text !== "") await new Promise<void>((resolve) => process.stdout.write(chunk.text, () => resolve()));
    const more = chunk.nextOffset > offset;
    offset = chunk.nextOffset;
    if (more) continue;
    if (!options.follow || chunk.complete) break;
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
  if (offset === 0) say(`(try ${tryNumber} of ${taskId} wrote no log)`);
  const tries = await callApi<TryView[]>(server, "GET", `${base}/${enc(taskId)}/tries?mapIndex=${options.mapIndex}`);
  const error = tries.find((t) => t.tryNumber === tryNumber)?.error;
  if (error) say(`try ${tryNumber} failed: ${error.name}: ${error.message}`);
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

interface TryAt {
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
}

/**
 * Copies the try's log from `offset`: the file, or where there is no file on this machine, the chunks a
 * `weir worker` elsewhere shipped to the store (docs/distributed.md).
 */
async function copyLog(store: Store, path: string, at: TryAt, offset: number): Promise<number> {
  return existsSync(path) ? copyFrom(path, offset) : copyStoredLog(store, at, offset);
}

async function follow(store: Store, path: string, offset: number, at: TryAt): Promise<number> {
  for (;;) {
    offset = await copyLog(store, path, at, offset);
    const tries = await store.listTries(at.runId, at.taskId, at.mapIndex);
    const current = tries.find((t) => t.tryNumber === at.tryNumber);
    const instance = (await store.listTaskInstances(at.runId)).find((i) => i.taskId === at.taskId && i.mapIndex === at.mapIndex);
    const tryDone = current !== undefined && current.state !== "running" && current.state !== "queued";
    // A remote worker ships the rest of the log before it reports the try: after the end, one last read has it all.
    if (tryDone || (instance && isTerminalTaskState(instance.state))) return copyLog(store, path, at, offset);
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
}
