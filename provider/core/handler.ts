// The shape every resource implements: Pulumi's `dynamic.ResourceProvider<Inputs, Outputs>`, typed end
// to end from the zod-inferred input type and the resource's output type, plus the per-provider context
// (stack config from `configure`). Handlers are plain modules loaded by name at run time (see
// ../dynamic.ts); they are never serialized into state.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../config";
import { sameValue } from "./json";

export { canonical, sameValue } from "./json";

export interface HandlerContext {
  /** The stack config handed to `configure`, when the engine ran it; env vars otherwise. */
  config?: ConfigSource;
}

/** Outputs always carry the inputs (read and diff see only outputs), plus what the cloud reports. */
export type Outs<I, O> = I & O & { __provider?: string };

export interface ResourceHandler<I extends object = Record<string, any>, O extends object = Record<string, any>> {
  /** Validates and normalises inputs at preview; `olds` are the prior inputs (empty for a first create). */
  check(olds: Record<string, any>, news: Record<string, any>, ctx: HandlerContext): Promise<pulumi.dynamic.CheckResult<I>>;
  diff(id: string, olds: Outs<I, O>, news: I, ctx: HandlerContext): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: I, ctx: HandlerContext): Promise<pulumi.dynamic.CreateResult<Outs<I, O>>>;
  read(id: string, props: Outs<I, O>, ctx: HandlerContext): Promise<pulumi.dynamic.ReadResult<Outs<I, O>>>;
  update?(id: string, olds: Outs<I, O>, news: I, ctx: HandlerContext): Promise<pulumi.dynamic.UpdateResult<Outs<I, O>>>;
  delete(id: string, props: Outs<I, O>, ctx: HandlerContext): Promise<void>;
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
