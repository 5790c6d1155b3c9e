// Reading the flattened GET parameters (`Name.N`, `Name.N.Field`, `Name.N.Sub.M`) back into values.

export type Flat = Record<string, string>;

/** `InstanceIds.1`, `InstanceIds.2`, … in index order. */
export function list(p: Flat, name: string): string[] {
  return indexed(p, name)
    .map(([, key]) => p[key])
    .filter((v): v is string => v !== undefined);
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

function indexed(p: Flat, name: string): [number, string][] {
  const re = new RegExp(`^${name.replace(/\./g, "\\.")}\\.(\\d+)$`);
  return Object.keys(p)
    .map((k) => [Number(re.exec(k)?.[1]), k] as [number, string])
    .filter(([n]) => Number.isInteger(n) && n >= 1)
    .sort((a, b) => a[0] - b[0]);
}

export function flatFromQuery(query: Map<string, string[]>): Flat {
  const out: Flat = {};
  for (const [k, vs] of query) out[k] = vs[vs.length - 1];
  return out;
}
