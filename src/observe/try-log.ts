// The log of one try: `<ISO time> <stream> <text>` lines appended synchronously, so the whole log is
// on disk before the try's result is reported. The file is created on the first line (most tries log
// nothing and cost no fs work) and capped; the cap is marked with one last line.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export type LogStream = "out" | "err" | "debug" | "info" | "warn" | "error";

export const TRY_LOG_CAP_BYTES = 10 * 1024 * 1024;
const TRUNCATED_LINE = "… log truncated at 10 MiB";

export class TryLog {
  private fd: number | null = null;
  private bytes = 0;
  private truncated = false;
  private closed = false;
  /** Partial lines of out/err writes that didn't end in a newline yet. */
  private readonly pending: Record<"out" | "err", string> = { out: "", err: "" };

  constructor(
    readonly path: string,
    private readonly capBytes = TRY_LOG_CAP_BYTES,
  ) {}

  /** Writes one line per line of `text` (a trailing newline doesn't make an empty line). */
  line(stream: LogStream, text: string): void {
    if (this.closed || this.truncated) return;
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    const stamp = new Date().toISOString();
    let chunk = "";
    for (const l of lines) chunk += `${stamp} ${stream} ${l.endsWith("\r") ? l.slice(0, -1) : l}\n`;
    this.append(chunk, stamp);
  }

  /** A raw write to stdout/stderr: complete lines are logged now, a partial one when it completes. */
  write(stream: "out" | "err", text: string): void {
    if (this.closed || this.truncated) return;
    const all = this.pending[stream] + text;
    const cut = all.lastIndexOf("\n");
    if (cut === -1) {
      // Bound the buffer: a process writing megabytes without a newline still gets logged.
      if (all.length > 64 * 1024) {
        this.pending[stream] = "";
        this.line(stream, all);
      } else {
        this.pending[stream] = all;
      }
      return;
    }
    this.pending[stream] = all.slice(cut + 1);
    this.line(stream, all.slice(0, cut));
  }

  /** Logs pending partial lines and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    for (const stream of ["out", "err"] as const) {
      if (this.pending[stream] !== "") {
        const rest = this.pending[stream];
        this.pending[stream] = "";
        this.line(stream, rest);
      }
    }
    this.closed = true;
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private append(chunk: string, stamp: string): void {
    let size = Buffer.byteLength(chunk);
    if (this.bytes + size > this.capBytes) {
      // Keep the whole lines that still fit, then mark the cut.
      let kept = "";
      let keptBytes = 0;
      for (const l of chunk.split("\n")) {
        const n = Buffer.byteLength(l) + 1;
        if (l === "" || this.bytes + keptBytes + n > this.capBytes) break;
        kept += `${l}\n`;
        keptBytes += n;
      }
      this.truncated = true;
      chunk = `${kept}${stamp} warn ${TRUNCATED_LINE}\n`;
      size = Buffer.byteLength(chunk);
    }
    try {
      if (this.fd === null) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, "a");
      }
      writeSync(this.fd, chunk);
      this.bytes += size;
    } catch (error) {
      // A log that can't be written must not fail the task (console.log would throw in user code):
      // say so once on the real stderr (fd 2, not process.stderr, which may be routed here) and stop.
      this.truncated = true;
      try {
        writeSync(2, `weir: can't write the try log ${this.path}: ${(error as Error).message}\n`);
      } catch {
        // nowhere left to tell
      }
    }
  }
}
