// Writes emulator/alicloud/spec.json from the official Alibaba Cloud TypeScript SDKs' own models:
// @alicloud/ecs20140526 (ECS 2014-05-26, Cloud Assistant included) and @alicloud/ram20150501 (RAM 2015-05-01).
//
//   npx ts-node --transpile-only tools/specgen/alicloud.ts      (npm run specgen runs it)
//
// Where each fact comes from — nothing here is hand-written about the API:
// - actions, wire names, query-vs-body, and which parameters are sent as JSON strings: the client itself.
//   Each `<action>WithOptions(request, runtime)` is called once per request field, with only that field
//   set, and the SDK's `callApi` replaced by a recorder, so the names are those the SDK really puts on
//   the wire (after `OpenApiUtil.query` flattening and the "Shrink" JSON encoding), e.g. the lower-camel
//   `regionId` / `timePoints` of the auto-snapshot-policy APIs. Nothing is sent anywhere.
// - types: the models' `types()` maps (and `names()` for nested fields); 'number' is told apart into
//   integer and number by the Python models of ECS (tools/specgen/alicloud_numbers.py), which keep the
//   API metadata's int/float. RAM has no Python SDK installed here: its numbers stay "number".
// - required: the Python models' validate() has no validate_required in alibabacloud_ecs20140526 7.11.8
//   (nor do the TypeScript ones); the models' generated field documentation carries the API metadata's
//   required flag as "This parameter is required." — read from the TypeScript model sources.
// - response shapes: the `<Action>ResponseBody` models' `types()` / `names()`, as the JSON they parse.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
// --out PATH writes elsewhere (the tests regenerate into a temporary file and compare).
const OUT = process.argv.includes("--out") ? path.resolve(process.argv[process.argv.indexOf("--out") + 1]) : path.join(ROOT, "emulator/alicloud/spec.json");
const PY = path.join(ROOT, "tools/python/.venv/bin/python");
const PLACEHOLDERS = ["N", "M", "K", "L", "P"];

type Leaf = "string" | "integer" | "number" | "boolean" | "any";
interface Param {
  type: Leaf;
  /** The SDK sends this field as one JSON-encoded string ("Shrink" models), not flattened. */
  json?: "array" | "object";
  /** Sent in the form body, not the query (both reach the gateway as RPC parameters). */
  in?: "body";
}
type Shape = Leaf | Shape[] | { [k: string]: Shape };

interface Sdk {
  service: "ecs" | "ram";
  pkg: string;
  version: string;
  numbers: Record<string, Record<string, "int" | "float">>;
}

const SENTINEL = new Error("specgen: captured");

function loadNumbers(): { version: string; classes: Record<string, Record<string, "int" | "float">> } {
  const out = execFileSync(PY, [path.join(__dirname, "alicloud_numbers.py")], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}

/** "This parameter is required." per class and field, from the model sources' JSDoc. */
function requiredFields(pkg: string): Map<string, Set<string>> {
  const dir = path.join(ROOT, "node_modules", pkg, "src/models");
  const out = new Map<string, Set<string>>();
  const files = require("node:fs").readdirSync(dir) as string[];
  for (const f of files.filter((n) => n.endsWith(".ts"))) {
    const text = readFileSync(path.join(dir, f), "utf8");
    const parts = text.split(/export class (\w+) extends \$dara\.Model \{/);
    for (let i = 1; i < parts.length; i += 2) {
      const cls = parts[i];
      const body = parts[i + 1];
      const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??\s*:/g;
      for (let m = re.exec(body); m; m = re.exec(body)) {
        if (/This parameter is required\./.test(m[1])) {
          if (!out.has(cls)) out.set(cls, new Set());
          out.get(cls)!.add(m[2]);
        }
      }
    }
  }
  return out;
}

const isModel = (t: any): t is { name: string; names(): Record<string, string>; types(): Record<string, any> } => typeof t === "function" && typeof t.types === "function";

function leafOf(t: string, cls: string, wire: string, sdk: Sdk): Leaf {
  if (t === "string") return "string";
  if (t === "boolean") return "boolean";
  if (t === "any") return "any";
  if (t === "number") {
    const n = sdk.numbers[cls]?.[wire];
    return n === "int" ? "integer" : n === "float" ? "number" : "number";
  }
  throw new Error(`specgen: ${cls}.${wire}: unknown leaf type ${t}`);
}

/** A value of the field's type, for the recorder: every leaf present, one item per list. */
function sample(t: any): unknown {
  if (t === "string" || t === "any") return "S";
  if (t === "number") return 7;
  if (t === "boolean") return true;
  if (isModel(t)) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t.types())) fields[k] = sample(v);
    return new (t as any)(fields);
  }
  if (t && t.type === "array") return [sample(t.itemType)];
  if (t && t.type === "map") return { k: sample(t.valueType) };
  throw new Error(`specgen: no sample for type ${JSON.stringify(t)}`);
}

