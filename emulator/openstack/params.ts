// Reading OpenStack requests: the JSON body, the query string, and typed fields of either. Each service
// passes its own error factory, so a bad field is answered in that service's shape (Nova badRequest,
// Keystone's {"error"}, Neutron's NeutronError, Glance's webob document).
import type { EmulatorRequest } from "../service";
import type { OpenStackError } from "./errors";

export type Bad = (message: string) => OpenStackError;

/** The request's query: every value of every key (Glance takes `tag=a&tag=b`). */
export class Query {
  private readonly params: URLSearchParams;
  constructor(raw: string) {
    this.params = new URLSearchParams(raw);
  }
  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }
  all(name: string): string[] {
    return this.params.getAll(name);
  }
  keys(): string[] {
    return [...new Set(this.params.keys())];
  }
  has(name: string): boolean {
    return this.params.has(name);
  }
}

/** A JSON object body (an empty body is `{}`), or the service's 400. */
export function jsonBody(req: EmulatorRequest, bad: Bad): Record<string, unknown> {
  if (!req.body.length) return {};
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw bad("Malformed request body.");
  }
  if (!isObject(v)) throw bad("The request body must be a JSON object.");
  return v;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Own-property lookup: a body's "__proto__" or "constructor" is never read through the prototype. */
export function field(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

export function object(obj: Record<string, unknown>, name: string, bad: Bad, opts: { required?: boolean; nullable?: boolean } = {}): Record<string, unknown> | undefined {
  const v = field(obj, name);
  if (v === undefined || (v === null && opts.nullable)) {
    if (opts.required) throw bad(`'${name}' is a required property`);
    return undefined;
  }
  if (!isObject(v)) throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'object'`);
  return v;
}

export function string(obj: Record<string, unknown>, name: string, bad: Bad, opts: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
  const v = field(obj, name);
  if (v === undefined) {
    if (opts.required) throw bad(`'${name}' is a required property`);
    return undefined;
  }
  if (typeof v !== "string") throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'string'`);
  if (opts.min !== undefined && v.length < opts.min) throw bad(`Invalid input for field/attribute ${name}. Value: ${v}. '${v}' is too short`);
  if (opts.max !== undefined && v.length > opts.max) throw bad(`Invalid input for field/attribute ${name}. Value: ${v}. '${v}' is too long`);
  return v;
}

/** An integer (or its decimal string, as Nova's schemas accept) within [min, max]. */
export function integer(obj: Record<string, unknown>, name: string, bad: Bad, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = field(obj, name);
  if (v === undefined) {
    if (opts.required) throw bad(`'${name}' is a required property`);
    return undefined;
  }
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'integer', 'string'`);
  if (opts.min !== undefined && n < opts.min) throw bad(`Invalid input for field/attribute ${name}. Value: ${v}. ${v} is less than the minimum of ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw bad(`Invalid input for field/attribute ${name}. Value: ${v}. ${v} is greater than the maximum of ${opts.max}`);
  return n;
}

/** Flat string → string map (metadata), each key and value a string of 1..255 / 0..255 characters. */
export function stringMap(obj: Record<string, unknown>, name: string, bad: Bad): Record<string, string> | undefined {
  const v = object(obj, name, bad);
  if (!v) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string" || k.length < 1 || k.length > 255 || val.length > 255) throw bad(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(v)}.`);
    out[k] = val;
  }
  return { ...out };
}
