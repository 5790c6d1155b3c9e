// Reading the flattened GET parameters (`Name.N`, `Name.N.Field`, `Name.N.Sub.M`) back into values: the
// one parsing base every Volcengine action uses (moto's `_get_param` family).
import { ApiError, invalidParameter, missingParameter } from "./errors";

export type Flat = Record<string, string>;

/** `InstanceIds.1`, `InstanceIds.2`, … in index order. */
export function list(p: Flat, name: string, max?: number): string[] {
  const out = indexed(p, name)
    .map(([, key]) => p[key])
    .filter((v): v is string => v !== undefined);
  if (max !== undefined && out.length > max) throw invalidParameter(`${name}.N`, `at most ${max} values`);
  return out;
}

/** `Tags.1.Key`/`Tags.1.Value`, … → [{Key, Value}] (sub-fields as a flat record per item). */
export function objects(p: Flat, name: string): Flat[] {
  const byIndex = new Map<number, Flat>();
  const prefix = `${name}.`;
  for (const [k, v] of Object.entries(p)) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    const dot = rest.indexOf(".");
    if (dot < 0) continue;
    const n = Number(rest.slice(0, dot));
    if (!Number.isInteger(n) || n < 1) continue;
    const item = byIndex.get(n) ?? {};
    item[rest.slice(dot + 1)] = v;
    byIndex.set(n, item);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** The `Name.M` values inside one object of `objects()` (e.g. a TagFilter's `Values.M`). */
export function subList(item: Flat, name: string): string[] {
  return indexed(item, name).map(([, k]) => item[k]);
}

function indexed(p: Flat, name: string): [number, string][] {
  const re = new RegExp(`^${name.replace(/\./g, "\\.")}\\.(\\d+)$`);
  return Object.keys(p)
    .map((k) => [Number(re.exec(k)?.[1]), k] as [number, string])
    .filter(([n]) => Number.isInteger(n) && n >= 1)
    .sort((a, b) => a[0] - b[0]);
}

export function flatFromQuery(query: Map<string, string[]>): Flat {
  const out: Flat = Object.create(null);
  for (const [k, vs] of query) out[k] = vs[vs.length - 1];
  return out;
}

export function required(p: Flat, name: string): string {
  const v = p[name];
  if (v === undefined || v === "") throw missingParameter(name);
  return v;
}

export function int(p: Flat, name: string, min: number, max: number, dflt?: number): number | undefined {
  const raw = p[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidParameter(name, `an integer from ${min} to ${max} is expected`);
  return n;
}

export function bool(p: Flat, name: string, dflt: boolean): boolean {
  const raw = p[name];
  if (raw === undefined || raw === "") return dflt;
  if (raw !== "true" && raw !== "false") throw invalidParameter(name, "true or false is expected");
  return raw === "true";
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Tags.N.Key / Tags.N.Value (RunInstances, CreateImage, CreateTags …: at most 20). */
/** Tag keys and values: language characters, digits, spaces and _ . : / = + - @ (docs 6396/76275, Tags.N.Key/Value). */
const TAG_CHARS = /^[\p{L}\p{N} _.:/=+\-@]*$/u;

export function tagsParam(p: Flat, name = "Tags"): { Key: string; Value: string }[] {
  const tags = objects(p, name).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
  for (const t of tags) if (!t.Key || t.Key.length > 128 || t.Value.length > 256) throw invalidParameter(`${name}.N.Key`, "keys are 1-128 characters, values at most 256");
  for (const t of tags) if (!TAG_CHARS.test(t.Key) || !TAG_CHARS.test(t.Value)) throw invalidParameter(`${name}.N.Value`, "tags take only letters, digits, spaces and _ . : / = + - @");
  if (tags.length > 20) throw invalidParameter(`${name}.N`, `at most 20 tags, got ${tags.length}`);
  return tags;
}

/** NextToken/MaxResults paging: the token is opaque (here, the offset of the next item). */
export function page<T>(items: T[], p: Flat, max: number, dflt: number): { items: T[]; NextToken: string } {
  const size = int(p, "MaxResults", 1, max, dflt)!;
  const offset = p.NextToken ? Number(Buffer.from(p.NextToken, "base64url").toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter("NextToken", "not a token this API issued");
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString("base64url") : "";
  return { items: slice, NextToken: next };
}

/** PageNumber/PageSize paging (storage_ebs). */
export function pageByNumber<T>(items: T[], p: Flat, max: number, dflt: number): { items: T[]; PageNumber: number; PageSize: number; TotalCount: number } {
  const size = int(p, "PageSize", 1, max, dflt)!;
  const number = int(p, "PageNumber", 1, 1_000_000, 1)!;
  return { items: items.slice((number - 1) * size, number * size), PageNumber: number, PageSize: size, TotalCount: items.length };
}

/**
 * TagFilters.N.Key / .Values.M (DescribeInstances: ≤ 10 keys with ≤ 3 values each, API-NOTES
 * "Corrections"); a filter without values matches any value of the key.
 */
export function matchesTagFilters(tags: { Key: string; Value: string }[], p: Flat, limits = { keys: 10, values: 3 }): boolean {
  const filters = objects(p, "TagFilters");
  if (filters.length > limits.keys) throw invalidParameter("TagFilters", `at most ${limits.keys} keys`);
  return filters.every((f) => {
    const values = subList(f, "Values");
    if (values.length > limits.values) throw invalidParameter("TagFilters.N.Values", `at most ${limits.values} values per key`);
    return tags.some((t) => t.Key === f.Key && (values.length === 0 || values.includes(t.Value)));
  });
}

export { ApiError };
