// The shell: top bar with navigation and the live connection's status, then the page of the current route.
import { useEffect } from "react";
import { useLiveStatus } from "./live";
import { EventsPage } from "./pages/events-page";
import { PipelinePage } from "./pages/pipeline-page";
import { PipelinesPage } from "./pages/pipelines-page";
import { PoolsPage } from "./pages/pools-page";
import { RunPage } from "./pages/run-page";
import { Link, useLocation } from "./router";

export function App() {
  const { route } = useLocation();
  const live = useLiveStatus();
  useEffect(() => {
    const name = route.page === "pipeline" || route.page === "run" ? `${route.id} · Weir` : "Weir";
    document.title = name;
  }, [route]);
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
            <rect width="16" height="16" rx="3" fill="#0f766e" />
            <path d="M3 11h10M3 8h10M3 5h10" stroke="white" strokeWidth="1.5" />
          </svg>
          Weir
        </Link>
        <nav className="topnav">
          <Link to="/" className={route.page === "pipelines" || route.page === "pipeline" || route.page === "run" ? "active" : ""}>
            Pipelines
          </Link>
          <Link to="/pools" className={route.page === "pools" ? "active" : ""}>
            Pools
          </Link>
          <Link to="/events" className={route.page === "events" ? "active" : ""}>
            Events
          </Link>
        </nav>
        <span className={`live-status ${live}`} data-testid="live-status" title="Server-sent events from /api/v1/events">
          <span className="live-dot" />
          {live === "live" ? "Live" : live === "connecting" ? "Connecting…" : "Offline"}
        </span>
      </header>
      <main className="content">
        {route.page === "pipelines" ? <PipelinesPage /> : null}
        {route.page === "pipeline" ? <PipelinePage key={route.id} id={route.id} /> : null}
        {route.page === "run" ? <RunPage key={route.id} id={route.id} /> : null}
        {route.page === "pools" ? <PoolsPage /> : null}
        {route.page === "events" ? <EventsPage /> : null}
        {route.page === "not-found" ? (
          <div className="page">
            <h1>Not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <Link to="/">Back to the pipelines</Link>
            </p>
          </div>
        ) : null}
      </main>
    </div>
  );
}
