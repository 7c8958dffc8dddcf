// Where a try's log lives. The path is derived from validated ids only (DESIGN.md §7), so no user
// string can steer a write outside `<home>/logs`.
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
