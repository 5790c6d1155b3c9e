// Drives Pulumi's own dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) as the engine does:
// started as a child process (it prints its gRPC port), then Configure, Check, Diff, Create, Read,
// Update, Delete over gRPC, with the provider serialized by `serializeFunction` exactly as
// `new dynamic.Resource` does — in plain Node on the tsc-compiled output, not under vitest's transform.
//
//   const provider = await serializeProvider("dist/provider/index.js", "spotInstanceProvider");
//   const host = await startHost({ cwd: repoRoot, env });
//   await host.configure({ "volcengine:region": "cn-beijing", "volcengine:secretKey": secret("…") });
//   const { inputs } = await host.check(urn, {}, { ...news, __provider: provider });
//   const { id, properties } = await host.create(urn, inputs);
//   …; host.close();
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";

const requireHere = createRequire(__filename);
const pulumiDir = path.dirname(requireHere.resolve("@pulumi/pulumi/package.json"));
const req = createRequire(path.join(pulumiDir, "package.json"));
const grpc = req("@grpc/grpc-js");
const provrpc = req("./proto/provider_grpc_pb.js");
const provproto = req("./proto/provider_pb.js");
const statusproto = req("./proto/status_pb.js");
const structproto = req("google-protobuf/google/protobuf/struct_pb.js");

