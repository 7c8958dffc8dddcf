// Exhaustiveness check for unions on `kind`: adding a member without handling it is a compile error.
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
