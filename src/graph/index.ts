// The public surface of graph/: the compiled, serializable form of a pipeline and its helpers.
export { compilePipeline } from "./compile-pipeline.js";
export type { CompileResult } from "./compile-pipeline.js";
export { describeCycle, downstreamOf, findCycles, topologicalOrder } from "./graph-order.js";
export { canonicalJson, graphVersion } from "./fingerprint.js";
export { isValidTimeZone, parseZonedDateTime, zoneOffsetMs } from "./zoned-time.js";
export * from "./types.js";
