// Large outputs (docs/artifacts.md) with the real CLI, real workers and a real SQLite store: a 1 MB output is
// written to WEIR_HOME/artifacts (content-addressed, one file for identical outputs), the store keeps only a
// reference, the tasks downstream read it, and `weir artifacts prune` removes what only old runs reference.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { byTask, makeHome, type Home, type RunDocument } from "../cli/helpers.js";
import { withHomeStore } from "../mapping/helpers.js";
import { artifactsDir, LocalArtifactStore, parseArtifactRef } from "../../src/artifacts/index.js";
import { decodeValue } from "../../src/worker/value-codec.js";
import { relative } from "node:path";
import { ROOT } from "../cli/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "big.ts"));
const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});

async function run(home: Home, args: string[] = [], env: Record<string, string> = {}): Promise<RunDocument> {
  const result = await home.weir(["run", fixture, "-d", "2025-09-03", "--json", ...args], env);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  const doc = JSON.parse(result.stdout) as RunDocument;
  expect(doc.run.state).toBe("success");
  return doc;
}

/** The digests of the objects in the home's artifact store. */
function objects(home: Home): string[] {
  const root = join(home.dir, "artifacts", "sha256");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((shard) => readdirSync(join(root, shard)))
    .filter((name) => !name.startsWith("."))
    .sort();
}

async function storedOutput(home: Home, runId: string, taskId: string): Promise<string | undefined> {
  return withHomeStore(home.dir, async (store) => (await store.getOutputs(runId, [taskId])).get(taskId));
}

/** A task's output decoded, read from the artifact store when it is a reference. */
async function outputOf(home: string, runId: string, taskId: string): Promise<unknown> {
  const text = await withHomeStore(home, async (store) => (await store.getOutputs(runId, [taskId])).get(taskId));
  if (text === undefined) return undefined;
  const ref = parseArtifactRef(text);
  return decodeValue(ref === null ? text : (await new LocalArtifactStore(artifactsDir(home)).get(ref.digest)).toString("utf8"));
}

function ageRun(home: Home, runId: string, days: number): void {
  const db = new Database(join(home.dir, "weir.db"));
  try {
    db.prepare("UPDATE runs SET created_ms = ? WHERE id = ?").run(Date.now() - days * 86_400_000, runId);
  } finally {
    db.close();
  }
}

describe("large outputs", () => {
  it("go to the content-addressed artifact store; identical ones share one file; downstream reads them", async () => {
    const home = makeHome();
    homes.push(home);
    const doc = await run(home);
    expect([...byTask(doc).values()].every((t) => t.state === "success")).toBe(true);
    const refA = await storedOutput(home, doc.run.id, "big_a");
    const refB = await storedOutput(home, doc.run.id, "big_b");
    expect(refA).toMatch(/^@artifact:sha256:[0-9a-f]{64}:\d+$/);
    expect(refB).toBe(refA);
    expect(parseArtifactRef(refA as string)?.size).toBeGreaterThan(1_000_000);
    // Small values stay inline.
    expect(await storedOutput(home, doc.run.id, "small")).toBe("[42]");
    // One object for big_a and big_b, one for the array of parts (3 × 100 KB): two in all.
    expect(objects(home)).toHaveLength(2);
    expect(objects(home)).toContain(parseArtifactRef(refA as string)?.digest);
    expect(await outputOf(home.dir, doc.run.id, "measure")).toEqual({ length: 1_000_000, first: "x" });
    // A mapped task fans out over an array kept as an artifact, and its downstream collects the results.
    expect(await outputOf(home.dir, doc.run.id, "total")).toBe(300_000 + 1 + 2 + 3);
  });

  it("the threshold is configurable (WEIR_ARTIFACT_THRESHOLD): above it, even a small value is an artifact", async () => {
    const home = makeHome();
    homes.push(home);
    const doc = await run(home, [], { WEIR_ARTIFACT_THRESHOLD: "2" });
    expect(await storedOutput(home, doc.run.id, "small")).toMatch(/^@artifact:sha256:/);
    expect(await outputOf(home.dir, doc.run.id, "measure")).toEqual({ length: 1_000_000, first: "x" });
  });

  it("weir artifacts prune --older-than deletes artifacts referenced only by older runs", async () => {
    const home = makeHome();
    homes.push(home);
    const old = await run(home, ["--param", "fill=o"]);
    const shared = await run(home, ["--param", "fill=s"]);
    const recentShared = await run(home, ["--param", "fill=s"]);
    const oldDigest = parseArtifactRef((await storedOutput(home, old.run.id, "big_a")) as string)?.digest as string;
    const sharedDigest = parseArtifactRef((await storedOutput(home, shared.run.id, "big_a")) as string)?.digest as string;
    ageRun(home, old.run.id, 40);
    ageRun(home, shared.run.id, 40);
    const before = objects(home);
    expect(before).toContain(oldDigest);

    const dry = await home.weir(["artifacts", "prune", "--older-than", "30d", "--dry-run", "--json"]);
    expect(JSON.parse(dry.stdout)).toMatchObject({ deleted: 1, dryRun: true });
    expect(objects(home)).toEqual(before);

    const pruned = await home.weir(["artifacts", "prune", "--older-than", "30d"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toContain("deleted 1 artifact");
    // The old run's object is gone; the one a recent run still references stays (and the parts array, shared by all).
    expect(objects(home)).not.toContain(oldDigest);
    expect(objects(home)).toContain(sharedDigest);
    expect(objects(home)).toHaveLength(before.length - 1);
    expect(recentShared.run.state).toBe("success");

    const bad = await home.weir(["artifacts", "prune", "--older-than", "soon"]);
    expect(bad.code).toBe(2);
  });
});
