// `weir pause <id>` / `weir unpause <id>`: stop and resume scheduling. A paused pipeline gets no new
// scheduled runs; on unpause its missed intervals are handled by its catchup setting.
import { systemClock } from "../../scheduler/clock.js";
import { setPipelinePaused } from "../../scheduler/commands/index.js";
import { callApi, enc } from "../api-client.js";
import { say } from "../output.js";
import { withStore } from "../store-access.js";

export async function pauseCommand(pipelineId: string, paused: boolean, options: { server?: string } = {}): Promise<void> {
  if (options.server) {
    await callApi(options.server, "POST", `/pipelines/${enc(pipelineId)}/${paused ? "pause" : "unpause"}`);
  } else {
    await withStore(`no pipeline "${pipelineId}"`, (store) => setPipelinePaused({ store, live: null, clock: systemClock }, pipelineId, paused));
  }
  say(`weir: ${pipelineId} ${paused ? "paused: no new scheduled runs until `weir unpause`" : "unpaused: missed intervals follow its catchup setting"}`);
}
