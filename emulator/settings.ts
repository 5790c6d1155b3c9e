// Checking what the admin API and `startEmulator` take from outside: every cloud's settings, fault rules,
// clock moves. One helper for all of them, so each refuses bad input the same way — a 400 naming the
// field and what it takes — and nothing unchecked reaches a model (where one `{"stockOut": 5}` used to
// break every later request until a reset).
// Prototype-safe by construction: only own keys are read, keys are looked up with Object.hasOwn (so
// "__proto__" or "constructor" are just unknown names), and every value is returned as a fresh copy
// built with Object.fromEntries, never the caller's object.

/** Bad admin input or option: the front answers it as 400 {error: "InvalidParameter", message}. */
export class BadInput extends Error {
  readonly code = "InvalidParameter";
  readonly status = 400;
}

/** Checks one value (`name` says where it is, for the message) and returns a clean copy, or throws BadInput. */
export type Check<T> = (value: unknown, name: string) => T;

/** A check per key of T. */
export type Schema<T> = { [K in keyof T]-?: Check<T[K]> };

export const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Names that would reach Object.prototype machinery if ever used as a plain property name. */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

function bad(message: string): never {
  throw new BadInput(message);
}

export const is = {
  string:
    (opts: { nonEmpty?: boolean } = {}): Check<string> =>
    (v, name) => {
      if (typeof v !== "string") bad(`${name} takes a string.`);
      if (opts.nonEmpty && !v) bad(`${name} must not be empty.`);
      return v;
    },

  boolean: ((v, name) => (typeof v === "boolean" ? v : bad(`${name} takes a boolean.`))) as Check<boolean>,

  /** A finite number within min (default 0) .. max (default none). */
  number:
    (opts: { min?: number; max?: number; integer?: boolean } = {}): Check<number> =>
    (v, name) => {
      const { min = 0, max = Infinity, integer = false } = opts;
      if (typeof v !== "number") bad(`${name} takes a number.`);
      const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
      if (!(Number.isFinite(v) && v >= min && v <= max)) bad(`${name} must be a finite number ${range}, got ${v}.`);
      if (integer && !Number.isInteger(v)) bad(`${name} must be a whole number, got ${v}.`);
      return v;
    },

  oneOf:
    <T extends string>(...values: T[]): Check<T> =>
    (v, name) =>
      values.includes(v as T) ? (v as T) : bad(`${name} is one of ${values.join(", ")}.`),

  list:
    <T>(item: Check<T>, opts: { min?: number } = {}): Check<T[]> =>
    (v, name) => {
      if (!Array.isArray(v)) bad(`${name} takes a list.`);
      if (v.length < (opts.min ?? 0)) bad(`${name} needs at least ${opts.min} item(s).`);
      return v.map((x, i) => item(x, `${name}[${i}]`));
    },

  /** An object used as a map (name → value), e.g. spot prices per instance type. */
  record:
    <T>(value: Check<T>): Check<Record<string, T>> =>
    (v, name) => {
      if (!isPlainObject(v)) bad(`${name} takes an object of name → value.`);
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (!k || RESERVED.has(k)) bad(`${name} cannot have an entry named "${k}".`);
          return [k, value(x, `${name}["${k}"]`)];
        }),
      );
    },

  /** An object with known fields only; every field is required unless listed in `optional`. */
  shape:
    <T>(fields: Schema<T>, optional: (keyof T)[] = []): Check<T> =>
    (v, name) =>
      checkObject(v, fields, optional, {
        whole: name,
        field: (k) => `${name}.${k}`,
        unknown: (k, known) => `${name} has no field ${k}; it takes ${known.join(", ")}.`,
      }) as T,
};

interface Wording {
  whole: string;
  field(k: string): string;
  unknown(k: string, known: string[]): string;
}

function checkObject<T>(v: unknown, fields: Schema<T>, optional: (keyof T)[], say: Wording): Partial<T> {
  if (!isPlainObject(v)) bad(`${say.whole} takes a JSON object.`);
  const known = Object.keys(fields);
  const out: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (!Object.hasOwn(fields, k)) bad(say.unknown(k, known));
    if (x !== undefined) out.push([k, (fields as Record<string, Check<unknown>>)[k](x, say.field(k))]);
  }
  for (const k of known) {
    if (!optional.includes(k as keyof T) && !out.some(([o]) => o === k)) bad(`${say.whole} needs ${k}.`);
  }
  return Object.fromEntries(out) as Partial<T>;
}

/**
 * A settings patch (admin `POST <cloud>/settings`, or `startEmulator` options): known keys only, each
 * checked by the cloud's schema; returns the clean patch to apply with Object.assign.
 */
export function validateSettings<T>(patch: unknown, schema: Schema<T>): Partial<T> {
  return checkObject(patch, schema, Object.keys(schema) as (keyof T)[], {
    whole: "Settings",
    field: (k) => `Setting ${k}`,
    unknown: (k, known) => `Unknown setting ${k}; settings are ${known.join(", ")}.`,
  });
}
