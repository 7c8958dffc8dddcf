// Finds and imports weir.config.{ts,mts,js,mjs}. TypeScript is bundled by esbuild into a temporary module
// next to the file (as pipeline files are, src/worker/load-pipeline-file.ts), so `import "weir"` and other
// bare imports resolve exactly as from the config itself. Only the CLI process loads it; what it
// exports must be plain data (config-schema.ts), so nothing of it needs to reach workers but values.
import { randomBytes } from "node:crypto";
import { unlinkSync, writeFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { ValidConfig } from "./config-schema.js";
import { configError } from "./config-error.js";

/** Imports and validates the config at `path`; every problem is one `config_invalid` error naming the file. */
export async function loadConfigFile(path: string, cwd: string): Promise<ValidConfig> {
  const shownAs = displayPath(path, cwd);
  // zod (the schema) and esbuild take ~0.1 s each to load: side by side, the esbuild service starts meanwhile.
  const [{ validateConfig }, exported] = await Promise.all([import("./config-schema.js"), importDefault(path, shownAs)]);
  return validateConfig(exported, path, shownAs);
}

async function importDefault(path: string, shownAs: string): Promise<unknown> {
  const ext = extname(path);
  let module: Record<string, unknown>;
  if (ext === ".js" || ext === ".mjs") {
    module = await importOrExplain(pathToFileURL(path).href, shownAs);
  } else {
    const code = await bundle(path, shownAs);
    const temp = join(dirname(path), `.weir-config-${randomBytes(6).toString("hex")}.mjs`);
    try {
      writeFileSync(temp, code);
    } catch (error) {
      throw configError(shownAs, `cannot write the compiled config next to it (${messageOf(error)}); use weir.config.mjs in a read-only directory`);
    }
    try {
      module = await importOrExplain(pathToFileURL(temp).href, shownAs);
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
  if (!("default" in module)) throw configError(shownAs, "needs `export default defineConfig({ … })` (it has no default export)");
  return module.default;
}

async function bundle(path: string, shownAs: string): Promise<string> {
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      packages: "external",
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      logLevel: "silent",
      sourcemap: "inline",
      sourcesContent: false,
    });
    return result.outputFiles[0]?.text ?? "";
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    const where = first?.location ? `:${first.location.line}:${first.location.column + 1}` : "";
    throw configError(`${shownAs}${where}`, first ? first.text : messageOf(error));
  }
}

async function importOrExplain(url: string, shownAs: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw configError(shownAs, `failed to load: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** As the user would write it from where they are: relative inside the working directory, else absolute. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
