// How commands speak: documents on stdout, messages on stderr (DESIGN.md §4), errors as one line.
import { describePlace, isWeirError } from "../common/errors.js";

export function printJson(document: unknown): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One line naming the problem and where; the exit code the CLI contract gives it. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (isWeirError(error)) {
    const place = describePlace(error.where);
    return { line: place ? `${place}: ${error.message}` : error.message, exitCode: error.isInputError ? 2 : 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = process.env.WEIR_DEBUG && error instanceof Error && error.stack ? `\n${error.stack}` : " (internal error; set WEIR_DEBUG=1 for details)";
  return { line: `${message}${stack}`, exitCode: 1 };
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const useColor = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
