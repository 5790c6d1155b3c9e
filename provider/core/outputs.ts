// The dynamic-provider host cannot encode undefined, BigInt or Date: an output carrying one fails the
// call after the cloud already acted (a leak). Every resource passes its outs through `plain`.

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

export function plain(value: unknown): any {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (Array.isArray(value)) return value.map((v) => plain(v) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as object)) {
    const p = plain(v);
    if (p !== undefined) out[k] = p;
  }
  return out;
}