/** The engine's marker for a secret value inside a property bag. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

export const repoRoot = path.resolve(__dirname, "../..");

/** Serializes `require(modulePath)[exportName]` as dynamic.Resource would, in a plain Node child. */
export async function serializeProvider(modulePath: string, exportName: string, cwd = repoRoot): Promise<string> {
  const script = `
    const sc = require("@pulumi/pulumi/runtime/closure/serializeClosure");
    const provider = require(${JSON.stringify(path.resolve(cwd, modulePath))})[${JSON.stringify(exportName)}];
    sc.serializeFunction(() => provider, { allowSecrets: true })
      .then((sf) => process.stdout.write(JSON.stringify({ text: sf.text, containsSecrets: sf.containsSecrets })))
      .catch((e) => { console.error(e.stack || e); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], { cwd, maxBuffer: 64 * 1024 * 1024 });
  const { text, containsSecrets } = JSON.parse(stdout);
  if (containsSecrets) throw new Error(`${exportName}: the serialized provider captured a secret`);
  return text;
}

export interface HostError extends Error {
  code: number;
  details: string;
  /** For a create/update that acted but failed: the partial resource (ErrorResourceInitFailed). */
  initFailure?: { id: string; properties: Record<string, any>; reasons: string[] };
}

export interface Host {
  configure(config: Record<string, unknown>): Promise<void>;
  check(urn: string, olds: Record<string, any>, news: Record<string, any>): Promise<{ inputs: Record<string, any>; failures: { property: string; reason: string }[] }>;
  diff(id: string, urn: string, olds: Record<string, any>, news: Record<string, any>): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(urn: string, properties: Record<string, any>, timeoutSeconds?: number): Promise<{ id: string; properties: Record<string, any> }>;
  read(id: string, urn: string, properties: Record<string, any>): Promise<{ id: string; properties: Record<string, any> }>;
  update(id: string, urn: string, olds: Record<string, any>, news: Record<string, any>): Promise<{ properties: Record<string, any> }>;
  delete(id: string, urn: string, properties: Record<string, any>): Promise<void>;
  /** Everything the host wrote to stdout/stderr (the engine would log it). */
  output(): string;
  close(): Promise<void>;
}

export function urnOf(type: string, name: string, stack = "dev", project = "host-test"): string {
  return `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/pulumi-recovery:${type}::${name}`;
}

const toStruct = (o: Record<string, any>) => structproto.Struct.fromJavaScript(o);

export async function startHost(opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Host> {
  const entry = path.join(pulumiDir, "cmd", "dynamic-provider", "index.js");
  const child: ChildProcess = spawn(process.execPath, [entry, "127.0.0.1:1"], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: "host-test", PULUMI_NODEJS_STACK: "dev", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const port = await new Promise<number>((resolve, reject) => {
    let first = "";
    child.stdout!.on("data", (d: Buffer) => {
      log += d.toString();
      if (!first) {
        first = d.toString().trim().split("\n")[0];
        resolve(Number(first));
      }
    });
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    child.once("exit", (code) => reject(new Error(`dynamic-provider host exited with ${code}: ${log}`)));
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  const call = <T>(method: string, request: any): Promise<T> =>
    new Promise((resolve, reject) => {
      client[method](request, (err: any, res: T) => (err ? reject(hostError(err)) : resolve(res)));
    });

  return {
    async configure(config) {
      const r = new provproto.ConfigureRequest();
      r.setArgs(toStruct(config));
      r.setAcceptsecrets(true);
      await call("configure", r);
    },
    async check(urn, olds, news) {
      const r = new provproto.CheckRequest();
      r.setUrn(urn);
      r.setOlds(toStruct(olds));
      r.setNews(toStruct(news));
      const res: any = await call("check", r);
      return {
        inputs: res.getInputs()?.toJavaScript() ?? {},
        failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(id, urn, olds, news) {
      const r = new provproto.DiffRequest();
      r.setId(id);
      r.setUrn(urn);
      r.setOlds(toStruct(olds));
      r.setNews(toStruct(news));
      const res: any = await call("diff", r);
      const C = provproto.DiffResponse.DiffChanges;
      const changes = res.getChanges() === C.DIFF_NONE ? "none" : res.getChanges() === C.DIFF_SOME ? "some" : "unknown";
      return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, properties, timeoutSeconds = 600) {
      const r = new provproto.CreateRequest();
      r.setUrn(urn);
      r.setProperties(toStruct(properties));
      r.setTimeout(timeoutSeconds);
      const res: any = await call("create", r);
      return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
    },
    async read(id, urn, properties) {
      const r = new provproto.ReadRequest();
      r.setId(id);
      r.setUrn(urn);
      r.setProperties(toStruct(properties));
      const res: any = await call("read", r);
      return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
    },
    async update(id, urn, olds, news) {
      const r = new provproto.UpdateRequest();
      r.setId(id);
      r.setUrn(urn);
      r.setOlds(toStruct(olds));
      r.setNews(toStruct(news));
      const res: any = await call("update", r);
      return { properties: res.getProperties()?.toJavaScript() ?? {} };
    },
    async delete(id, urn, properties) {
      const r = new provproto.DeleteRequest();
      r.setId(id);
      r.setUrn(urn);
      r.setProperties(toStruct(properties));
      await call("delete", r);
    },
    output: () => log,
    async close() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill();
        await exited;
      }
    },
  };
}

function hostError(err: any): HostError {
  const e = new Error(err.details ?? err.message) as HostError;
  e.code = err.code;
  e.details = err.details ?? "";
  const bin = err.metadata?.get?.("grpc-status-details-bin")?.[0];
  if (bin) {
    const status = statusproto.Status.deserializeBinary(bin);
    for (const any of status.getDetailsList()) {
      if (any.getTypeName() === "pulumirpc.ErrorResourceInitFailed") {
        const f = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
        e.initFailure = { id: f.getId(), properties: f.getProperties()?.toJavaScript() ?? {}, reasons: f.getReasonsList() };
      }
    }
  }
  return e;
}

/** The clouds' credential variables, unset in a host so that only stack config (Configure) can supply them. */
export const NO_CLOUD_ENV: Record<string, undefined> = Object.fromEntries(
  [
    "VOLCENGINE_ACCESS_KEY",
    "VOLCENGINE_SECRET_KEY",
    "VOLCENGINE_ENDPOINT",
    "VOLCENGINE_REGION",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_ECS_ENDPOINT",
    "ALIBABA_CLOUD_RAM_ENDPOINT",
    "ALIBABA_CLOUD_REGION",
  ].map((k) => [k, undefined]),
);

/**
 * A dynamic-provider host whose credentials come only from stack config pointing at the emulator, as
 * `pulumi up` hands them to Configure (secrets as secrets), for the clouds named.
 */
export async function startEmulatorHost(emu: { url: string; credentials: { accessKeyId: string; secretKey: string } }, clouds: ("volcengine" | "alicloud")[]): Promise<Host> {
  const host = await startHost({ env: { ...NO_CLOUD_ENV, PULUMI_RECOVERY_POLL_MS: "20" } });
  const keys = { accessKey: secret(emu.credentials.accessKeyId), secretKey: secret(emu.credentials.secretKey) };
  await host.configure({
    ...(clouds.includes("volcengine") ? { "volcengine:region": "cn-beijing", "volcengine:endpoint": emu.url, "volcengine:accessKey": keys.accessKey, "volcengine:secretKey": keys.secretKey } : {}),
    ...(clouds.includes("alicloud") ? { "alicloud:region": "cn-hangzhou", "alicloud:ecsEndpoint": emu.url, "alicloud:ramEndpoint": emu.url, "alicloud:accessKey": keys.accessKey, "alicloud:secretKey": keys.secretKey } : {}),
  });
  return host;
}
