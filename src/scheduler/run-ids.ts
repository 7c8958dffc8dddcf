// Run ids: readable, sortable by creation, unique without coordination, and safe in paths (DESIGN.md §7).
import { randomBytes } from "node:crypto";
import type { RunTrigger } from "../store/types.js";

// Random bytes drawn in blocks: a call of randomBytes costs microseconds, and a scheduler pass may name a
// thousand runs at once (one per pipeline when a minute ends).
const BLOCK = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex4(): string {
  if (offset + 4 > pool.length) {
    pool = randomBytes(BLOCK);
    offset = 0;
  }
  offset += 4;
  return pool.toString("hex", offset - 4, offset);
}

// The runs a pass names share their logical date (a minute's thousand): its stamp is formatted once.
let stampedMs = Number.NaN;
let stamp = "";

export function newRunId(trigger: RunTrigger, logicalDateMs: number): string {
  if (logicalDateMs !== stampedMs) {
    stamp = new Date(logicalDateMs).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
    stampedMs = logicalDateMs;
  }
  return `${trigger}_${stamp}_${randomHex4()}`;
}
