// The events browser test's sensor pipeline: a deferred file sensor on a file under WEIR_HOME that the test
// creates once the page shows the sensor waiting, then a task after it.
import { join } from "node:path";
import { fileSensor, pipeline } from "weir";

// A plain path (not a function of the context) so the API's "waits for" names it; every process of the test's
// `weir dev` shares its WEIR_HOME.
const LANDED = join(process.env.WEIR_HOME ?? ".weir", "landed.csv");

export default pipeline({ id: "wait_for_file", description: "Waits for landed.csv, then loads it", schedule: null }, (p) => {
  const landed = p.sensor("wait_for_landed", { pokeInterval: "1s", timeout: "1h" }, fileSensor({ path: LANDED }));
  p.task("load", { needs: { landed } }, async (ctx, { landed }) => {
    ctx.log.info("loading", { paths: landed.paths });
    return landed.paths.length;
  });
});
