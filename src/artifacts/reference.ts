// How a stored output points at an artifact: `@artifact:sha256:<hex>:<bytes>`. A devalue-encoded value always
// starts with "[" or a digit/minus, so a reference can never be mistaken for an inline value.
import { createHash } from "node:crypto";

const PREFIX = "@artifact:sha256:";
const PATTERN = /^@artifact:sha256:([0-9a-f]{64}):(\d+)$/;

export interface ArtifactRef {
  /** sha256 of the encoded value, hex. */
  digest: string;
  /** Size of the encoded value in bytes (UTF-8). */
  size: number;
}

export function formatArtifactRef(ref: ArtifactRef): string {
  return `${PREFIX}${ref.digest}:${ref.size}`;
}

/** The artifact an output points at, or null for an inline output. */
export function parseArtifactRef(output: string): ArtifactRef | null {
  if (!output.startsWith(PREFIX)) return null;
  const match = PATTERN.exec(output);
  return match ? { digest: match[1] as string, size: Number(match[2]) } : null;
}

export function isArtifactRef(output: string | undefined | null): boolean {
  return typeof output === "string" && output.startsWith(PREFIX);
}

export function digestOf(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Outputs over this many bytes go to the artifact store (WEIR_ARTIFACT_THRESHOLD, default 64 KB). */
export const DEFAULT_ARTIFACT_THRESHOLD = 64 * 1024;

export function artifactThreshold(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WEIR_ARTIFACT_THRESHOLD;
  if (raw === undefined || raw.trim() === "") return DEFAULT_ARTIFACT_THRESHOLD;
  const value = Number(raw);
  // A bad setting must not make every output an artifact (or none): it is refused where it is read.
  if (!Number.isInteger(value) || value < 0) throw new Error(`WEIR_ARTIFACT_THRESHOLD must be a whole number of bytes ≥ 0, got ${JSON.stringify(raw)}`);
  return value;
}
