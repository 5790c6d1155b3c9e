// The Alibaba Cloud service of the emulator: ECS (with Cloud Assistant) and RAM. Routes by the ACS3
// Authorization scheme or a legacy Signature parameter, tells ECS from RAM by API version, verifies the
// signature, renders the {RequestId, …} body or the {RequestId, HostId, Code, Message, Recommend} error.
import { randomUUID } from "node:crypto";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { AcsError, AlicloudModel, type AlicloudOptions } from "./models";
import { ECS_ACTIONS, RAM_ACTIONS } from "./responses";
import { AcsSignatureError, parseAcsQuery, verifyAcsSignature } from "./signature";

const VERSIONS: Record<string, { service: "ecs" | "ram"; actions: typeof ECS_ACTIONS }> = {
  "2014-05-26": { service: "ecs", actions: ECS_ACTIONS },
  "2015-05-01": { service: "ram", actions: RAM_ACTIONS },
};
const SECRET_PARAMS = ["AccessKeyId", "Signature", "SignatureNonce", "SecurityToken"];

export interface AlicloudService extends CloudService {
  model: AlicloudModel;
}

function target(req: EmulatorRequest): { action: string; version: string; query: Record<string, string> } {
  const query = parseAcsQuery(req.rawQuery);
  const action = String(req.headers["x-acs-action"] ?? query.Action ?? "");
  const version = String(req.headers["x-acs-version"] ?? query.Version ?? "");
  for (const k of ["Action", "Version", "Format", "SignatureMethod", "SignatureVersion", "Timestamp", ...SECRET_PARAMS]) delete query[k];
  return { action, version, query };
}

export function createAlicloudService(ctx: EmulatorContext, options: Partial<AlicloudOptions> = {}): AlicloudService {
  const model = new AlicloudModel(ctx.clock, options);
  const requestId = () => randomUUID().toUpperCase();
  const error = (status: number, code: string, message: string, headers?: Record<string, string>): EmulatorResponse => ({
    status,
    headers,
    body: { RequestId: requestId(), HostId: "ecs.emulator.local", Code: code, Message: message, Recommend: `https://next.api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}` },
  });

  return {
    cloud: "alicloud",
    model,
    matches: (req) => String(req.headers.authorization ?? "").startsWith("ACS3-") || /(^|&)Signature=/.test(req.rawQuery),
    describe(req) {
      const t = target(req);
      const params = { ...t.query };
      if (params.CommandContent) params.CommandContent = params.CommandContent.slice(0, 2000);
      return t.action ? { service: VERSIONS[t.version]?.service ?? "?", action: t.action, params } : undefined;
    },
    handle(req) {
      try {
        verifyAcsSignature(req, ctx.credentials);
        const t = target(req);
        const api = VERSIONS[t.version];
        const handler = api?.actions[t.action];
        if (!handler) return error(404, "InvalidAction.NotFound", `Specified api ${t.action} is not found for version ${t.version}.`);
        return { status: 200, body: { RequestId: requestId(), ...(handler(t.query, model) as object) } };
      } catch (e) {
        if (e instanceof AcsError || e instanceof AcsSignatureError) return error(e.status, e.code, e.message);
        return error(500, "InternalError", String((e as Error).message));
      }
    },
    renderFault(_req, fault) {
      return error(fault.status, fault.code, "Injected fault.", fault.retryAfterSeconds !== undefined ? { "x-acs-retry-after": String(fault.retryAfterSeconds * 1000) } : undefined);
    },
    admin(subpath, method, body) {
      const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
      try {
        switch (`${method} ${subpath}`) {
          case "GET state":
            return ok({
              instances: [...model.instances.values()].map((i) => ({ ...i, ramRole: model.instanceRoles.get(i.InstanceId) })),
              roles: [...model.roles.values()].map((r) => ({ ...r, policies: [...r.policies] })),
              policies: [...model.policies.values()],
              snapshotGroups: [...model.groups.values()].map((g) => ({ ...g, Status: model.groupStatus(g) })),
              invocations: [...model.invocations.values()],
            });
          case "POST instances":
            return ok(model.addInstance(body));
          case "POST instance": {
            const inst = model.instance(String(body.instanceId));
            if (body.forcedExitCode !== undefined) inst.forcedExitCode = body.forcedExitCode === null ? undefined : Number(body.forcedExitCode);
            if (body.hangInvocations !== undefined) inst.hangInvocations = Boolean(body.hangInvocations);
            if (body.agentInstalled !== undefined) inst.agentInstalled = Boolean(body.agentInstalled);
            return ok(inst);
          }
          case "POST files": {
            const inst = model.instance(String(body.instanceId));
            inst.files[String(body.path)] = { content: String(body.content ?? ""), owner: String(body.owner ?? "root"), mode: String(body.mode ?? "700"), exitCode: Number(body.exitCode ?? 0) };
            return ok({ instanceId: inst.InstanceId, files: inst.files });
          }
          case "GET settings":
            return ok(model.opts);
          case "POST settings":
            for (const [k, v] of Object.entries(body ?? {})) {
              if (!(k in model.opts)) return { status: 400, body: { error: "InvalidParameter", message: `Unknown setting ${k}.` } };
              (model.opts as any)[k] = v;
            }
            return ok(model.opts);
          default:
            return undefined;
        }
      } catch (e) {
        if (e instanceof AcsError) return { status: e.status, body: { error: e.code, message: e.message } };
        throw e;
      }
    },
    reset: () => model.reset(),
  };
}
