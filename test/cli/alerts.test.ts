// Alerts as a user sets them up: a notifier configured by name in the environment, referenced from
// tasks and the pipeline; a real local HTTP server receives the webhooks. A missing notifier is logged
// and never fails the run more than it already failed.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, type Home } from "./helpers.js";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
});

async function receiver(): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d));
    req.on("end", () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

describe("alerts", () => {
  it("sends task retry, task failure, task success and run failure to a webhook, after committing them", async () => {
    const h: Home = makeHome();
    cleanup.push(() => h.remove());
    const hook = await receiver();
    const result = await h.weir(["run", fixture("alerts.ts")], { WEIR_NOTIFIER_OPS: `webhook:${hook.url}` });
    expect(result.code, result.stderr).toBe(1);
    const events = hook.bodies.map((b) => `${String(b.event)}:${String(b.task ?? "-")}`).sort();
    expect(events).toEqual(["run_failed:-", "task_failed:flaky", "task_retry:flaky", "task_success:fine"]);
    const failed = hook.bodies.find((b) => b.event === "task_failed") as { error: { message: string }; pipeline: string; run: string };
    expect(failed.pipeline).toBe("alerting");
    expect(failed.error.message).toMatch(/warehouse unreachable/);
    // The notifier nobody configured is reported, once, without failing anything else.
    expect(result.stderr).toMatch(/no notifier "missing" is configured/);
  }, 30_000);

  it("delivers alerts committed before a crash when the run is resumed (at least once)", async () => {
    const h: Home = makeHome();
    cleanup.push(() => h.remove());
    const hook = await receiver();
    const env = { WEIR_NOTIFIER_OPS: `webhook:${hook.url}` };
    // The second commit records the failure and the run's end, with their alerts; the process dies before delivering.
    const crashed = await h.weir(["run", fixture("alert_once.ts")], { ...env, WEIR_TEST_CRASH_AT: "after_commit:2" });
    expect(crashed.signal).toBe("SIGKILL");
    expect(hook.bodies).toHaveLength(0);
    const runId = /run (manual_\S+) of alert_once/.exec(crashed.stderr)?.[1] as string;
    const resumed = await h.weir(["run", "--resume", runId], env);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(hook.bodies.map((b) => String(b.event)).sort()).toEqual(["run_failed", "task_failed"]);
  }, 30_000);

  it("rejects a bad notifier setting as bad input", async () => {
    const h: Home = makeHome();
    cleanup.push(() => h.remove());
    const result = await h.weir(["run", fixture("alerts.ts")], { WEIR_NOTIFIER_OPS: "carrier-pigeon:somewhere" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  }, 30_000);
});
