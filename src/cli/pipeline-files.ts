// Which files under a path are pipeline files: TypeScript and JavaScript modules, skipping declaration
// files, tests, node_modules and hidden directories.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { WeirError } from "../common/errors.js";

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP_FILE = /\.d\.ts$|\.(test|spec)\.[mc]?[jt]s$/;

export function findPipelineFiles(path: string): { files: string[]; isDirectory: boolean } {
  const root = resolve(path);
  let stats;
  try {
    stats = statSync(root);
  } catch {
    throw new WeirError("path_not_found", `no such file or directory: ${path}`);
  }
  if (stats.isFile()) return { files: [root], isDirectory: false };
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && MODULE.test(entry.name) && !SKIP_FILE.test(entry.name)) files.push(full);
    }
  };
  walk(root);
  return { files, isDirectory: true };
}
