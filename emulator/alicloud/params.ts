// Reading an Alibaba RPC request's flat parameters: `Name.N` lists, `Tag.N.Key` objects, the JSON-array
// strings some ECS APIs take (InstanceIds, DiskIds, SnapshotIds), booleans, integers and pagination.
import { AcsError, missing } from "./errors";
import type { AlicloudModel } from "./models";

export type Query = Record<string, string>;

/** One API action: flat parameters in, the response body out (the service adds RequestId). */
export type Handler = (q: Query, m: AlicloudModel) => object;

export function required(q: Query, name: string): string {
  const v = q[name];
  if (v === undefined || v === "") throw missing(name);
  return v;
}

/** `Name.1`, `Name.2`, … in index order. */
export function list(q: Query, name: string): string[] {
  const re = new RegExp(`^${name.replace(/\./g, "\\.")}\\.(\\d+)$`);
  return Object.keys(q)
    .map((k) => [Number(re.exec(k)?.[1]), k] as const)
    .filter(([n]) => Number.isInteger(n) && n >= 1)
    .sort((a, b) => a[0] - b[0])
    .map(([, k]) => q[k]);
}

/** `Tag.N.Key` / `Tag.N.Value` → [{Key, Value}] in index order. */
export function tags(q: Query, name = "Tag"): { Key: string; Value: string }[] {
  const byIndex = new Map<number, { Key: string; Value: string }>();
  const re = new RegExp(`^${name}\\.(\\d+)\\.(Key|Value)$`);
  for (const [k, v] of Object.entries(q)) {
    const m = re.exec(k);
    if (!m) continue;
    const item = byIndex.get(Number(m[1])) ?? { Key: "", Value: "" };
    item[m[2] as "Key" | "Value"] = v;
    byIndex.set(Number(m[1]), item);
  }
  const out = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  for (const t of out) if (!t.Key || t.Key.length > 128 || /^(aliyun|acs:)/i.test(t.Key)) throw new AcsError("InvalidTagKey.Malformed", 400, "The specified Tag.n.Key is not valid.");
  if (new Set(out.map((t) => t.Key)).size < out.length) throw new AcsError("Duplicate.TagKey", 400, "The Tag.N.Key contain duplicate key.");
  return out;
}

/** A parameter the API takes as a JSON array string, e.g. InstanceIds=["i-1","i-2"]. */
export function jsonList(q: Query, name: string, malformed: AcsError): string[] {
  const raw = q[name];
  if (raw === undefined || raw === "") return [];
  try {
    const v = JSON.parse(raw);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // the cloud answers with its own code below
  }
  throw malformed;
}

/** "true"/"false" (any case), or the default when absent. */
export function bool(q: Query, name: string, dflt: boolean): boolean {
  const v = q[name];
  if (v === undefined || v === "") return dflt;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new AcsError(`InvalidParameter.${name}`, 400, `The specified parameter ${name} is not a boolean.`);
}

/** A whole number within [min, max], or the default when absent. */
export function int(q: Query, name: string, opts: { min: number; max: number; dflt?: number; error?: AcsError }): number | undefined {
  const v = q[name];
  if (v === undefined || v === "") return opts.dflt;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < opts.min || n > opts.max) {
    throw opts.error ?? new AcsError(`InvalidParameter.${name}`, 400, `The specified parameter ${name} must be a whole number from ${opts.min} to ${opts.max}.`);
  }
  return n;
}

export interface Page<T> {
  items: T[];
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
  NextToken: string;
}

/**
 * Both paging styles the ECS APIs accept: PageNumber/PageSize and NextToken/MaxResults (the token is
 * opaque to callers; here it is the offset of the next item).
 */
export function paginate<T>(q: Query, items: T[], opts: { maxPageSize: number; defaultPageSize?: number; errors?: { pageSize?: AcsError; pageNumber?: AcsError } }): Page<T> {
  const dflt = opts.defaultPageSize ?? 10;
  const useToken = q.NextToken !== undefined || q.MaxResults !== undefined;
  const size = useToken
    ? int(q, "MaxResults", { min: 1, max: opts.maxPageSize, dflt, error: opts.errors?.pageSize })!
    : int(q, "PageSize", { min: 1, max: opts.maxPageSize, dflt, error: opts.errors?.pageSize })!;
  let start = 0;
  let pageNumber = 1;
  if (useToken && q.NextToken) {
    start = Number.parseInt(Buffer.from(q.NextToken, "base64url").toString("utf8"), 10);
    if (!Number.isInteger(start) || start < 0) throw new AcsError("InvalidParameter.NextToken", 400, "The specified NextToken is not valid.");
    pageNumber = Math.floor(start / size) + 1;
  } else if (!useToken) {
    pageNumber = int(q, "PageNumber", { min: 1, max: 100_000, dflt: 1, error: opts.errors?.pageNumber })!;
    start = (pageNumber - 1) * size;
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    TotalCount: items.length,
    PageNumber: pageNumber,
    PageSize: size,
    NextToken: useToken && end < items.length ? Buffer.from(String(end)).toString("base64url") : "",
  };
}
