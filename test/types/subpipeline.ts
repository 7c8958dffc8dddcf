// Type-level tests of sub-pipelines (checked by `tsc`): each @ts-expect-error line must be an error.
import { z } from "zod";
import { pipeline, type SubPipelineResult, type TaskRef } from "weir";

const reporting = pipeline({ id: "typed_reporting", params: z.object({ region: z.string(), days: z.number() }) }, (p) => {
  p.task("report", async (ctx) => `${ctx.params.region}:${ctx.params.days}`);
});
const plain = pipeline({ id: "typed_plain" }, (p) => {
  p.task("noop", async () => 0);
});

export const typedSubPipelines = pipeline({ id: "typed_parent" }, (p) => {
  // Params of the other pipeline's type: accepted, and the output is the child run's summary.
  const sub: TaskRef<SubPipelineResult> = p.pipeline("report_eu", { pipeline: reporting, params: { region: "eu", days: 7 } });
  p.task("after", { needs: { sub } }, (_ctx, { sub }) => sub.runId.length);
  // A pipeline without params needs none.
  p.pipeline("plain", { pipeline: plain, after: [sub] });

  // @ts-expect-error: a param of the wrong type.
  p.pipeline("wrong_type", { pipeline: reporting, params: { region: "eu", days: "7" } });
  // @ts-expect-error: a required param missing.
  p.pipeline("missing_param", { pipeline: reporting, params: { region: "eu" } });
  // @ts-expect-error: params required when the other pipeline has required params.
  p.pipeline("no_params", { pipeline: reporting });
  // @ts-expect-error: an unknown param.
  p.pipeline("unknown_param", { pipeline: reporting, params: { region: "eu", days: 1, extra: true } });
  // Mapped: one child run per element; each element gives params over the constant ones.
  const regions = p.task("regions", () => ["eu", "us"]);
  const perRegion: TaskRef<SubPipelineResult[]> = p.pipeline("per_region", { pipeline: reporting, map: { region: regions }, params: { days: 7 } });
  const configs = p.task("configs", () => [{ region: "eu", days: 1 }]);
  p.pipeline("per_config", { pipeline: reporting, map: configs, maxParallel: 2 });
  p.task("after_mapped", { needs: { perRegion } }, (_ctx, { perRegion }) => perRegion.map((r) => r.runId));
  const numbers = p.task("numbers", () => [1, 2]);
  // @ts-expect-error: elements must be objects of the other pipeline's params.
  p.pipeline("per_number", { pipeline: reporting, map: numbers });
  // @ts-expect-error: a mapped param keeps its type (days is a number).
  p.pipeline("per_day", { pipeline: reporting, map: { days: regions }, params: { region: "eu" } });
  // @ts-expect-error: not a pipeline.
  p.pipeline("not_pipeline", { pipeline: { id: "x" } });
});
