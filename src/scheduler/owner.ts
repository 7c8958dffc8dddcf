// Who drives a run or holds the scheduler lease: `host:pid:startMs`. A process on this host that is gone
// can't be driving anything, so its claims can be taken over at once instead of waiting for expiry.
import { hostname } from "node:os";

/** Owner ids this process handed out and still uses (two schedulers in one process are two owners). */
const issued = new Set<string>();
let counter = 0;

export function newOwnerId(): string {
  const id = `${hostname()}:${process.pid}:${Date.now()}.${counter++}`;
  issued.add(id);
  return id;
}

/** The owner stopped: its claims may be taken over at once. */
export function retireOwnerId(id: string): void {
  issued.delete(id);
}

/**
 * False only when the owner is certainly gone: a process of this host that no longer exists, or an owner
 * with our pid that this process never issued (a previous incarnation, e.g. pid 1 in a container).
 * Another host's processes can't be checked.
 */
export function isOwnerAlive(owner: string): boolean {
  if (issued.has(owner)) return true;
  const [host, pid] = owner.split(":");
  if (host !== hostname()) return true;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
