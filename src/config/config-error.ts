// The one error of a bad config: code config_invalid (exit 2), the file (and line) first, then the field.
import { WeirError } from "../common/errors.js";

export function configError(file: string, problem: string): WeirError {
  return new WeirError("config_invalid", `${file}: ${problem}`);
}