/** The flat wire keys a field's value takes (OpenApiUtil.query's rules), with the leaf types. */
function flatten(t: any, prefix: string, depth: number, cls: string, wire: string, sdk: Sdk, out: Record<string, Leaf>): void {
  if (isModel(t)) {
    const names = t.names();
    for (const [k, v] of Object.entries(t.types())) flatten(v, `${prefix}.${names[k]}`, depth, t.name, names[k], sdk, out);
  } else if (t && t.type === "array") {
    flatten(t.itemType, `${prefix}.${PLACEHOLDERS[depth]}`, depth + 1, cls, wire, sdk, out);
  } else if (t && t.type === "map") {
    flatten(t.valueType, `${prefix}.*`, depth, cls, wire, sdk, out);
  } else {
    out[prefix] = leafOf(t, cls, wire, sdk);
  }
}

/** Concrete captured key → pattern: numeric segments become N, M, …; the recorder's map key "k" becomes "*". */
function pattern(key: string): string {
  let i = 0;
  return key
    .split(".")
    .map((seg, n) => (/^\d+$/.test(seg) ? PLACEHOLDERS[i++] : n > 0 && seg === "k" ? "*" : seg))
    .join(".");
}

function shape(t: any, sdk: Sdk, cls: string, wire: string, seen: string[] = []): Shape {
  if (isModel(t)) {
    if (seen.includes(t.name)) return "any";
    const names = t.names();
    const out: Record<string, Shape> = {};
    for (const [k, v] of Object.entries(t.types())) out[names[k]] = shape(v, sdk, t.name, names[k], [...seen, t.name]);
    return out;
  }
  if (t && t.type === "array") return [shape(t.itemType, sdk, cls, wire, seen)];
  if (t && t.type === "map") return { "*": shape(t.valueType, sdk, cls, wire, seen) };
  return leafOf(t, cls, wire, sdk);
}

/** Required fields of nested models (e.g. `Tag.N.Key`), where their documentation marks them. */
function nestedRequired(t: any, prefix: string, depth: number, required: Map<string, Set<string>>, out: string[]): void {
  if (isModel(t)) {
    const names = t.names();
    const r = required.get(t.name) ?? new Set<string>();
    for (const [k, v] of Object.entries(t.types())) {
      if (r.has(k)) out.push(`${prefix}.${names[k]}`);
      nestedRequired(v, `${prefix}.${names[k]}`, depth, required, out);
    }
  } else if (t && t.type === "array") {
    nestedRequired(t.itemType, `${prefix}.${PLACEHOLDERS[depth]}`, depth + 1, required, out);
  }
}

function flatMap(obj: any, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) v.forEach((item, i) => (typeof item === "object" && item !== null ? flatMap(item, `${key}.${i + 1}`, out) : (out[`${key}.${i + 1}`] = String(item))));
    else if (typeof v === "object") flatMap(v, key, out);
    else out[key] = String(v);
  }
  return out;
}

