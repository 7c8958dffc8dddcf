// Run ids: readable, sortable by creation, unique without coordination, and safe in paths (DESIGN.md §7).
import { randomBytes } from "node:crypto";
import type { RunTrigger } from "../store/types.js";

export function newRunId(trigger: RunTrigger, logicalDateMs: number): string {
  const stamp = new Date(logicalDateMs).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${trigger}_${stamp}_${randomBytes(4).toString("hex")}`;
}
