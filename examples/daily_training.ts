// The canonical daily training DAG: build features for the day → validate them (an empty feature table fails
// the run) → train one model per customer segment (fan-out at run time, retries 3 with exponential backoff and
// jitter) → evaluate each model → register the winners, or skip registration when there are none (a branch:
// the run still succeeds). Try:
//   npx weir run examples/daily_training.ts --logical-date 2025-09-03
//   npx weir run examples/daily_training.ts --logical-date 2025-09-03 --param threshold=0.99   # no winner
//   npx weir run examples/daily_training.ts --logical-date 2025-09-03 --param rows=0          # fails at validate
//   npx weir run examples/daily_training.ts --logical-date 2025-09-03 --no-cache              # features rebuilt
import { z } from "zod";
import { FailWithoutRetry, pipeline, type BranchChoice } from "weir";

interface FeatureTable {
  date: string;
  rows: number;
  segments: string[];
}

interface Model {
  segment: string;
  weights: [number, number];
  trainedOnTry: number;
}

interface Evaluated {
  segment: string;
  auc: number;
}

/** A small deterministic generator: the same date and segment always give the same data. */
function seeded(text: string): () => number {
  let s = 7;
  for (const c of text) s = (s * 31 + c.charCodeAt(0)) % 2_147_483_647;
  return () => (s = (s * 16_807) % 2_147_483_647) / 2_147_483_647;
}

function samples(segment: string, date: string, n: number): { x: [number, number]; y: 0 | 1 }[] {
  const rand = seeded(`${segment}/${date}`);
  const tilt = segment.length % 3; // some segments are easier to learn than others
  return Array.from({ length: n }, () => {
    const x: [number, number] = [rand() * 4 - 2, rand() * 4 - 2];
    const noise = (rand() - 0.5) * (1 + tilt * 2);
    return { x, y: x[0] + 0.5 * x[1] + noise > 0 ? 1 : 0 };
  });
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export default pipeline(
  {
    id: "daily_training",
    description: "Features → validate → train per segment → evaluate → register the winners",
    schedule: "@daily",
    start: "2025-09-01",
    catchup: false,
    tags: ["demo", "ml"],
    params: z.object({
      threshold: z.number().min(0).max(1).default(0.8),
      rows: z.number().int().min(0).default(400),
      /** Make every training task fail its first try (to see the retries at work). */
      flaky: z.boolean().default(false),
    }),
  },
  (p) => {
    // Cached by input hash (code, params, data interval): a rerun of the same date reuses it without running it.
    const features = p.task("features", { cache: true }, async (ctx): Promise<FeatureTable> => {
      const date = ctx.logicalDate.toISOString().slice(0, 10);
      ctx.log.info("building features", { date, rows: ctx.params.rows });
      return { date, rows: ctx.params.rows, segments: ctx.params.rows === 0 ? [] : ["enterprise", "smb", "consumer", "public_sector"] };
    });

    const validate = p.task("validate", { needs: { features } }, async (_ctx, { features }) => {
      // A data check: retrying won't fill an empty table, so fail at once and fail the run.
      if (features.rows === 0) throw new FailWithoutRetry(`the feature table for ${features.date} is empty`);
      return features.segments;
    });

    const train = p.task(
      "train",
      { map: validate, needs: { features }, retries: 3, retryDelay: "1s", backoff: "exponential", maxRetryDelay: "30s", maxParallel: 4 },
      async (ctx, segment, { features }): Promise<Model> => {
        if (ctx.params.flaky && ctx.tryNumber === 1) throw new Error(`the GPU for ${segment} went away`);
        const data = samples(segment, features.date, features.rows);
        let w: [number, number] = [0, 0];
        for (let epoch = 0; epoch < 50; epoch++) {
          for (const { x, y } of data) {
            const err = sigmoid(w[0] * x[0] + w[1] * x[1]) - y;
            w = [w[0] - 0.05 * err * x[0], w[1] - 0.05 * err * x[1]];
          }
        }
        ctx.log.info("trained", { segment, weights: w });
        return { segment, weights: w, trainedOnTry: ctx.tryNumber };
      },
    );

    // Mapped over a mapped task: evaluate[i] runs as soon as train[i] succeeded.
    const evaluate = p.task("evaluate", { map: train, needs: { features } }, async (_ctx, model, { features }): Promise<Evaluated> => {
      const holdout = samples(model.segment, `${features.date}/holdout`, 200);
      const correct = holdout.filter(({ x, y }) => (sigmoid(model.weights[0] * x[0] + model.weights[1] * x[1]) > 0.5 ? 1 : 0) === y).length;
      return { segment: model.segment, auc: correct / holdout.length };
    });

    // evaluate is Evaluated[]: the results of every instance, in map-index order.
    const winners = p.task("winners", { needs: { evaluate } }, async (ctx, { evaluate }) => evaluate.filter((e) => e.auc >= ctx.params.threshold));

    // The return type is spelled out: the function names tasks declared after it (TypeScript needs the hint).
    const decide = p.branch("decide", { needs: { winners } }, (_ctx, { winners }): BranchChoice => (winners.length > 0 ? register : noWinner));
    const register = p.task("register", { after: [decide], needs: { winners } }, async (ctx, { winners }) => {
      for (const w of winners) ctx.log.info("registered", { segment: w.segment, auc: w.auc });
      return winners.map((w) => w.segment);
    });
    const noWinner = p.task("no_winner", { after: [decide] }, async (ctx) => {
      ctx.log.warn("no model reached the threshold: nothing registered", { threshold: ctx.params.threshold });
      return [] as string[];
    });
    // After a branch exactly one side ran and the other was skipped: this trigger rule runs the join anyway.
    p.task("report", { needs: { register, noWinner }, trigger: "none_failed_min_one_success" }, async (_ctx, { register, noWinner }) => ({
      registered: register ?? noWinner ?? [],
    }));
  },
);
