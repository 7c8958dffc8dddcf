// Who drives a run or holds the scheduler lease: `host:pid:startMs.n@boot-pidns`. A process on this host that
// is gone can't be driving anything, so its claims can be taken over at once instead of waiting for expiry.
// "This host" is more than the hostname: two containers may share one and each run its process as pid 1, so
// the id also names the boot (/proc/sys/kernel/random/boot_id) and the pid namespace (/proc/self/ns/pid) its
// pid belongs to, and only a pid of our own namespace in our own boot is looked up.
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/** Owner ids this process handed out and still uses (two schedulers in one process are two owners). */
const issued = new Set<string>();
let counter = 0;

/** This process's boot and pid namespace (`boot-pidns`), or "" where /proc doesn't say (not Linux). */
const PID_SPACE = ((): string => {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replaceAll("-", "").slice(0, 12);
    const namespace = /\d+/.exec(readlinkSync("/proc/self/ns/pid"))?.[0] ?? "";
    return boot !== "" && namespace !== "" ? `${boot}-${namespace}` : "";
  } catch {
    return "";
  }
})();

/** What marks a scheduler's owner id: only the scheduler lease's holder drives runs such an owner holds. */
const SCHEDULER = ":scheduler";

/** `scheduler`: the id of a scheduler service (`host:pid:startMs.n@boot-pidns:scheduler`), see isSchedulerOwner. */
export function newOwnerId(role?: "scheduler"): string {
  const space = PID_SPACE === "" ? "" : `@${PID_SPACE}`;
  const id = `${hostname()}:${process.pid}:${Date.now()}.${counter++}${space}${role === "scheduler" ? SCHEDULER : ""}`;
  issued.add(id);
  return id;
}

/**
 * Whether the owner is a scheduler service. Only the holder of the scheduler lease drives runs, so a run held
 * by another scheduler is one that the holder takes over: that scheduler died, stopped or was fenced off,
 * wherever it ran (its liveness can't be checked from another host, its lease can).
 */
export function isSchedulerOwner(owner: string): boolean {
  return owner.endsWith(SCHEDULER);
}

/** The owner stopped: its claims may be taken over at once. */
export function retireOwnerId(id: string): void {
  issued.delete(id);
}

/**
 * False only when the owner is certainly gone: a process of this host (same hostname, boot and pid namespace)
 * that no longer exists, or an owner with our pid that this process never issued (a previous incarnation,
 * e.g. pid 1 in a container restarted). Another host's, boot's or namespace's processes can't be checked.
 * An id without `@boot-pidns` (written before it was added, or where /proc doesn't say) is judged by its
 * hostname alone, as it always was.
 */
export function isOwnerAlive(owner: string): boolean {
  if (issued.has(owner)) return true;
  const [host, pid, started = ""] = owner.split(":");
  if (host !== hostname()) return true;
  const at = started.indexOf("@");
  if (at !== -1 && started.slice(at + 1) !== PID_SPACE) return true;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
