// httpSensor: done when an HTTP endpoint answers with an expected status (and, optionally, a body a
// predicate accepts). A request that fails or times out is "not yet": the endpoint may not be up yet.
import { parseDuration, type Duration } from "../../define/duration.js";
import type { TaskContext } from "../../define/types.js";

export interface HttpSensorOptions<P = unknown> {
  url: string | ((ctx: TaskContext<P>) => string);
  method?: string;
  headers?: Record<string, string>;
  /** Status(es) that count as done (default 200). */
  status?: number | readonly number[];
  /** Also required: the body's text passes this. */
  body?: (text: string) => boolean;
  /** One request's limit (default "10s"). */
  requestTimeout?: Duration;
}

export interface HttpSensorResult {
  status: number;
  body: string;
}

/**
 * A sensor check for `p.sensor`: waits for an endpoint to answer.
 * @example
 * p.sensor("api_ready", { pokeInterval: "30s", timeout: "1h" }, httpSensor({ url: "http://127.0.0.1:9000/ready", body: (t) => t.includes("ok") }));
 */
export function httpSensor<P = unknown>(options: HttpSensorOptions<P>): ((ctx: TaskContext<P>) => Promise<false | HttpSensorResult>) & { waitsFor: string } {
  const statuses = options.status === undefined ? [200] : typeof options.status === "number" ? [options.status] : [...options.status];
  const limitMs = parseDuration(options.requestTimeout ?? "10s", "requestTimeout");
  const check = async (ctx: TaskContext<P>): Promise<false | HttpSensorResult> => {
    const url = typeof options.url === "function" ? options.url(ctx) : options.url;
    // Stopped by the try's own signal (timeout, cancel) or by this request's limit, whichever comes first.
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    ctx.signal.addEventListener("abort", stop, { once: true });
    const timer = setTimeout(stop, limitMs);
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, { method: options.method ?? "GET", headers: options.headers ?? {}, signal: controller.signal });
      body = await response.text();
    } catch (error) {
      ctx.log.info(`not yet: ${url}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", stop);
    }
    if (!statuses.includes(response.status)) return false;
    if (options.body && !options.body(body)) return false;
    return { status: response.status, body };
  };
  return Object.assign(check, { waitsFor: `HTTP ${statuses.join("/")} from ${typeof options.url === "function" ? "(a URL from the context)" : options.url}` });
}
