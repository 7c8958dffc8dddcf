// Records of caching, artifact references and sub-pipeline links (migration 0005), shared by the Store
// contract (types.ts) and its implementation (cache-artifacts.ts) without a cycle between them.

/** A successful try whose result may be reused: where it came from and its encoded output. */
export interface CachedTry {
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  /** Encoded output (or an artifact reference); null when the task returned nothing storable. */
  output: string | null;
  endedMs: number;
}

/** A run started by a sub-pipeline task, and the try of the parent that started it. */
export interface SubRunLink {
  childRunId: string;
  parentRunId: string;
  parentTaskId: string;
  parentMapIndex: number;
  parentTryNumber: number;
  createdMs: number;
}

export interface PrunableArtifact {
  digest: string;
  /** Bytes of the object (its size, as recorded with each reference). */
  bytes: number;
}
