// What the bench harnesses read about processes from /proc (Linux): the workers of a LocalWorkerPool are
// this process's children; their peak RSS and CPU time are read just before the pool closes.
import { readFileSync, readdirSync } from "node:fs";

/** Pids whose parent is this process (the workers: forked detached, so they lead their own groups). */
export function childProcesses(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Peak resident set (VmHWM) and CPU time (utime + stime) of a live process. */
export function procFacts(pid: number): { pid: number; peakRssMb: number; cpuMs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime field 15, in clock ticks (100 Hz on Linux).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pid, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0, cpuMs: ticks * 10 };
  } catch {
    return { pid, peakRssMb: 0, cpuMs: 0 };
  }
}

/** CPU time of these processes (ms), summed. */
export function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + procFacts(pid).cpuMs, 0);
}
