// `weir pause <id>` / `weir unpause <id>`: stop and resume scheduling. A paused pipeline gets no new
// scheduled runs; on unpause its missed intervals are handled by its catchup setting.
import { WeirError } from "../../common/errors.js";
import { say } from "../output.js";
import { withStore } from "../store-access.js";

export async function pauseCommand(pipelineId: string, paused: boolean): Promise<void> {
  await withStore(`no pipeline "${pipelineId}"`, async (store, home) => {
    if (!(await store.setPaused(pipelineId, paused))) {
      throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" in ${home}`, { where: { pipeline: pipelineId } });
    }
    say(`weir: ${pipelineId} ${paused ? "paused: no new scheduled runs until `weir unpause`" : "unpaused: missed intervals follow its catchup setting"}`);
  });
}
