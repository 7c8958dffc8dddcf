// Owner ids and the "its process on this host is gone" shortcut: two containers may share a hostname and
// each run its scheduler as pid 1, so a pid is looked up only in the boot and pid namespace it belongs to.
import { spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { isOwnerAlive, isSchedulerOwner, newOwnerId } from "../../src/scheduler/owner.js";

const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replaceAll("-", "").slice(0, 12);
const namespace = /\d+/.exec(readlinkSync("/proc/self/ns/pid"))![0];
const ours = `${boot}-${namespace}`;

/** A pid that no process of this namespace has now: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("owner ids", () => {
  it("name the boot and pid namespace, and keep the scheduler mark at the end", () => {
    const id = newOwnerId("scheduler");
    expect(id.startsWith(`${hostname()}:${process.pid}:`)).toBe(true);
    expect(id).toContain(`@${ours}:scheduler`);
    expect(isSchedulerOwner(id)).toBe(true);
    expect(isOwnerAlive(id)).toBe(true);
  });

  it("take the shortcut only for a process of our boot and pid namespace", () => {
    const dead = deadPid();
    expect(isOwnerAlive(`${hostname()}:${dead}:1.0@${ours}:scheduler`)).toBe(false);
    // Our own pid, not issued here: a previous incarnation in this namespace.
    expect(isOwnerAlive(`${hostname()}:${process.pid}:1.0@${ours}`)).toBe(false);
    // Another container with the same hostname (another pid namespace), or another boot: can't be checked.
    expect(isOwnerAlive(`${hostname()}:${dead}:1.0@${boot}-1:scheduler`)).toBe(true);
    expect(isOwnerAlive(`${hostname()}:${process.pid}:1.0@${boot}-1`)).toBe(true);
    expect(isOwnerAlive(`${hostname()}:${dead}:1.0@000000000000-${namespace}`)).toBe(true);
    // Another host.
    expect(isOwnerAlive(`elsewhere:${dead}:1.0@${ours}`)).toBe(true);
  });

  it("read ids written before the boot and namespace were added as they were read then", () => {
    const dead = deadPid();
    expect(isOwnerAlive(`${hostname()}:${dead}:1.0:scheduler`)).toBe(false);
    expect(isOwnerAlive(`${hostname()}:${process.pid}:1.0`)).toBe(false);
    expect(isOwnerAlive(`${hostname()}:1:1.0`)).toBe(true);
    expect(isSchedulerOwner(`${hostname()}:${dead}:1.0:scheduler`)).toBe(true);
  });
});
