// Task outputs and inputs cross processes (and the store) as text. devalue keeps what JSON loses —
// Date, bigint, Map, Set, typed arrays (a Buffer comes back as a Uint8Array), undefined, NaN, cycles —
// and refuses what can't survive the trip (functions, class instances, symbols) with the path to it.
import { parse, stringify } from "devalue";
import { WeirError } from "../common/errors.js";

export class OutputNotSerializableError extends WeirError {
  constructor(message: string, cause: unknown) {
    super("output_not_serializable", message, { cause, input: true });
    this.name = "OutputNotSerializableError";
  }
}

/**
 * Encodes a value for the wire and the store. `where` names its producer for the error, e.g.
 * `task "extract"`: `task "extract" returned a value that can't be serialized: … (at .rows[0].conn)`.
 */
export function encodeValue(value: unknown, where: string): string {
  // What most tasks return, written as devalue writes it without its walk of a value graph (a Map, arrays and
  // closures per call: per try, that showed in the worker's profile): a finite number other than -0, a
  // boolean, null, undefined. value-codec.test.ts checks these against devalue itself.
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return `[${value}]`;
  } else if (typeof value === "boolean" || value === null) return `[${String(value)}]`;
  else if (value === undefined) return "-1";
  try {
    return stringify(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const path = typeof (error as { path?: unknown }).path === "string" ? (error as { path: string }).path : "";
    const at = path === "" ? "" : ` (at ${path})`;
    throw new OutputNotSerializableError(`${where} returned a value that can't be serialized: ${reason}${at}`, error);
  }
}

/** Decodes text made by `encodeValue`. */
export function decodeValue(text: string): unknown {
  return parse(text);
}
