// Type-level tests of mapping and branching (checked by `tsc`): each @ts-expect-error line must be an error.
import { pipeline, type BranchChoice, type TaskRef } from "weir";

export const typedMapping = pipeline({ id: "typed_mapping" }, (p) => {
  const segments = p.task("segments", async () => ["eu", "us"]);
  const sizes = p.task("sizes", async () => [1, 2]);
  const factor = p.task("factor", async () => 3);

  // One array: the item has the element type; constants come through `needs` beside it.
  const train = p.task("train", { map: segments, needs: { factor }, maxParallel: 2 }, (ctx, segment, { factor }) => {
    const s: string = segment;
    const i: number = ctx.mapIndex;
    return { segment: s, score: factor * i };
  });
  // Downstream of a mapped task receives the array of its results.
  const trained: TaskRef<{ segment: string; score: number }[]> = train;
  p.task("best", { needs: { trained } }, (_ctx, { trained }) => trained.map((m) => m.score));

  // Mapped over a mapped task (instance i after instance i): the item is one result.
  const evaluated = p.task("evaluate", { map: train }, (_ctx, model) => model.score > 1);
  const flags: TaskRef<boolean[]> = evaluated;
  void flags;

  // Several arrays, zipped or crossed: the item is { name: element }.
  const zipped = p.task("zipped", { map: { segment: segments, size: sizes } }, (_ctx, { segment, size }) => `${segment.toUpperCase()}${size.toFixed(0)}`);
  const zippedOut: TaskRef<string[]> = zipped;
  void zippedOut;
  p.task("crossed", { map: { segment: segments, size: sizes }, mapMode: "product" }, (_ctx, item) => item.size + item.segment.length);

  // @ts-expect-error: every source of a zip must be an array.
  p.task("zip_scalar", { map: { segment: segments, factor } }, (_ctx, item) => item);
  // @ts-expect-error: zipped elements keep their types (size is a number).
  p.task("zip_wrong", { map: { segment: segments, size: sizes } }, (_ctx, { size }) => size.toUpperCase());
  // @ts-expect-error: mapMode is "zip" or "product".
  p.task("zip_mode", { map: { segment: segments, size: sizes }, mapMode: "cross" }, (_ctx, item) => item);
  // @ts-expect-error: a mapped task's result array has its element type, not the item's.
  p.task("evaluate_wrong", { map: train }, (_ctx, model: string) => model);

  // Branches return task references only.
  const pick = p.branch("pick", { needs: { factor } }, (_ctx, { factor }): BranchChoice => (factor > 2 ? ship : [hold, ship]));
  const ship = p.task("ship", { after: [pick] }, () => 1);
  const hold = p.task("hold", { after: [pick] }, () => 2);
  const chosen: TaskRef<string[]> = pick;
  void chosen;
  // @ts-expect-error: a branch names task references, not ids.
  p.branch("pick_string", () => "ship");
  // @ts-expect-error: a short-circuit returns a boolean.
  p.shortCircuit("gate_string", () => "yes");
  // @ts-expect-error: a branch can't be mapped (docs/mapping.md): branch on the mapped results instead.
  p.branch("mapped_pick", { map: pick }, (): BranchChoice => ship);
  // @ts-expect-error: nor can a short-circuit.
  p.shortCircuit("mapped_gate", { map: pick }, () => true);
  const gate: TaskRef<boolean> = p.shortCircuit("gate", (ctx) => ctx.logicalDate.getUTCDay() !== 0);
  void gate;
});
