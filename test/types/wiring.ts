// Type-level tests of the authoring API: checked by `tsc` in `npm test`. Each @ts-expect-error line
// must be an error; if wiring ever stops being type-checked, tsc reports the directive as unused.
import { z } from "zod";
import { pipeline, type TaskRef } from "weir";

export const typed = pipeline(
  { id: "typed", params: z.object({ threshold: z.number().default(0.6), name: z.string().optional() }) },
  (p) => {
    const rows = p.task("rows", async () => [{ id: 1, amount: 2.5 }]);
    const count = p.task("count", { needs: { rows } }, async (_ctx, { rows }) => rows.length);
    const label = p.task("label", async () => "hello");

    // Upstream outputs arrive with their types.
    p.task("ok", { needs: { rows, count } }, (ctx, { rows, count }) => {
      const total: number = rows.reduce((sum, r) => sum + r.amount, 0) + count;
      const threshold: number = ctx.params.threshold;
      const name: string | undefined = ctx.params.name;
      return { total, threshold, name };
    });

    // @ts-expect-error: `count` is a number, not a string.
    p.task("wrong_type", { needs: { count } }, (_ctx, inputs: { count: string }) => inputs.count);

    // @ts-expect-error: `label` is a string and has no `.amount`.
    p.task("wrong_field", { needs: { label } }, (_ctx, { label }) => label.amount);

    // @ts-expect-error: inputs only hold what `needs` names.
    p.task("missing_need", { needs: { rows } }, (_ctx, { count }) => count);

    // @ts-expect-error: unknown param.
    p.task("bad_param", (ctx) => ctx.params.thresold);

    // @ts-expect-error: a trigger rule must be one of the eleven names.
    p.task("bad_trigger", { trigger: "all_succeeded" }, () => 1);

    // @ts-expect-error: needs takes task references, not strings.
    p.task("string_need", { needs: { rows: "rows" } }, () => 1);

    // Mapping fans out over an array; downstream receives the array of results.
    const scored = p.task("score", { map: rows }, (_ctx, row) => row.amount * 2);
    const sum: TaskRef<number[]> = scored;
    p.task("sum", { needs: { sum } }, (_ctx, { sum }) => sum.reduce((a, b) => a + b, 0));

    // @ts-expect-error: map needs an array upstream.
    p.task("map_scalar", { map: count }, (_ctx, item) => item);

    // @ts-expect-error: mapped items have the element type.
    p.task("map_wrong", { map: rows }, (_ctx, item: string) => item);

    // Shell tasks order with `after` and output their last stdout line.
    const published: TaskRef<string> = p.shell("publish", { after: [count, label] }, "echo done");
    // @ts-expect-error: a shell task's output is a string.
    p.task("shell_wrong", { needs: { published } }, (_ctx, { published }) => published.toFixed());

    // @ts-expect-error: retries is a number.
    p.task("bad_retries", { retries: "3" }, () => 1);

    // Under a trigger rule other than all_success an upstream may not have succeeded: inputs may be undefined.
    p.task("cleanup", { needs: { rows }, trigger: "all_done" }, (_ctx, { rows }) => rows?.length ?? 0);
    // @ts-expect-error: under all_done, `rows` may be undefined.
    p.task("cleanup_unchecked", { needs: { rows }, trigger: "all_done" }, (_ctx, { rows }) => rows.length);
    // The default and an explicit all_success guarantee every input.
    p.task("strict", { needs: { rows }, trigger: "all_success" }, (_ctx, { rows }) => rows.length);

    // @ts-expect-error: a task reference can't be forged from a literal (wiring by string is not typed).
    const forged: TaskRef<number> = { kind: "task", id: "count" };
    void forged;
  },
);
