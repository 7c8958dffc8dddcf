// The web app is served from its build directory with an SPA fallback (never outside that directory), a
// short page says when it was not built, and the port comes from --port, WEIR_PORT or 8080.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiApp } from "../../src/api/server.js";
import { resolvePort } from "../../src/cli/serve-api.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";

let dir: string;
let store: Store;
const workers = { load: async () => ({ file: "", pipelines: [], problems: [] }), parseParams: async () => ({ ok: true as const, params: {} }) };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "weir-ui-"));
  store = openSqliteStore({ path: join(dir, "weir.db") });
  await store.migrate();
  mkdirSync(join(dir, "ui", "assets"), { recursive: true });
  writeFileSync(join(dir, "ui", "index.html"), "<!doctype html><title>Weir UI</title>");
  writeFileSync(join(dir, "ui", "assets", "app-1234.js"), "console.log('weir')");
  writeFileSync(join(dir, "secret.txt"), "not for the web");
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the web app", () => {
  it("serves files of the build, index.html for the app's own paths, and nothing outside the build", async () => {
    const { app, close } = createApiApp({ store, home: dir, workers, uiDir: join(dir, "ui") });
    const asset = await app.request("/assets/app-1234.js");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    expect(await asset.text()).toBe("console.log('weir')");
    for (const path of ["/", "/pipelines/etl_daily", "/runs/some_run/gantt", "/../secret.txt", "/%2e%2e/secret.txt", "/%E0%A4%A"]) {
      const page = await app.request(path);
      expect(page.status, path).toBe(200);
      expect(await page.text(), path).toBe("<!doctype html><title>Weir UI</title>");
    }
    expect((await app.request("/api/v1/nope")).status).toBe(404);
    close();
  });

  it("refuses a request body over 1 MiB with 413, before reading it", async () => {
    const { app, close } = createApiApp({ store, home: dir, workers, uiDir: join(dir, "ui") });
    const answer = await app.request("/api/v1/pipelines/x/runs", { method: "POST", body: JSON.stringify({ params: { pad: "x".repeat(2 * 1024 * 1024) } }) });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ error: { code: "body_too_large", message: "the request body is over 1024 KiB" } });
    close();
  });

  it("says so when the web app was not built", async () => {
    const { app, close } = createApiApp({ store, home: dir, workers, uiDir: join(dir, "missing") });
    const page = await app.request("/pipelines");
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/The web UI was not built/);
    close();
  });
});

it("takes the port from --port, else WEIR_PORT, else 8080, and refuses a bad one", () => {
  expect(resolvePort({}, {})).toBe(8080);
  expect(resolvePort({}, { WEIR_PORT: "9090" })).toBe(9090);
  expect(resolvePort({ port: "7070" }, { WEIR_PORT: "9090" })).toBe(7070);
  expect(resolvePort({ port: "0" }, {})).toBe(0);
  expect(() => resolvePort({}, { WEIR_PORT: "eighty" })).toThrow(/WEIR_PORT must be a port number/);
  expect(() => resolvePort({ port: "70000" }, {})).toThrow(/--port must be a port number/);
});
