// The file → environment mapping and the --config flag, in process: real files, no CLI child.
import { describe, expect, it } from "vitest";
import { applyConfig, configAsEnv } from "../../src/config/apply-config.js";
import { configFlag, withoutConfigFlag } from "../../src/config/index.js";
import { loadConfigFile } from "../../src/config/load-config-file.js";
import { configTs, makeProject } from "./helpers.js";

describe("config as environment", () => {
  it("resolves paths against the file's directory and writes durations in ms", async () => {
    const p = makeProject();
    try {
      const file = p.write(
        "conf/weir.config.ts",
        configTs(
          `{ home: "state", databaseUrl: "db/weir.db", killGrace: 2500, schedulerLease: "30s", localWorkers: { processes: 3, heartbeat: "2s", missedHeartbeats: 0 }, distributedWorkers: { heartbeat: "1s", concurrency: 6 }, autoMigrate: false, executor: "store" }`,
        ),
      );
      const config = await loadConfigFile(file, p.dir);
      expect(configAsEnv(config)).toEqual({
        WEIR_HOME: `${p.dir}/conf/state`,
        WEIR_DATABASE_URL: `${p.dir}/conf/db/weir.db`,
        WEIR_KILL_GRACE: "2500ms",
        WEIR_SCHEDULER_LEASE: "30000ms",
        WEIR_LOCAL_WORKERS: "3",
        WEIR_WORKER_CONCURRENCY: "6",
        WEIR_LOCAL_HEARTBEAT_MS: "2000",
        WEIR_LOCAL_MISSED_HEARTBEATS: "0",
        WEIR_WORKER_HEARTBEAT_MS: "1000",
        WEIR_AUTO_MIGRATE: "0",
        WEIR_EXECUTOR: "store",
      });

      // A set variable wins; an empty one counts as unset; the file is remembered for child processes.
      const env: NodeJS.ProcessEnv = { WEIR_HOME: "/elsewhere", WEIR_EXECUTOR: " " };
      applyConfig(config, env);
      expect(env.WEIR_HOME).toBe("/elsewhere");
      expect(env.WEIR_EXECUTOR).toBe("store");
      expect(env.WEIR_CONFIG).toBe(file);

      const urls = await loadConfigFile(p.write("urls.mjs", `export default { databaseUrl: "postgres://u@db:5432/weir" };\n`), p.dir);
      expect(configAsEnv(urls)).toEqual({ WEIR_DATABASE_URL: "postgres://u@db:5432/weir" });
    } finally {
      p.remove();
    }
  });
});

describe("--config", () => {
  it("is found anywhere before --, in both spellings, and stripped for the command parser", () => {
    expect(configFlag(["run", "x.ts", "--config", "a.ts"])).toBe("a.ts");
    expect(configFlag(["--config=b.mjs", "runs", "p"])).toBe("b.mjs");
    expect(configFlag(["run", "--", "--config", "c.ts"])).toBeUndefined();
    expect(withoutConfigFlag(["--config", "a.ts", "run", "x.ts", "-p", "k=v"])).toEqual(["run", "x.ts", "-p", "k=v"]);
    expect(withoutConfigFlag(["run", "--config=a.ts", "--", "--config", "z"])).toEqual(["run", "--", "--config", "z"]);
  });
});
