// A notifier configured only in weir.config.ts fires against a real local HTTP server, with a secret the
// config read from the environment; WEIR_NOTIFIER_<NAME> overrides a name the file also defines.
import { afterEach, describe, expect, it } from "vitest";
import { startHttpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { configTs, makeProject, type Project } from "./helpers.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function receiver(): Promise<HttpReceiver> {
  const server = await startHttpReceiver(() => ({ status: 204 }));
  cleanup.push(() => server.close());
  return server;
}

function project(): Project {
  const p = makeProject();
  cleanup.push(() => p.remove());
  p.write(
    "pipeline.ts",
    `import { pipeline } from "weir";

export default pipeline({ id: "configured_alerts", schedule: null, onFailure: ["ops", "audit"] }, (p) => {
  p.task("load", { onFailure: ["ops"] }, async () => {
    throw new Error("warehouse unreachable");
  });
});
`,
  );
  return p;
}

const events = (server: HttpReceiver): string[] => server.requests.map((r) => String((JSON.parse(r.body) as { event: string }).event)).sort();

describe("notifiers in weir.config.ts", () => {
  it("delivers a failure to a webhook configured only in the config file", async () => {
    const hook = await receiver();
    const p = project();
    p.write(
      "weir.config.ts",
      configTs(`{
  notifiers: {
    ops: { type: "webhook", url: ${JSON.stringify(`${hook.url}/hooks/weir`)}, headers: { "X-Token": process.env.HOOK_TOKEN ?? "" } },
    audit: ${JSON.stringify(`webhook:${hook.url}/audit`)},
  },
}`),
    );
    const result = await p.weir(["run", "pipeline.ts"], { HOOK_TOKEN: "s3cret" });
    expect(result.code, result.stderr).toBe(1);
    expect(events(hook)).toEqual(["run_failed", "run_failed", "task_failed"]);
    const taskFailed = hook.requests.find((r) => r.body.includes('"task_failed"'));
    expect(taskFailed?.path).toBe("/hooks/weir");
    expect(taskFailed?.headers["x-token"]).toBe("s3cret");
    expect(JSON.parse(taskFailed?.body ?? "{}")).toMatchObject({ pipeline: "configured_alerts", task: "load", error: { message: "warehouse unreachable" } });
    expect(hook.requests.filter((r) => r.path === "/audit")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/no notifier/);
  }, 60_000);

  it("lets WEIR_NOTIFIER_<NAME> override a notifier of the file, keeping the file's others", async () => {
    const fromFile = await receiver();
    const fromEnv = await receiver();
    const p = project();
    p.write("weir.config.ts", configTs(`{ notifiers: { ops: ${JSON.stringify(`webhook:${fromFile.url}/ops`)}, audit: ${JSON.stringify(`webhook:${fromFile.url}/audit`)} } }`));
    const result = await p.weir(["run", "pipeline.ts"], { WEIR_NOTIFIER_OPS: `webhook:${fromEnv.url}/ops` });
    expect(result.code, result.stderr).toBe(1);
    expect(events(fromEnv)).toEqual(["run_failed", "task_failed"]);
    expect(fromFile.requests.map((r) => r.path)).toEqual(["/audit"]);
  }, 60_000);
});
