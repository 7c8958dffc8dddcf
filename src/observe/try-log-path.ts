// Where a try's log lives. The path is derived from validated ids only (DESIGN.md §7), so no user
// string can steer a write outside `<home>/logs`.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { isValidId } from "../common/ids.js";
import { WeirError } from "../common/errors.js";

/** `<home>/logs/<pipelineId>/<runId>/<taskId>/<mapIndex>/<tryNumber>.log` */
export function tryLogPath(home: string, pipelineId: string, runId: string, taskId: string, mapIndex: number, tryNumber: number): string {
  for (const [what, id] of [["pipeline", pipelineId], ["run", runId], ["task", taskId]] as const) {
    if (!isValidId(id)) throw new WeirError("id_invalid", `${what} id ${JSON.stringify(id)} must match [A-Za-z0-9_.-]{1,250}`, { input: false });
  }
  if (!Number.isInteger(mapIndex) || mapIndex < -1) throw new WeirError("map_index_invalid", `map index ${mapIndex} is not -1 or a non-negative integer`, { input: false });
  if (!Number.isInteger(tryNumber) || tryNumber < 1) throw new WeirError("try_number_invalid", `try number ${tryNumber} is not a positive integer`, { input: false });
  return join(home, "logs", pipelineId, runId, taskId, String(mapIndex), `${tryNumber}.log`);
}

export interface TryLogChunk {
  /** The text from `fromOffset` to the current end (whole lines are not guaranteed while a try runs). */
  text: string;
  /** Pass back as `fromOffset` to read what was appended since (`weir logs --follow`). */
  nextOffset: number;
}

/** Reads a try's log from a byte offset; null when the try wrote no log (yet). */
export function readTryLog(path: string, fromOffset = 0): TryLogChunk | null {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  if (size <= fromOffset) return { text: "", nextOffset: Math.max(fromOffset, size) };
  const buffer = Buffer.alloc(size - fromOffset);
  const fd = openSync(path, "r");
  try {
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, fromOffset + read);
      if (n === 0) break;
      read += n;
    }
    // Don't split a UTF-8 character: stop before an incomplete trailing sequence.
    let end = read;
    let back = 0;
    while (end > 0 && back < 4 && ((buffer[end - 1] as number) & 0xc0) === 0x80) {
      end--;
      back++;
    }
    if (end > 0 && ((buffer[end - 1] as number) & 0x80) !== 0) {
      const lead = buffer[end - 1] as number;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      end = need === back + 1 ? read : end - 1;
    } else {
      end = read;
    }
    return { text: buffer.subarray(0, end).toString("utf8"), nextOffset: fromOffset + end };
  } finally {
    closeSync(fd);
  }
}
