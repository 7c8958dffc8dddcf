// Starting the UI and API server for `weir dev`, `weir scheduler --port` and `weir server`: where it listens
// (--port, WEIR_PORT, default 8080; --host, default 127.0.0.1 so nothing is exposed by accident).
import { WeirError } from "../common/errors.js";
import { createApiApp, listen, type RunningServer } from "../api/server.js";
import type { ApiOptions } from "../api/api-context.js";
import { readStoredLogChunks } from "./remote-log.js";

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "127.0.0.1";

export interface ServeOptions {
  port?: string | number;
  host?: string;
}

/** The port to serve on: --port, else WEIR_PORT, else 8080. 0 picks a free port. */
export function resolvePort(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): number {
  const given = options.port ?? env.WEIR_PORT;
  if (given === undefined || given === "") return DEFAULT_PORT;
  const text = String(given);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new WeirError("port_invalid", `${options.port !== undefined ? "--port" : "WEIR_PORT"} must be a port number (0–65535), got "${text}"`);
  }
  return port;
}

export async function startApiServer(api: ApiOptions, options: ServeOptions): Promise<RunningServer> {
  const port = resolvePort(options);
  // Logs of tries that ran on remote workers come from the store (the API can't know the worker's try keys).
  const { app, close } = createApiApp({ storedLog: (...at) => readStoredLogChunks(api.store, ...at), ...api });
  let server: RunningServer;
  try {
    server = await listen(app, port, options.host ?? DEFAULT_HOST);
  } catch (error) {
    close();
    throw error;
  }
  return {
    ...server,
    close: async () => {
      close();
      await server.close();
    },
  };
}
