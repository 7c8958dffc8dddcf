// `weir validate` on a pipeline `deadline`: a good one is accepted, each bad one is reported with its file
// and pipeline (exit 2).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHome, makeTempDir, type Home } from "./helpers.js";

const file = (id: string, deadline: string): string => `import { pipeline } from "weir";
export default pipeline({ id: "${id}", schedule: "@daily", deadline: ${deadline} as never }, (p) => { p.task("a", async () => 1); });
`;

describe("weir validate: pipeline deadline", () => {
  const temp = makeTempDir();
  let h: Home;
  beforeAll(() => {
    h = makeHome();
    temp.write("good/ok.ts", file("ok", `{ after: "2h", notify: ["oncall"] }`));
    temp.write("bad/duration.ts", file("bad_duration", `{ after: "2 hours", notify: ["oncall"] }`));
    temp.write("bad/zero.ts", file("bad_zero", `{ after: 0, notify: ["oncall"] }`));
    temp.write("bad/notify.ts", file("bad_notify", `{ after: "2h", notify: [] }`));
    temp.write("bad/shape.ts", file("bad_shape", `"2h"`));
  });
  afterAll(() => {
    temp.remove();
    h.remove();
  });

  it("accepts a deadline with a duration and notifier names", async () => {
    const result = await h.weir(["validate", `${temp.rel}/good`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("ok  ");
  });

  it("reports each bad deadline with its file and pipeline, exit 2", async () => {
    const result = await h.weir(["validate", `${temp.rel}/bad`]);
    expect(result.code, result.stderr).toBe(2);
    const problems = result.stderr.split("\n").filter((l) => l.startsWith("✖ "));
    const expected: RegExp[] = [
      /^✖ \S*duration\.ts \(pipeline bad_duration\): deadline: .*"2 hours" is not a duration/,
      /^✖ \S*zero\.ts \(pipeline bad_zero\): deadline: "after" must be longer than 0/,
      /^✖ \S*notify\.ts \(pipeline bad_notify\): deadline: "notify" must be a non-empty list of notifier names/,
      /^✖ \S*shape\.ts \(pipeline bad_shape\): deadline: must be \{ after: "2h", notify: \["name"\] \}/,
    ];
    for (const pattern of expected) expect(problems.filter((l) => pattern.test(l)), `${pattern}\n${result.stderr}`).toHaveLength(1);
    expect(problems).toHaveLength(expected.length);
  });
});
