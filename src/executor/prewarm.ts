// Forks a worker before anything else is loaded, so its start-up (~0.15 s: Node, the worker's modules,
// esbuild) overlaps the CLI's own. The next pool made in this process adopts it.
import { WorkerHandle } from "./worker-handle.js";

const warm: WorkerHandle[] = [];

export function prewarmWorker(script: string, env: NodeJS.ProcessEnv): void {
  const worker = new WorkerHandle({ script, env, serialization: "json" });
  worker.hold(true);
  warm.push(worker);
}

/** Prewarmed workers not yet adopted by a pool (each is taken once). */
export function takePrewarmedWorkers(max: number): WorkerHandle[] {
  return warm.splice(0, max);
}
