// What the browser tests stand on: a real `weir dev` child process on a free port with its own WEIR_HOME,
// and a real Chromium (Debian's, at /usr/bin/chromium) driven by playwright-core, with a fresh profile.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export const ROOT = join(import.meta.dirname, "../..");
export const SCREENSHOTS = join(import.meta.dirname, "screenshots");
export const CHROMIUM = "/usr/bin/chromium";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, capMs = 60_000): Promise<T> {
  const until = Date.now() + capMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface WeirServer {
  url: string;
  home: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `weir dev <dir> --port P` and waits until the API answers and the pipelines are loaded. */
export async function startWeir(dir: string, expectPipeline: string): Promise<WeirServer> {
  if (!existsSync(join(ROOT, "dist/ui/index.html"))) throw new Error("dist/ui is missing: run `npm run build` first");
  const home = mkdtempSync(join(tmpdir(), "weir-browser-"));
  const port = await freePort();
  const child = spawn(process.execPath, ["bin/weir.js", "dev", dir, "--port", String(port)], {
    cwd: ROOT,
    env: { ...process.env, WEIR_HOME: home, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d));
  child.stderr?.on("data", (d: Buffer) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once("close", r));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await closed;
      clearTimeout(timer);
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitFor(`weir dev to serve ${expectPipeline} on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`weir dev exited with ${child.exitCode}:\n${output}`);
      try {
        const response = await fetch(`${url}/api/v1/pipelines`);
        if (!response.ok) return false;
        const body = (await response.json()) as { pipelines: { id: string }[] };
        return body.pipelines.some((p) => p.id === expectPipeline);
      } catch {
        return false;
      }
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, home, child, output: () => output, stop };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged: a page that works but logs errors is broken too. */
  errors: string[];
  close: () => Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  const profile = mkdtempSync(join(tmpdir(), "weir-chromium-"));
  // Playwright passes the profile as --user-data-dir; a fresh one per run keeps runs independent.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A 4xx the page asked for on purpose (the 422 of a rejected trigger) is logged by Chromium; not a bug.
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** What a browser test file drives: its `weir dev` and its Chromium, set before its first test. */
export interface UiSession {
  weir: WeirServer;
  browser: Browser;
}

/** Starts `weir dev <dir>` (serving `expectPipeline`) and a browser before the file's tests; stops both after them. */
export function useWeirAndBrowser(dir: string, expectPipeline: string): UiSession {
  const session = {} as Partial<UiSession>;
  beforeAll(async () => {
    session.weir = await startWeir(dir, expectPipeline);
    session.browser = await openBrowser();
  }, 120_000);
  afterAll(async () => {
    await session.browser?.close();
    await session.weir?.stop();
  }, 30_000);
  return session as UiSession;
}
