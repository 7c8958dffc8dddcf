// Loaded with `node --import bench/rss-hook.mjs` by W0: when the process exits, writes its peak RSS
// (kB, process.resourceUsage().maxRSS) to $WEIR_BENCH_RSS_DIR/<pid>. Costs one small module import.
import { writeFileSync } from "node:fs";

const dir = process.env.WEIR_BENCH_RSS_DIR;
if (dir) {
  process.on("exit", () => {
    try {
      writeFileSync(`${dir}/${process.pid}`, String(process.resourceUsage().maxRSS));
    } catch {
      // the bench is gone: nothing to report to
    }
  });
}
