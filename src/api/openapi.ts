// The OpenAPI 3.1 document served at /api/v1/openapi.json, generated from the route table the server
// registers (one source for both), with the component schemas of openapi-schemas.ts.
import type { RouteSpec } from "./api-context.js";
import { COMPONENT_SCHEMAS } from "./openapi-schemas.js";

type Json = Record<string, unknown>;

const ERROR_RESPONSES: Record<string, string> = {
  "400": "malformed request: not JSON, unknown field, wrong type",
  "404": "unknown pipeline, run, task, try or backfill",
  "409": "the state of things forbids it now (e.g. clearing a running task, canceling an ended run)",
  "422": "invalid value (e.g. a param the pipeline's schema rejects, an unknown state)",
};

/** `/runs/:id/tasks/:task` → `/runs/{id}/tasks/{task}`, and the names of its path parameters. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

function successContent(response: string): Json {
  if (response === "text") return { "text/plain": { schema: { type: "string" } } };
  if (response === "sse") return { "text/event-stream": { schema: { type: "string", description: "`event: <kind>` and `data: <LiveEvent JSON>` per event" } } };
  return { "application/json": { schema: { $ref: `#/components/schemas/${response}` } } };
}

export function buildOpenApi(routes: readonly RouteSpec[], prefix: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.path);
    const parameters = [
      ...params.map((name) => ({ name, in: "path", required: true, schema: { type: name === "n" ? "integer" : "string" } })),
      ...(route.query ?? []).map((q) => ({
        name: q.name,
        in: "query",
        required: false,
        description: q.description,
        schema: q.repeatable ? { type: "array", items: { type: q.type } } : { type: q.type },
        ...(q.repeatable ? { style: "form", explode: true } : {}),
      })),
    ];
    const operation: Json = {
      operationId: `${route.method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: false, content: { "application/json": { schema: { $ref: `#/components/schemas/${route.body}` } } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: { description: "success", content: { ...successContent(route.response), ...(route.json ? successContent(route.json) : {}) } },
        ...(route.body && route.status === 201 ? { "200": { description: "success (nothing created)", content: successContent(route.response) } } : {}),
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([status, description]) => [status, { description, content: { "application/json": { schema: { $ref: "#/components/schemas/ApiError" } } } }])),
      },
    };
    const full = `${route.path.startsWith("/api/") || route.path === "/healthz" || route.path === "/metrics" ? "" : prefix}${path}`;
    paths[full] = { ...(paths[full] ?? {}), [route.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Weir API", version: "1", description: "Pipelines, runs, task instances, tries and logs, backfills and pools of a Weir store; live events as server-sent events. Errors are { error: { code, message, where? } }." },
    paths,
    components: { schemas: COMPONENT_SCHEMAS },
  };
}
