// Linux network namespaces as the hosts of a multi-host test: one namespace per "host", each with a veth pair
// whose outer end is a port of a bridge in the root namespace, on a /24 of 10.77.0.0/16 that no interface of
// this machine uses. Processes start inside a host with `ip netns exec` and a UTS namespace of their own
// (`unshare --uts` + `hostname`), so each has the host name of its host, as on separate machines; they share
// the filesystem and the pid space. Cutting a host's link is `ip link set <outer end> down`. Needs root.
// Names carry this process's pid, so a later run removes what a killed run left (sweepOrphans).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";

/** Every namespace and link of these tests starts with this; then the owner's pid in base 36. */
const PREFIX = "wn";
/** ip link names are at most 15 characters. */
const MAX_LINK_NAME = 15;

export interface Host {
  name: string;
  namespace: string;
  address: string;
  /** The veth end in the root namespace: down = the host is cut off. */
  outerLink: string;
}

export interface HostProcess {
  child: ChildProcess;
  output: () => string;
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Why namespaces can't be made here (not root, no `ip`, no CAP_SYS_ADMIN in a container), or null when they
 * can: a probe namespace is created and deleted.
 */
export function namespacesUnavailable(): string | null {
  const probe = `${PREFIX}${process.pid.toString(36)}-probe`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
    execFileSync("unshare", ["--uts", "--", "true"], { stdio: "ignore" });
    return null;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    const first = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
    return stderr === "" ? first : `${first}: ${stderr}`;
  }
}

/** Namespaces and links of earlier runs whose process is gone: their processes killed, the rest deleted. */
export function sweepOrphans(): void {
  const owned = (name: string): number | null => {
    const match = /^wn([0-9a-z]+)-/.exec(name);
    return match ? parseInt(match[1] as string, 36) : null;
  };
  for (const line of ip("netns", "list").split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = owned(name);
    if (owner === null || isAlive(owner)) continue;
    killAll(name);
    ip("netns", "del", name);
  }
  for (const line of ip("-o", "link", "show").split("\n")) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1] ?? "";
    const owner = owned(name);
    if (owner !== null && !isAlive(owner)) ip("link", "del", name);
  }
}

/** SIGKILL to every process in the namespace (they were all started by these tests). */
function killAll(namespace: string): void {
  let pids: string;
  try {
    pids = ip("netns", "pids", namespace);
  } catch {
    return;
  }
  for (const pid of pids.split("\n").map(Number).filter((p) => Number.isInteger(p) && p > 0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

export class Network {
  /** `wn<pid>`: names of this run's namespaces and links are `wn<pid>-<host or role>` (links: 15 characters at most). */
  readonly tag = `${PREFIX}${process.pid.toString(36)}`;
  readonly subnet: string;
  readonly bridge: string;
  private readonly hosts: Host[] = [];
  private readonly processes: ChildProcess[] = [];

  constructor() {
    this.subnet = freeSubnet();
    this.bridge = this.link("br");
    ip("link", "add", this.bridge, "type", "bridge");
    // The root namespace is on the bridge too: the test process (the CLI, its checks) reaches every host.
    ip("addr", "add", `${this.subnet}.1/24`, "dev", this.bridge);
    ip("link", "set", this.bridge, "up");
  }

  /** A new host `name` (a few letters) at the next address of the subnet. */
  addHost(name: string): Host {
    const host: Host = { name, namespace: `${this.tag}-${name}`, address: `${this.subnet}.${this.hosts.length + 2}`, outerLink: this.link(name) };
    ip("netns", "add", host.namespace);
    this.hosts.push(host);
    ip("link", "add", host.outerLink, "type", "veth", "peer", "name", "eth0", "netns", host.namespace);
    ip("link", "set", host.outerLink, "master", this.bridge);
    ip("link", "set", host.outerLink, "up");
    ip("-n", host.namespace, "addr", "add", `${host.address}/24`, "dev", "eth0");
    ip("-n", host.namespace, "link", "set", "eth0", "up");
    ip("-n", host.namespace, "link", "set", "lo", "up");
    return host;
  }

  /** Pulls the host's cable: nothing reaches it or leaves it until mend(). */
  cut(host: Host): void {
    ip("link", "set", host.outerLink, "down");
  }

  mend(host: Host): void {
    ip("link", "set", host.outerLink, "up");
  }

  /**
   * Starts `command` inside the host, in a UTS namespace whose host name is `hostname`. `ip netns exec`,
   * `unshare` and `sh` each exec the next, so the child's pid is the command's own (a kill -9 hits it).
   */
  spawn(host: Host, hostname: string, command: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number }): HostProcess {
    const child = spawn("ip", ["netns", "exec", host.namespace, "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, ...command], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d));
    child.stderr?.on("data", (d: Buffer) => (output += d));
    this.processes.push(child);
    return { child, output: () => output };
  }

  /** Kills every process of every host, then deletes the namespaces (their veth ends go with them) and the bridge. */
  async destroy(): Promise<void> {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const host of this.hosts) killAll(host.namespace);
    await Promise.all(this.processes.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("close", r)) : null)));
    for (const host of this.hosts) {
      // Deleting a namespace frees its veth pair only once the kernel lets go of the namespace (sockets of a
      // closed connection may hold it for a while): delete the outer end now.
      for (const args of [["netns", "del", host.namespace], ["link", "del", host.outerLink]]) {
        try {
          ip(...args);
        } catch {
          // Already gone.
        }
      }
    }
    try {
      ip("link", "del", this.bridge);
    } catch {
      // Already gone.
    }
  }

  private link(role: string): string {
    const name = `${this.tag}-${role}`;
    if (name.length > MAX_LINK_NAME) throw new Error(`link name ${name} is longer than ${MAX_LINK_NAME} characters`);
    return name;
  }
}

/** `10.77.N` for an N whose /24 no interface of this machine has an address in. */
function freeSubnet(): string {
  const used = ip("-4", "-o", "addr", "show");
  for (;;) {
    const subnet = `10.77.${randomInt(0, 256)}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
}
