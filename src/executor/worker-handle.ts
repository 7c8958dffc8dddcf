// One worker process as the pool sees it: forked as the leader of its own process group (so killing
// the group also kills what its tasks started), with its IPC channel referenced only while it has
// work, so an idle pool never keeps the parent process alive.
import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { FromWorker, ToWorker } from "../worker/protocol.js";
import { heartbeatSettings } from "./heartbeat.js";

/** The worker's file descriptor for heartbeats (after stdin, stdout, stderr and IPC). */
const HEARTBEAT_FD = 4;

export type WorkerState = "starting" | "idle" | "busy" | "dead";

export interface WorkerListener {
  onMessage: (worker: WorkerHandle, message: FromWorker) => void;
  onExit: (worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface SpawnOptions extends Partial<WorkerListener> {
  script: string;
  env: NodeJS.ProcessEnv;
  serialization: "json" | "advanced";
  /** How often the worker's beat thread writes to its heartbeat pipe (default: heartbeatSettings()). */
  heartbeatMs?: number;
}

type Held = { kind: "message"; message: FromWorker } | { kind: "exit"; code: number | null; signal: NodeJS.Signals | null };

export class WorkerHandle {
  state: WorkerState = "starting";
  /** Tries handed to the worker, in the order it runs them: the first is running, the rest wait there. */
  readonly tries: string[] = [];
  /** The load or params request the worker is on, if any (requests go only to workers without tries). */
  request: number | null = null;
  /** Consecutive tries that finished quickly: the pool hands such a worker several tries at once. */
  quickStreak = 0;
  /** It said "ready" once: its death later (a crash, a kill) is not a failed start. */
  everReady = false;
  /** Its last sign of life (performance.now()): the fork, its first request, then each beat; null once ready until its first request (heartbeat.ts). */
  lastBeatMs: number | null = performance.now();
  /** Set when the pool kills it for missing heartbeats: the failure its running try gets. */
  hungFor: string | null = null;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private listener: WorkerListener | null = null;
  /** What happened before a pool took the worker (a prewarmed one): replayed on `attach`. */
  private held: Held[] = [];
  private retireTimer: NodeJS.Timeout | undefined;

  constructor(options: SpawnOptions) {
    if (options.onMessage && options.onExit) this.listener = { onMessage: options.onMessage, onExit: options.onExit };
    this.child = fork(options.script, [], {
      detached: true,
      serialization: options.serialization,
      execArgv: ["--enable-source-maps"],
      env: { ...options.env, WEIR_HEARTBEAT_FD: String(HEARTBEAT_FD), WEIR_HEARTBEAT_MS: String(options.heartbeatMs ?? heartbeatSettings(options.env).heartbeatMs) },
      // Worker stdout goes to our stderr: a pipeline file printing at import must not corrupt `--json`.
      // fd 4: heartbeats, off the IPC channel so they cost the message path nothing.
      stdio: ["ignore", 2, 2, "ipc", "pipe"],
    });
    this.child.unref();
    this.listenForBeats();
    this.exited = new Promise((resolve) => {
      // "close", not "exit": it comes after the IPC channel has delivered everything the worker sent.
      this.child.once("close", (code, signal) => {
        this.state = "dead";
        if (this.retireTimer) clearTimeout(this.retireTimer);
        // Whatever the worker's tasks started and left behind in its group (a worker that called
        // process.exit() mid-task) goes with it.
        if (this.child.pid !== undefined) {
          try {
            process.kill(-this.child.pid, "SIGKILL");
          } catch {
            // the group is already empty
          }
        }
        if (this.listener) this.listener.onExit(this, code, signal);
        else this.held.push({ kind: "exit", code, signal });
        resolve();
      });
    });
    this.child.on("message", (message: FromWorker) => {
      if (this.listener) this.listener.onMessage(this, message);
      else this.held.push({ kind: "message", message });
    });
    // A send to a worker that just died: its exit is handled by onExit.
    this.child.on("error", () => {});
  }

  /** Hands the worker to its pool; what it said before is delivered now. */
  attach(listener: WorkerListener): void {
    this.listener = listener;
    const held = this.held;
    this.held = [];
    for (const event of held) {
      if (event.kind === "message") listener.onMessage(this, event.message);
      else listener.onExit(this, event.code, event.signal);
    }
  }

  private listenForBeats(): void {
    const beats = this.child.stdio[HEARTBEAT_FD] as Socket | null | undefined;
    if (!beats) return;
    beats.on("data", () => {
      this.lastBeatMs = performance.now();
    });
    beats.on("error", () => {});
    beats.unref();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get id(): string {
    return `local:${this.pid}`;
  }

  send(message: ToWorker): void {
    if (this.state === "dead" || !this.child.connected) return;
    // Its beat thread starts with its first request: silence counts from here, so a worker stopped before
    // its first beat is found too.
    this.lastBeatMs ??= performance.now();
    this.child.send(message);
  }

  /** Keeps the parent alive only while the worker has something to do. */
  hold(busy: boolean): void {
    // Both handles: the channel delivers results, the process handle delivers the exit of a crash.
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (busy) {
      this.child.ref();
      channel?.ref?.();
    } else {
      this.child.unref();
      channel?.unref?.();
    }
  }

  /** The worker said it is exiting by itself: it takes no more work, and is killed if it hasn't exited after `graceMs`. */
  retire(graceMs: number): void {
    this.state = "dead";
    this.hold(true); // the pool waits for its exit, as for a killed one
    this.retireTimer ??= setTimeout(() => this.kill(), graceMs);
  }

  /** SIGKILL to the worker's whole process group: the worker and every process its tasks started. */
  kill(): void {
    this.hold(true); // whoever killed it waits for `exited`
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const pid = this.child.pid;
    try {
      if (pid === undefined) throw new Error("no pid");
      process.kill(-pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }
}
