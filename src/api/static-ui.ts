// Serves the built web app (dist/ui: index.html + assets) with an SPA fallback: a path that is not under
// /api and not a file is index.html, so the app's own routes survive a reload. Without a build, a short page
// says how to make one.
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

const NOT_BUILT = `<!doctype html><html><head><meta charset="utf-8"><title>Weir</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Weir</h1><p>The web UI was not built, so only the API is served here: see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p>Build it with <code>npm run build</code> in the Weir package (it puts the app in <code>dist/ui/</code>).</p></body></html>`;

/** `<package>/dist/ui`: the package root is the nearest directory above this module with Weir's package.json. */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "weir") return join(dir, "dist", "ui");
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), "dist", "ui");
    dir = parent;
  }
}

export function serveUi(uiDir: string) {
  const root = resolve(uiDir);
  return async (c: Context): Promise<Response> => {
    const index = join(root, "index.html");
    if (!existsSync(index)) return c.html(NOT_BUILT);
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      pathname = "/";
    }
    const wanted = normalize(join(root, pathname));
    // Never outside the app's directory, whatever the path says.
    const file = wanted.startsWith(root + sep) && existsSync(wanted) && statSync(wanted).isFile() ? wanted : index;
    const body = await readFile(file);
    // Vite names what it puts in assets/ by content hash: those never change; the rest is checked each time.
    const cache = file.startsWith(join(root, "assets") + sep) ? "public, max-age=31536000, immutable" : "no-cache";
    return new Response(body, { headers: { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": cache } });
  };
}
