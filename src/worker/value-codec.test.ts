import { stringify } from "devalue";
import { describe, expect, it } from "vitest";
import { WeirError } from "../common/errors.js";
import { decodeValue, encodeValue } from "./value-codec.js";

describe("value codec", () => {
  it("round-trips what JSON loses", () => {
    const cyclic: Record<string, unknown> = { name: "c" };
    cyclic.self = cyclic;
    const value = {
      date: new Date(Date.UTC(2025, 8, 1)),
      big: 12345678901234567890n,
      map: new Map<unknown, unknown>([[1, { a: new Set(["x"]) }]]),
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5]),
      missing: undefined,
      nan: NaN,
      negZero: -0,
      cyclic,
    };
    const back = decodeValue(encodeValue(value, `task "t"`)) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect((back.cyclic as { self: unknown }).self).toBe(back.cyclic);
    expect(decodeValue(encodeValue(undefined, "x"))).toBeUndefined();
  });

  it("writes plain numbers, booleans, null and undefined exactly as devalue does", () => {
    const values: unknown[] = [0, 1, -1, 2000, 0.1, -2.5, 1e21, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, -0, NaN, Infinity, -Infinity, true, false, null, undefined];
    for (const value of values) {
      expect(encodeValue(value, "x")).toBe(stringify(value));
      expect(Object.is(decodeValue(encodeValue(value, "x")), value)).toBe(true);
    }
  });

  it("turns a Buffer into a Uint8Array with the same bytes", () => {
    const back = decodeValue(encodeValue({ b: Buffer.from("héllo") }, "x")) as { b: Uint8Array };
    expect(back.b).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back.b).toString()).toBe("héllo");
  });

  it("refuses functions, class instances and symbols with the task and the path", () => {
    class Conn {
      x = 1;
    }
    const cases: [unknown, string][] = [
      [{ rows: [{ conn: new Conn() }] }, `task "extract" returned a value that can't be serialized: Cannot stringify arbitrary non-POJOs (at .rows[0].conn)`],
      [{ f: () => 1 }, `task "extract" returned a value that can't be serialized: Cannot stringify a function (at .f)`],
      [new Map([["k", Symbol("s")]]), `task "extract" returned a value that can't be serialized: Cannot stringify a Symbol primitive (at .get("k"))`],
      [new Conn(), `task "extract" returned a value that can't be serialized: Cannot stringify arbitrary non-POJOs`],
    ];
    for (const [value, message] of cases) {
      let caught: unknown;
      try {
        encodeValue(value, `task "extract"`);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WeirError);
      expect((caught as WeirError).code).toBe("output_not_serializable");
      expect((caught as WeirError).message).toBe(message);
    }
  });
});
