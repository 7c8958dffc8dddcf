// A broken or invalid config is bad input: one line naming the file and the field, exit 2, and nothing
// written (no store, no compiled module left behind). Secrets in a bad notifier are not echoed.
import { describe, expect, it } from "vitest";
import { configTs, makeProject } from "./helpers.js";

interface Case {
  name: string;
  file: string;
  text: string;
  args?: string[];
  env?: Record<string, string>;
  error: RegExp;
}

const cases: Case[] = [
  { name: "a duration that isn't one", file: "weir.config.ts", text: configTs(`{ killGrace: "soon" }`), error: /^weir: weir\.config\.ts: killGrace: not a duration/ },
  { name: "a string where a number goes", file: "weir.config.ts", text: configTs(`{ port: "8080" as unknown as number }`), error: /^weir: weir\.config\.ts: port: .*expected number/ },
  { name: "a number out of range", file: "weir.config.ts", text: configTs(`{ localWorkers: { missedHeartbeats: -1 } }`), error: /^weir: weir\.config\.ts: localWorkers\.missedHeartbeats: must be a whole number from 0/ },
  { name: "too few missed heartbeats", file: "weir.config.ts", text: configTs(`{ localWorkers: { missedHeartbeats: 2 } }`), error: /^weir: weir\.config\.ts: localWorkers\.missedHeartbeats: must be 0 \(never\) or at least 3/ },
  { name: "a heartbeat longer than a timer takes", file: "weir.config.ts", text: configTs(`{ localWorkers: { heartbeat: "30d" } }`), error: /^weir: weir\.config\.ts: localWorkers\.heartbeat: must be from 1ms to 2147483647ms/ },
  { name: "too few missed heartbeats in the environment", file: "weir.config.ts", text: configTs(`{}`), env: { WEIR_LOCAL_MISSED_HEARTBEATS: "1" }, error: /^weir: WEIR_LOCAL_MISSED_HEARTBEATS must be 0 \(never\) or at least 3/ },
  { name: "a scheduler lease under a second", file: "weir.config.ts", text: configTs(`{ schedulerLease: "500ms" }`), error: /^weir: weir\.config\.ts: schedulerLease: must be from 1s/ },
  { name: "no worker processes", file: "weir.config.ts", text: configTs(`{ localWorkers: { processes: 0 } }`), error: /^weir: weir\.config\.ts: localWorkers\.processes: must be a whole number from 1 to 1024/ },
  { name: "a fractional worker concurrency", file: "weir.config.ts", text: configTs(`{ distributedWorkers: { concurrency: 1.5 } }`), error: /^weir: weir\.config\.ts: distributedWorkers\.concurrency: must be a whole number from 1 to 1024/ },
  { name: "a bad worker count in the environment", file: "weir.config.ts", text: configTs(`{}`), env: { WEIR_LOCAL_WORKERS: "many" }, error: /^weir: WEIR_LOCAL_WORKERS must be a whole number ≥ 1, got "many"/ },
  { name: "an unknown setting", file: "weir.config.ts", text: `export default { homeDir: ".weir" };\n`, error: /^weir: weir\.config\.ts: unknown setting "homeDir"/ },
  { name: "an unknown nested key", file: "weir.config.ts", text: `export default { localWorkers: { heartbeatMs: 10 } };\n`, error: /^weir: weir\.config\.ts: localWorkers: unknown key "heartbeatMs"/ },
  { name: "a function where data goes", file: "weir.config.mjs", text: `export default { home: () => ".weir" };\n`, error: /^weir: weir\.config\.mjs: home: .*expected string, received function/ },
  {
    name: "a bad notifier, without echoing its secret",
    file: "weir.config.ts",
    text: configTs(`{ notifiers: { ops: { type: "webhook", url: "ftp://user:hunter2@example.com/hook" } } }`),
    error: /^weir: weir\.config\.ts: notifiers\.ops: url must be http:\/\/ or https:\/\//,
  },
  { name: "a notifier of an unknown type", file: "weir.config.ts", text: `export default { notifiers: { ops: { type: "pager" } } };\n`, error: /^weir: weir\.config\.ts: notifiers\.ops: type must be "webhook", "slack" or "email"/ },
  { name: "a syntax error", file: "weir.config.ts", text: `export default { home: ".weir",\n`, error: /^weir: weir\.config\.ts:2:\d+: / },
  { name: "a throw while loading", file: "weir.config.ts", text: `throw new Error("no vault today");\nexport default {};\n`, error: /^weir: weir\.config\.ts: failed to load: no vault today/ },
  { name: "no default export", file: "weir.config.ts", text: `export const config = { home: ".weir" };\n`, error: /^weir: weir\.config\.ts: needs `export default defineConfig/ },
  { name: "a function as the default export", file: "weir.config.mjs", text: `export default () => ({ home: ".weir" });\n`, error: /^weir: weir\.config\.mjs: the default export is a function/ },
  { name: "a --config file that doesn't exist", file: "weir.config.ts", text: configTs(`{}`), args: ["--config", "missing.ts"], error: /^weir: missing\.ts: no such config file \(given by --config\)/ },
  { name: "a WEIR_CONFIG file that doesn't exist", file: "weir.config.ts", text: configTs(`{}`), env: { WEIR_CONFIG: "gone.mjs" }, error: /^weir: gone\.mjs: no such config file \(given by WEIR_CONFIG\)/ },
  { name: "a bad heartbeat setting in the environment", file: "weir.config.ts", text: configTs(`{}`), env: { WEIR_LOCAL_HEARTBEAT_MS: "often" }, error: /^weir: WEIR_LOCAL_HEARTBEAT_MS must be a whole number of milliseconds ≥ 1, got "often"/ },
];

describe("bad config", () => {
  it.each(cases)("refuses $name with one line, exit 2, and writes nothing", async (c) => {
    const p = makeProject();
    try {
      p.write(c.file, c.text);
      const before = p.listing();
      const result = await p.weir([...(c.args ?? []), "db", "migrate"], c.env);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(c.error);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).not.toContain("hunter2");
      expect(result.stdout).toBe("");
      expect(p.listing()).toEqual(before);
    } finally {
      p.remove();
    }
  }, 30_000);

  it("still answers --help with a broken config in the directory", async () => {
    const p = makeProject();
    try {
      p.write("weir.config.ts", `export default {`);
      const result = await p.weir(["--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/--config <path>/);
    } finally {
      p.remove();
    }
  });
});
