// What a promise rejected with, as a test compares it: a WeirError's stable code, else the error's text.
import { WeirError } from "../../src/common/errors.js";

/** null when the promise resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return error instanceof WeirError ? error.code : String(error);
  }
}