async function generate(sdk: Sdk) {
  const mod = require(sdk.pkg);
  const core = require("@alicloud/openapi-core");
  const { RuntimeOptions } = require("@darabonba/typescript");
  const Client = mod.default;
  const client = new Client(new core.$OpenApiUtil.Config({ accessKeyId: "specgen", accessKeySecret: "specgen", regionId: "cn-hangzhou", endpoint: "127.0.0.1:9", protocol: "HTTP" }));
  let captured: { params: any; req: any } | undefined;
  client.callApi = async (params: any, req: any) => {
    captured = { params, req };
    throw SENTINEL;
  };
  const required = requiredFields(sdk.pkg);
  const methods = Object.getOwnPropertyNames(Client.prototype).filter((n) => n.endsWith("WithOptions"));
  const actions: Record<string, unknown> = {};
  for (const method of methods) {
    const base = method.slice(0, -"WithOptions".length);
    const Request = mod[`${base[0].toUpperCase()}${base.slice(1)}Request`];
    const ResponseBody = mod[`${base[0].toUpperCase()}${base.slice(1)}ResponseBody`];
    // A few actions take no request at all (RAM ClearAccountAlias, GetAccountAlias…): `(runtime)` only.
    const takesRequest = client[method].length >= 2;
    if ((takesRequest && !isModel(Request)) || !isModel(ResponseBody)) throw new Error(`specgen: ${sdk.pkg} ${method}: no Request/ResponseBody model`);
    const call = async (fields: Record<string, unknown>) => {
      captured = undefined;
      try {
        await (takesRequest ? client[method](new Request(fields), new RuntimeOptions({})) : client[method](new RuntimeOptions({})));
      } catch (e) {
        if (e !== SENTINEL) throw new Error(`specgen: ${method}: ${(e as Error).message}`);
      }
      if (!captured) throw new Error(`specgen: ${method} did not reach callApi`);
      return captured;
    };
    const bare = await call({});
    const action: string = bare.params.action;
    if (bare.params.version !== sdk.version) throw new Error(`specgen: ${action}: version ${bare.params.version}, expected ${sdk.version}`);
    if (bare.params.style !== "RPC") throw new Error(`specgen: ${action}: style ${bare.params.style} is not RPC`);
    const params: Record<string, Param | Leaf> = {};
    const req: string[] = [];
    const names = takesRequest ? Request.names() : {};
    const reqRequired = (takesRequest && required.get(Request.name)) || new Set<string>();
    for (const [field, type] of Object.entries(takesRequest ? Request.types() : {})) {
      const got = await call({ [field]: sample(type) });
      const query = flatMap(got.req.query);
      const body = flatMap(got.req.body);
      const sent = [...Object.keys(query).map((k) => [k, query[k], "query"]), ...Object.keys(body).map((k) => [k, body[k], "body"])] as [string, string, string][];
      if (sent.length === 0) continue; // a model field the client never sends
      const expected: Record<string, Leaf> = {};
      flatten(type, names[field], 0, Request.name, names[field], sdk, expected);
      const top = new Set(sent.map(([k]) => k.split(".")[0]));
      if (top.size !== 1) throw new Error(`specgen: ${action}.${field} went out as ${[...top].join(", ")}`);
      const wire = [...top][0];
      const rename = (p: string) => wire + p.slice(names[field].length);
      const simple = typeof type === "string";
      if (!simple && sent.length === 1 && sent[0][0] === wire && /^[[{]/.test(sent[0][1])) {
        // Shrink: the SDK serialises the list / object to one JSON string (arrayToStringWithSpecifiedStyle "json").
        params[wire] = { type: "string", json: sent[0][1].startsWith("[") ? "array" : "object", ...(sent[0][2] === "body" ? { in: "body" as const } : {}) };
      } else {
        const want = new Set(Object.keys(expected).map(rename));
        const have = new Set(sent.map(([k]) => pattern(k)));
        const missing = [...want].filter((k) => !have.has(k));
        const extra = [...have].filter((k) => !want.has(k));
        if (missing.length || extra.length) throw new Error(`specgen: ${action}.${field}: types() says ${[...want]}, the SDK sent ${[...have]}`);
        for (const [p, leaf] of Object.entries(expected)) {
          const inBody = sent.some(([k, , where]) => pattern(k) === rename(p) && where === "body");
          params[rename(p)] = inBody ? { type: leaf, in: "body" } : leaf;
        }
        nestedRequired(type, wire, 0, required, req);
      }
      if (reqRequired.has(field)) req.push(wire);
    }
    actions[action] = {
      method: String(bare.params.method).toUpperCase(),
      params: Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      required: [...new Set(req)].sort(),
      output: shape(ResponseBody, sdk, ResponseBody.name, ""),
    };
  }
  return Object.fromEntries(Object.entries(actions).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function dump(spec: { generatedBy: string; sources: Record<string, string>; services: Record<string, { version: string; actions: Record<string, unknown> }> }): string {
  const lines = ["{", `  "generatedBy": ${JSON.stringify(spec.generatedBy)},`, `  "sources": ${JSON.stringify(spec.sources)},`, `  "services": {`];
  const services = Object.entries(spec.services);
  services.forEach(([name, svc], si) => {
    lines.push(`    ${JSON.stringify(name)}: {"version": ${JSON.stringify(svc.version)}, "actions": {`);
    const acts = Object.entries(svc.actions);
    acts.forEach(([action, entry], ai) => lines.push(`      ${JSON.stringify(action)}: ${JSON.stringify(entry)}${ai < acts.length - 1 ? "," : ""}`));
    lines.push(`    }}${si < services.length - 1 ? "," : ""}`);
  });
  lines.push("  }", "}", "");
  return lines.join("\n");
}

async function main() {
  const numbers = loadNumbers();
  const version = (pkg: string) => JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;
  const sdks: Sdk[] = [
    { service: "ecs", pkg: "@alicloud/ecs20140526", version: "2014-05-26", numbers: numbers.classes },
    { service: "ram", pkg: "@alicloud/ram20150501", version: "2015-05-01", numbers: {} },
  ];
  const spec = {
    generatedBy: "tools/specgen/alicloud.ts",
    sources: { "@alicloud/ecs20140526": version("@alicloud/ecs20140526"), "@alicloud/ram20150501": version("@alicloud/ram20150501"), alibabacloud_ecs20140526: numbers.version },
    services: {} as Record<string, { version: string; actions: Record<string, unknown> }>,
  };
  for (const sdk of sdks) spec.services[sdk.service] = { version: sdk.version, actions: await generate(sdk) };
  const text = dump(spec);
  JSON.parse(text);
  writeFileSync(OUT, text);
  console.log(`specgen: wrote ${path.relative(ROOT, OUT)} (${Object.entries(spec.services).map(([k, v]) => `${k}: ${Object.keys(v.actions).length} actions`).join(", ")})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
