// A small history router: a few pages and their query strings are all the app needs, so no package.
// The API serves index.html for every path outside /api (SPA fallback), so deep links and reloads work.
import { useSyncExternalStore, type MouseEvent, type ReactNode } from "react";

export type Route =
  | { page: "pipelines" }
  | { page: "pipeline"; id: string }
  | { page: "run"; id: string }
  | { page: "pools" }
  | { page: "events" }
  | { page: "not-found"; path: string };

const CHANGE = "weir:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const currentHref = (): string => window.location.pathname + window.location.search;

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "pipelines")) return { page: "pipelines" };
  if (parts.length === 2 && parts[0] === "pipelines") return { page: "pipeline", id: parts[1] ?? "" };
  if (parts.length === 2 && parts[0] === "runs") return { page: "run", id: parts[1] ?? "" };
  if (parts.length === 1 && parts[0] === "pools") return { page: "pools" };
  if (parts.length === 1 && parts[0] === "events") return { page: "events" };
  return { page: "not-found", path: pathname };
}

export function useLocation(): { route: Route; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, currentHref);
  const url = new URL(href, window.location.origin);
  return { route: parseRoute(url.pathname), search: url.searchParams };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentHref()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGE));
}

/** Sets some query parameters of the current page (null removes one), keeping the rest. */
export function setSearch(changes: Record<string, string | null>, options: { replace?: boolean } = { replace: true }): void {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  navigate(url.pathname + url.search, options);
}

export const paths = {
  pipelines: () => "/",
  events: (name?: string) => `/events${name ? `?name=${encodeURIComponent(name)}` : ""}`,
  pipeline: (id: string, tab?: string) => `/pipelines/${encodeURIComponent(id)}${tab ? `?tab=${tab}` : ""}`,
  run: (id: string, task?: string, mapIndex?: number) =>
    `/runs/${encodeURIComponent(id)}${task ? `?task=${encodeURIComponent(task)}${mapIndex !== undefined && mapIndex >= 0 ? `&map=${mapIndex}` : ""}` : ""}`,
};

export function Link(props: { to: string; className?: string; title?: string; children: ReactNode }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}
