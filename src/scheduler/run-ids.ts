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

export function newRunId(trigger: RunTrigger, logicalDateMs: number): string {
  const stamp = new Date(logicalDateMs).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${trigger}_${stamp}_${randomHex4()}`;
}
