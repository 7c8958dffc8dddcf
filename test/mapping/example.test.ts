// examples/daily_training.ts, run exactly as its header tells a user: the fan-out over segments, the
// branch that registers winners or skips registration, the data check that fails the run, the retries.
import { afterAll, describe, expect, it } from "vitest";
import { makeHome, type Home, type RunDocument } from "../cli/helpers.js";
import { outputOf } from "./helpers.js";

const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});

async function run(args: string[]): Promise<{ code: number | null; doc: RunDocument; home: Home }> {
  const home = makeHome();
  homes.push(home);
  const result = await home.weir(["run", "examples/daily_training.ts", "--logical-date", "2025-09-03", "--json", ...args]);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  return { code: result.code, doc: JSON.parse(result.stdout) as RunDocument, home };
}

const instances = (doc: RunDocument, id: string) => doc.tasks.filter((t) => t.id === id);
const state = (doc: RunDocument, id: string) => doc.tasks.find((t) => t.id === id && t.mapIndex === -1)?.state;

describe("examples/daily_training.ts", () => {
  it("trains and evaluates one model per segment and registers the winners", async () => {
    const { code, doc, home } = await run([]);
    expect(code).toBe(0);
    expect(doc.run).toMatchObject({ pipeline: "daily_training", state: "success", logicalDate: "2025-09-03T00:00:00.000Z" });
    expect(instances(doc, "train").map((t) => [t.mapIndex, t.state])).toEqual([[0, "success"], [1, "success"], [2, "success"], [3, "success"]]);
    expect(instances(doc, "evaluate").map((t) => t.state)).toEqual(["success", "success", "success", "success"]);
    expect([state(doc, "register"), state(doc, "no_winner"), state(doc, "report")]).toEqual(["success", "skipped", "success"]);
    const winners = (await outputOf(home.dir, doc.run.id, "winners")) as { segment: string; auc: number }[];
    expect(winners.length).toBeGreaterThan(0);
    expect(await outputOf(home.dir, doc.run.id, "report")).toEqual({ registered: winners.map((w) => w.segment) });
  });

  it("with no winner, skips registration and still succeeds", async () => {
    const { code, doc } = await run(["--param", "threshold=0.99"]);
    expect(code).toBe(0);
    expect([state(doc, "register"), state(doc, "no_winner"), state(doc, "report"), doc.run.state]).toEqual(["skipped", "success", "success", "success"]);
  });

  it("an empty feature table fails the run at validate, at once and without retries", async () => {
    const { code, doc } = await run(["--param", "rows=0"]);
    expect(code).toBe(1);
    expect(doc.run.state).toBe("failed");
    expect(doc.tasks.find((t) => t.id === "validate")).toMatchObject({ state: "failed", tries: 1 });
    expect(state(doc, "train")).toBe("upstream_failed");
  });

  it("retries a training task that failed (exponential backoff with jitter) and succeeds", async () => {
    const { code, doc } = await run(["--param", "flaky=true"]);
    expect(code).toBe(0);
    expect(instances(doc, "train").map((t) => t.tries)).toEqual([2, 2, 2, 2]);
  });
});
