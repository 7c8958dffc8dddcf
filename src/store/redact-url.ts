// Database URLs in messages: the password never shows. Here, apart from the Postgres dialect, so that naming
// a URL doesn't load the pg driver (a SQLite `weir run` never needs it; loading it costs ~20 ms of startup).

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; other text unchanged. */
export function redactPassword(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/, "$1:***@");
}
