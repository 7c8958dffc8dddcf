// The one base error type. Every error a user can cause carries a stable snake_case code and, where it
// has one, the place it refers to, so the CLI and API can print one line and exit 2 / answer 4xx.

export interface ErrorPlace {
  file?: string;
  pipeline?: string;
  task?: string;
  param?: string;
  run?: string;
}

export class WeirError extends Error {
  readonly code: string;
  readonly where: ErrorPlace | undefined;
  /** True when the user's input is at fault (exit code 2, HTTP 4xx); false for internal failures. */
  readonly isInputError: boolean;

  constructor(code: string, message: string, options: { where?: ErrorPlace; input?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WeirError";
    this.code = code;
    this.where = options.where;
    this.isInputError = options.input ?? true;
  }
}

/** Formats a place as `file: pipeline p, task t` for one-line messages. */
export function describePlace(where: ErrorPlace | undefined): string {
  if (!where) return "";
  const parts: string[] = [];
  if (where.pipeline) parts.push(`pipeline ${where.pipeline}`);
  if (where.task) parts.push(`task ${where.task}`);
  if (where.param) parts.push(`param ${where.param}`);
  if (where.run) parts.push(`run ${where.run}`);
  const inner = parts.join(", ");
  if (where.file) return inner ? `${where.file} (${inner})` : where.file;
  return inner;
}

export function isWeirError(error: unknown): error is WeirError {
  return error instanceof WeirError;
}
