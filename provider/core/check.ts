// Input validation at `check` time (preview), before any API call, with zod. Each failure names the
// field and says how to fix it. Unknown inputs (values not yet known at preview) are skipped: they are
// checked again at `up`, when they are known.
import { z } from "zod";
import { parseDuration } from "./waiter";

/** The engine's marker for a value that is not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

function unknownPaths(value: unknown, path: string[] = [], out: string[] = []): string[] {
  if (value === UNKNOWN) out.push(path.join("."));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) unknownPaths(v, [...path, k], out);
  }
  return out;
}

/**
 * Validates `news` against `schema`. Returns the parsed inputs (defaults applied) when everything is
 * known, the raw news when something is unknown, and the failures either way.
 */
export function checkInputs<S extends z.ZodType>(
  schema: S,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider, ...rest } = news;
  const unknowns = unknownPaths(rest);
  const result = schema.safeParse(rest);
  if (result.success) {
    const inputs = unknowns.length ? { ...rest } : (result.data as Record<string, unknown>);
    return { inputs, failures: [] };
  }
  const failures: CheckFailure[] = [];
  for (const issue of result.error.issues) {
    const property = issue.path.map(String).join(".");
    // A failure at or under an unknown value is not a failure yet.
    if (unknowns.some((u) => property === u || property.startsWith(`${u}.`) || u === "")) continue;
    if (unknowns.some((u) => u.startsWith(`${property}.`)) && issue.code === "custom") continue;
    failures.push({ property: property || "(inputs)", reason: issue.message });
  }
  return { inputs: rest, failures };
}

/** Throws one readable error listing every failure (for callers outside `check`, e.g. the CLI). */
export function assertValid(resource: string, failures: CheckFailure[]): void {
  if (failures.length === 0) return;
  throw new Error(`${resource}: invalid inputs:\n${failures.map((f) => `  - ${f.property}: ${f.reason}`).join("\n")}`);
}

const duration = (field: string) =>
  z.string().refine((s) => parseDuration(s) !== undefined, { message: `${field} must be a duration such as "10m", "90s" or "1h30m"` });

/** `timeouts` inputs: Pulumi's customTimeouts do not reach dynamic providers, so resources take these. */
export const timeoutsSchema = z
  .object({ create: duration("timeouts.create").optional(), update: duration("timeouts.update").optional(), delete: duration("timeouts.delete").optional() })
  .strict();
