import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TryLog } from "./try-log.js";
import { tryLogPath } from "./try-log-path.js";

const dir = mkdtempSync(join(tmpdir(), "weir-try-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const strip = (text: string) => text.split("\n").filter(Boolean).map((l) => l.replace(/^\S+ /, ""));

describe("TryLog", () => {
  it("creates the file on the first line only, and joins partial writes into lines", () => {
    const path = join(dir, "a", "b", "1.log");
    const log = new TryLog(path);
    expect(existsSync(path)).toBe(false);
    log.write("out", "par");
    log.write("out", "tial\nnext");
    log.line("info", "two\nlines");
    log.close();
    expect(strip(readFileSync(path, "utf8"))).toEqual(["out partial", "info two", "info lines", "out next"]);
  });

  it("caps the log and marks the cut once", () => {
    const path = join(dir, "cap.log");
    const log = new TryLog(path, 200);
    for (let i = 0; i < 50; i++) log.line("out", `line ${i}`);
    log.close();
    const text = readFileSync(path, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThan(300);
    expect(text.match(/log truncated at 10 MiB/g)).toHaveLength(1);
    expect(strip(text)[0]).toBe("out line 0");
  });
});

describe("tryLogPath", () => {
  it("derives the path from ids and refuses unsafe ones", () => {
    expect(tryLogPath("/h", "p", "r1", "t", -1, 2)).toBe("/h/logs/p/r1/t/-1/2.log");
    expect(() => tryLogPath("/h", "../etc", "r", "t", -1, 1)).toThrow(/pipeline id/);
    expect(() => tryLogPath("/h", "p", "r", "a/b", -1, 1)).toThrow(/task id/);
  });
});
