// The shell operator: runs a task's command through /bin/sh in its own process group, so an abort
// (timeout, cancel) stops the command and everything it started. Params and run facts reach the
// command only as WEIR_* environment variables, never spliced into the command text (DESIGN.md §7).
import { spawn } from "node:child_process";

export interface ShellRun {
  command: string;
  cwd: string;
  /** The task's own `env` option. */
  env?: Record<string, string> | undefined;
  runId: string;
  pipelineId: string;
  taskId: string;
  mapIndex: number;
  logicalDate: Date;
  interval: { start: Date; end: Date };
  tryNumber: number;
  params: Record<string, unknown>;
  signal: AbortSignal;
  /** How long after SIGTERM the process group gets SIGKILL. */
  killGraceMs?: number;
  /** Receives stdout/stderr as they come (whole or partial lines). */
  onOutput: (stream: "out" | "err", text: string) => void;
}

/** Process groups of the commands running in this process: killed if the worker must die at once. */
const runningGroups = new Set<number>();

/** Kills every running command's process group (the worker lost its parent). */
export function killRunningShells(): void {
  for (const pid of runningGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  runningGroups.clear();
}

export type ShellOutcome =
  | { ok: true; output: string }
  /** `aborted`: the command was stopped because `signal` fired. */
  | { ok: false; name: string; message: string; aborted: boolean };

/** `WEIR_PARAM_<NAME>`: upper-cased, anything but letters and digits becomes `_`. */
export function paramEnvName(name: string): string {
  return `WEIR_PARAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The WEIR_* variables of a try. */
function weirEnv(run: Omit<ShellRun, "command" | "cwd" | "env" | "signal" | "onOutput" | "killGraceMs">): Record<string, string> {
  const env: Record<string, string> = {
    WEIR_RUN_ID: run.runId,
    WEIR_PIPELINE_ID: run.pipelineId,
    WEIR_TASK_ID: run.taskId,
    WEIR_MAP_INDEX: String(run.mapIndex),
    WEIR_LOGICAL_DATE: run.logicalDate.toISOString(),
    WEIR_INTERVAL_START: run.interval.start.toISOString(),
    WEIR_INTERVAL_END: run.interval.end.toISOString(),
    WEIR_TRY_NUMBER: String(run.tryNumber),
  };
  for (const [name, value] of Object.entries(run.params)) {
    const text = paramEnvValue(value);
    if (text !== undefined) env[paramEnvName(name)] = text;
  }
  return env;
}

/** A param as its variable's text: a string as it is, a Date as ISO, a bigint in digits, anything else as JSON. */
function paramEnvValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return undefined; // a cycle: nothing sensible to pass
  }
}

/** Runs the command; resolves when it has exited and its output is drained. Never rejects. */
export function runShell(run: ShellRun): Promise<ShellOutcome> {
  return new Promise((resolve) => {
    if (run.signal.aborted) {
      resolve({ ok: false, name: "ShellCommandAbortedError", message: "command not started: the try was aborted", aborted: true });
      return;
    }
    const child = spawn("/bin/sh", ["-c", run.command], {
      cwd: run.cwd,
      env: { ...process.env, ...run.env, ...weirEnv(run) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });

    const pid = child.pid;
    if (pid !== undefined) runningGroups.add(pid);

    let lastOut = "";
    let lastErr = "";
    const tails = { out: "", err: "" };
    const track = (stream: "out" | "err", text: string): void => {
      const all = tails[stream] + text;
      const lines = all.split("\n");
      tails[stream] = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        if (stream === "out") lastOut = line.replace(/\r$/, "");
        else lastErr = line.replace(/\r$/, "");
      }
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      track("out", text);
      run.onOutput("out", text);
    });
    child.stderr.on("data", (text: string) => {
      track("err", text);
      run.onOutput("err", text);
    });

    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      aborted = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), run.killGraceMs ?? 2000);
    };
    run.signal.addEventListener("abort", onAbort, { once: true });

    let spawnError: Error | null = null;
    child.on("error", (error) => {
      spawnError = error;
      if (child.pid === undefined) {
        run.signal.removeEventListener("abort", onAbort);
        resolve({ ok: false, name: "ShellCommandFailedError", message: `command could not start: ${error.message}`, aborted });
      }
    });
    // The shell is gone: whatever it left running in its group goes too (its output already in the
    // pipes is still read). A process that escaped the group (setsid) and holds the pipes open
    // doesn't hold the try: after a short drain the streams are dropped.
    let drainTimer: NodeJS.Timeout | undefined;
    child.on("exit", () => {
      killGroup("SIGKILL");
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2000);
      drainTimer.unref();
    });
    child.on("close", (code, signal) => {
      if (pid !== undefined) runningGroups.delete(pid);
      run.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      for (const stream of ["out", "err"] as const) if (tails[stream] !== "") track(stream, "\n");
      const detail = lastErr === "" ? "" : `: ${lastErr}`;
      if (spawnError) {
        resolve({ ok: false, name: "ShellCommandFailedError", message: `command could not start: ${spawnError.message}`, aborted });
      } else if (code === 0 && !aborted) {
        resolve({ ok: true, output: lastOut });
      } else if (code !== null) {
        resolve({ ok: false, name: "ShellCommandFailedError", message: `command exited with code ${code}${detail}`, aborted });
      } else {
        resolve({ ok: false, name: "ShellCommandFailedError", message: `command was killed by ${signal ?? "a signal"}${detail}`, aborted });
      }
    });
  });
}
