// Which files under a path are pipeline files: shared with the scheduler's pipeline registry.
export { findPipelineFiles } from "../scheduler/pipeline-files.js";
