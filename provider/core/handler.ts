// The shape every resource implements. Handlers are plain modules loaded by name at run time
// (see ../dynamic.ts); they are never serialized into state.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../config";

export interface HandlerContext {
  /** The stack config handed to `configure`, when the engine ran it; env vars otherwise. */
  config?: ConfigSource;
}

export interface ResourceHandler {
  check(olds: Record<string, any>, news: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: Record<string, any>, news: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.ReadResult>;
  update?(id: string, olds: Record<string, any>, news: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: Record<string, any>, ctx: HandlerContext): Promise<void>;
}

/** Deep equality of JSON-like values (inputs and outputs are plain JSON). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as any)[k] !== undefined)
        .map((k) => [k, canonical((v as any)[k])]),
    );
  }
  return v;
}

/**
 * Compares the input keys of olds (prior outputs, which carry the inputs) and news. Keys in
 * `replaceKeys` force replacement; keys starting with "__" are bookkeeping and never a change.
 */
export function diffInputs(
  olds: Record<string, any>,
  news: Record<string, any>,
  opts: { inputKeys: string[]; replaceKeys: string[]; deleteBeforeReplace?: boolean },
): pulumi.dynamic.DiffResult {
  const changed = opts.inputKeys.filter((k) => !k.startsWith("__") && !sameValue(olds[k], news[k]));
  const replaces = changed.filter((k) => opts.replaceKeys.includes(k));
  return {
    changes: changed.length > 0,
    replaces,
    stables: opts.inputKeys.filter((k) => !changed.includes(k)),
    deleteBeforeReplace: replaces.length > 0 && Boolean(opts.deleteBeforeReplace),
  };
}

/**
 * A create that failed after the cloud acted and could not be undone: the engine records the resource
 * as created-with-errors (an initialization failure) so nothing is orphaned; the next `up` retries it.
 */
export function partialResource(id: string, properties: Record<string, any>, reasons: string[]): Error {
  const err = new Error(reasons.join("; ")) as Error & { id: string; properties: Record<string, any>; reasons: string[] };
  err.id = id;
  err.properties = properties;
  err.reasons = reasons;
  return err;
}

/** The input keys of a property bag: drops the engine's bookkeeping and the computed outputs. */
export function pickInputs(props: Record<string, any>, inputKeys: string[]): Record<string, any> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => inputKeys.includes(k)));
}
