// A trigger loop (`weir triggerer`) as a child process of `weir dev` or a foreground `weir run`, so deferred
// sensors are checked without a separate command and never in the scheduler's own process.
import { fork, type ChildProcess } from "node:child_process";

export function startTriggererChild(): ChildProcess | null {
  const cli = process.argv[1];
  if (cli === undefined) return null;
  return fork(cli, ["triggerer"], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: process.env });
}

export async function stopTriggererChild(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}
