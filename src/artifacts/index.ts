// Large task outputs in a content-addressed store (docs/artifacts.md). Depends on common only.
export { artifactThreshold, DEFAULT_ARTIFACT_THRESHOLD, digestOf, formatArtifactRef, isArtifactRef, parseArtifactRef, type ArtifactRef } from "./reference.js";
export { ArtifactMissingError, type ArtifactInfo, type ArtifactStore } from "./store.js";
export { artifactsDir, LocalArtifactStore } from "./local-store.js";
