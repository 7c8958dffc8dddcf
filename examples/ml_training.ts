// Train → evaluate: fits a small logistic regression on synthetic data and fails the run when its
// accuracy is below the `threshold` param. Try: npx weir run examples/ml_training.ts --param threshold=0.99
import { z } from "zod";
import { pipeline } from "weir";

interface Sample {
  x: [number, number];
  y: 0 | 1;
}

function syntheticData(n: number, seed: number): Sample[] {
  let s = seed;
  const rand = (): number => (s = (s * 16_807) % 2_147_483_647) / 2_147_483_647;
  return Array.from({ length: n }, () => {
    const x: [number, number] = [rand() * 4 - 2, rand() * 4 - 2];
    const noisy = x[0] + 0.5 * x[1] + (rand() - 0.5) * 1.2;
    return { x, y: noisy > 0 ? 1 : 0 };
  });
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export default pipeline(
  {
    id: "ml_training",
    description: "Train a classifier and gate it on accuracy",
    schedule: null,
    tags: ["demo", "ml"],
    params: z.object({
      threshold: z.number().min(0).max(1).default(0.6),
      epochs: z.number().int().positive().default(200),
    }),
    defaults: { retries: 1, retryDelay: "1s" },
  },
  (p) => {
    const train = p.task("train", async (ctx) => {
      const data = syntheticData(600, 42);
      const w = [0, 0];
      let b = 0;
      for (let epoch = 0; epoch < ctx.params.epochs; epoch++) {
        if (ctx.signal.aborted) throw new Error("training aborted");
        const grad = [0, 0];
        let gradB = 0;
        for (const { x, y } of data) {
          const err = sigmoid((w[0] ?? 0) * x[0] + (w[1] ?? 0) * x[1] + b) - y;
          grad[0] = (grad[0] ?? 0) + err * x[0];
          grad[1] = (grad[1] ?? 0) + err * x[1];
          gradB += err;
        }
        w[0] = (w[0] ?? 0) - (0.5 * (grad[0] ?? 0)) / data.length;
        w[1] = (w[1] ?? 0) - (0.5 * (grad[1] ?? 0)) / data.length;
        b -= (0.5 * gradB) / data.length;
      }
      ctx.log.info("trained", { weights: w, bias: b, epochs: ctx.params.epochs });
      return { weights: w, bias: b };
    });

    p.task("evaluate", { needs: { train } }, async (ctx, { train }) => {
      const test = syntheticData(400, 7);
      const correct = test.filter(({ x, y }) => {
        const p1 = sigmoid((train.weights[0] ?? 0) * x[0] + (train.weights[1] ?? 0) * x[1] + train.bias);
        return (p1 >= 0.5 ? 1 : 0) === y;
      }).length;
      const accuracy = correct / test.length;
      ctx.log.info("evaluated", { accuracy, threshold: ctx.params.threshold });
      if (accuracy < ctx.params.threshold) {
        throw new Error(`accuracy ${accuracy.toFixed(3)} is below the threshold ${ctx.params.threshold}`);
      }
      return { accuracy };
    });
  },
);
