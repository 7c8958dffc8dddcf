// `--param k=v` arguments → raw strings by name, before the pipeline's schema coerces and validates them.
import { WeirError } from "../common/errors.js";

export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new WeirError("param_invalid", `--param ${JSON.stringify(arg)} must look like name=value`);
    const name = arg.slice(0, eq);
    if (name in raw) throw new WeirError("param_invalid", `--param ${name} is given twice`, { where: { param: name } });
    raw[name] = arg.slice(eq + 1);
  }
  return raw;
}
