// Fault injection for the crash tests: WEIR_TEST_CRASH_AT="<point>:<n>" kills this process with SIGKILL
// the n-th time it reaches <point>, so tests can prove that a crash exactly there loses nothing.
// Unset (always, outside tests) it costs one branch.

export type CrashPoint = "before_commit" | "after_commit" | "after_dispatch" | "on_result" | "before_event_delivery" | "after_event_delivery";

const spec = parseSpec(process.env.WEIR_TEST_CRASH_AT);
let reached = 0;

function parseSpec(value: string | undefined): { point: string; n: number } | null {
  if (!value) return null;
  const [point, n] = value.split(":");
  return point ? { point, n: Math.max(1, Number(n) || 1) } : null;
}

export function crashPoint(point: CrashPoint): void {
  if (spec === null || spec.point !== point) return;
  reached++;
  if (reached === spec.n) process.kill(process.pid, "SIGKILL");
}
