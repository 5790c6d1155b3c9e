// Input validation at `check` time (preview), before any API call, with zod. Every failure names the
// field and says how to fix it, in our words: no validator jargon reaches the user ("expected int,
// received number"), a wrong type says what type is wanted, an unknown key suggests the nearest valid
// one, and no message ever quotes the value (it may be a secret, or 100 KB of user data).
// Unknown inputs (values not known during preview) are skipped: they are checked again at `up`.
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import type * as pulumi from "@pulumi/pulumi";
import { nextSalt } from "./tokens";
import { parseDuration } from "./waiter";

/** The engine's marker for a value that is not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

function unknownPaths(value: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  if (value === UNKNOWN) out.push(fieldName(path));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) unknownPaths(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

/** `dataVolumes[0].size`: the path as a user writes it. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object of names to values",
};

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "number" && !Number.isInteger(v)) return "a fraction";
  return { string: "a string", number: "a number", boolean: "a boolean", object: "an object" }[typeof v as string] ?? typeof v;
}

/** The schema of the object at `path`, to suggest valid keys. */
function objectShapeAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: any = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && s; i++) {
      const def = s._zod?.def;
      if (!def) return;
      if (def.type === "optional" || def.type === "default" || def.type === "nullable" || def.type === "prefault") s = def.innerType;
      else if (def.type === "pipe") s = def.in;
      else return;
    }
  };
  unwrap();
  for (const p of path) {
    const def = s?._zod?.def;
    if (def?.type === "object") s = def.shape[String(p)];
    else if (def?.type === "array") s = def.element;
    else return [];
    unwrap();
  }
  const def = s?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape).filter((k) => !k.startsWith("__")) : [];
}

/** Our words for one zod issue; `label` is the field as the user wrote it. */
function reason(issue: z.core.$ZodIssue, label: string, schema: z.ZodType): string[] {
  const i = issue as any;
  const custom = i.message && !/^(Invalid input|Invalid option|Too (small|big)|Invalid string|Unrecognized key|Invalid key|Invalid element|Invalid value|Invalid)/.test(i.message);
  switch (issue.code) {
    case "invalid_type":
      if (i.input === undefined) return [custom ? i.message : `${label} is required`];
      return [`${label} must be ${TYPE_WORDS[i.expected] ?? i.expected}, not ${typeOf(i.input)}`];
    case "unrecognized_keys": {
      const valid = objectShapeAt(schema, issue.path);
      return (i.keys as string[]).map((k) => {
        const near = valid.length ? closest(k, valid) : undefined;
        const hint = near && distance(k.toLowerCase(), near.toLowerCase()) <= Math.max(2, Math.floor(near.length / 3)) ? `; did you mean ${near}?` : valid.length ? `; valid inputs here are ${valid.join(", ")}` : "";
        return `${label ? `${label}.` : ""}${k} is not a known input${hint}`;
      });
    }
    case "invalid_key": {
      const inner = (i.issues ?? []).find((x: any) => x.message && !/^Invalid/.test(x.message));
      return [inner ? inner.message : `${label}: the key is not valid`];
    }
    case "invalid_element":
      return [`${label}: an element is not valid`];
  }
  if (custom) return [i.message];
  switch (issue.code) {
    case "invalid_value":
      return [`${label} must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`];
    case "too_small":
      return [i.origin === "string" ? `${label} must have at least ${i.minimum} characters` : i.origin === "array" ? `${label} needs at least ${i.minimum} items` : `${label} must be at least ${i.minimum}`];
    case "too_big":
      return [i.origin === "string" ? `${label} takes at most ${i.maximum} characters` : i.origin === "array" ? `${label} takes at most ${i.maximum} items` : `${label} must be at most ${i.maximum}`];
    case "invalid_format":
      return [`${label} is not in the expected format`];
    case "not_multiple_of":
      return [`${label} must be a multiple of ${i.divisor}`];
    default:
      return [`${label} is not valid`];
  }
}

/**
 * Validates `news` against `schema`. Returns the parsed inputs (defaults applied) when everything is
 * known, the raw news when something is unknown, and the failures either way.
 */
export function checkInputs<S extends z.ZodType>(schema: S, news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider, ...rest } = news;
  const unknowns = unknownPaths(rest);
  const result = schema.safeParse(rest, { reportInput: true } as any);
  if (result.success) {
    const inputs = unknowns.length ? { ...rest } : (result.data as Record<string, unknown>);
    return { inputs, failures: [] };
  }
  const failures: CheckFailure[] = [];
  for (const issue of result.error.issues) {
    const property = fieldName(issue.path);
    // A failure at or under an unknown value is not a failure yet.
    if (unknowns.some((u) => u === "" || property === u || property.startsWith(`${u}.`) || property.startsWith(`${u}[`))) continue;
    if (issue.code === "custom" && unknowns.some((u) => u.startsWith(`${property}.`) || u.startsWith(`${property}[`) || property === "")) continue;
    const keys = issue.code === "unrecognized_keys" ? ((issue as any).keys as string[]) : [undefined];
    reason(issue, property, schema).forEach((r, n) => failures.push({ property: keys[n] ? fieldName([...issue.path, keys[n]!]) : property || "(inputs)", reason: r }));
  }
  return { inputs: rest, failures };
}

/**
 * A handler's whole `check`: validate, give a create its token salt (`salted`: see core/tokens.ts), and
 * carry the serialized provider through.
 */
export function checkResource<S extends z.ZodType>(schema: S, olds: Record<string, any>, news: Record<string, any>, o: { salted?: boolean } = {}): pulumi.dynamic.CheckResult<z.infer<S>> {
  const { inputs, failures } = checkInputs(schema, news);
  const salt = o.salted && failures.length === 0 ? nextSalt(olds) : undefined;
  // The host cannot encode undefined: a first create simply has no salt key.
  if (salt !== undefined) inputs.__tokenSalt = salt;
  return { inputs: { ...inputs, __provider: news.__provider } as z.infer<S>, failures };
}

/** Throws one readable error listing every failure (for callers outside `check`, e.g. the CLI). */
export function assertValid(resource: string, failures: CheckFailure[]): void {
  if (failures.length === 0) return;
  throw new Error(`${resource}: invalid inputs:\n${failures.map((f) => `  - ${f.property}: ${f.reason}`).join("\n")}`);
}

export const duration = (field: string, opts: { min?: string } = {}) =>
  z.string().refine(
    (s) => {
      const ms = parseDuration(s);
      return ms !== undefined && ms >= (opts.min ? parseDuration(opts.min)! : 0);
    },
    { message: `${field} must be a duration such as "10m", "90s" or "1h30m"${opts.min ? `, at least "${opts.min}"` : ""}` },
  );

/** `timeouts` inputs: Pulumi's customTimeouts do not reach dynamic providers, so resources take these. */
export const timeoutsSchema = z
  .object({ create: duration("timeouts.create").optional(), update: duration("timeouts.update").optional(), delete: duration("timeouts.delete").optional() })
  .strict();

export type Timeouts = z.infer<typeof timeoutsSchema>;
