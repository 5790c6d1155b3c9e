// Volcengine's GET actions take every parameter in the query, and the caller flattens lists to
// 1-based `Name.N`, `Name.N.Field`, `Name.N.Sub.M` (as the Go SDK and terraform-provider-volcengine do).
// The Node SDK would turn a raw array into repeated keys and a nested object into an empty value.

export type ParamValue = string | number | boolean | undefined | null | ParamObject | ParamValue[];
export interface ParamObject {
  [key: string]: ParamValue;
}

export function flattenParams(params: ParamObject): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: ParamValue): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(`${prefix}.${i + 1}`, item));
    } else if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else {
      out[prefix] = String(value);
    }
  };
  walk("", params);
  return out;
}
