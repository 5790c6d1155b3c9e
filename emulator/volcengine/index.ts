// The Volcengine ECS service of the emulator: routes by the HMAC-SHA256 Authorization scheme, verifies
// the signature, settles time-driven state, dispatches the action, renders the ResponseMetadata envelope.
import { randomUUID } from "node:crypto";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { ApiError, VolcengineModel, type VolcengineOptions } from "./models";
import { flatFromQuery, type Flat } from "./params";
import { ACTIONS, renderImage, renderInstance } from "./responses";
import { credentialScope, parseQuery, SignatureError, verifyVolcengineSignature } from "./signature";
import { refuseInvalid, verdictFor } from "./validation";

export const ECS_VERSION = "2020-04-01";

export interface VolcengineService extends CloudService {
  model: VolcengineModel;
}

export function createVolcengineService(ctx: EmulatorContext, options: Partial<VolcengineOptions> = {}): VolcengineService {
  const model = new VolcengineModel(ctx.clock, options);

  const params = (req: EmulatorRequest): Flat => flatFromQuery(parseQuery(req.rawQuery));

  const envelope = (p: Flat, region: string, status: number, body: { Result?: unknown; Error?: { Code: string; Message: string } }): EmulatorResponse => {
    const meta: Record<string, unknown> = { RequestId: randomUUID().replace(/-/g, "").slice(0, 32), Action: p.Action ?? "", Version: p.Version ?? "", Service: "ecs", Region: region };
    if (body.Error) meta.Error = { CodeN: status * 1000 + 1, ...body.Error };
    return { status, body: body.Error ? { ResponseMetadata: meta } : { ResponseMetadata: meta, Result: body.Result } };
  };

  const service: VolcengineService = {
    cloud: "volcengine",
    model,
    matches: (req) => String(req.headers.authorization ?? "").startsWith("HMAC-SHA256 ") || /(^|&)Action=/.test(req.rawQuery) && /(^|&)Version=2020-04-01/.test(req.rawQuery),
    describe(req) {
      const p = params(req);
      const { Action, Version, ...rest } = p;
      if (!Action) return undefined;
      // The service is the signature's credential scope (ecs, storage_ebs): the spec is keyed by it.
      const svc = credentialScope(req)?.service ?? "ecs";
      const unknownParams = verdictFor(svc, Action, rest)?.unknown ?? [];
      // The call log is for tests and drills: never keep secrets in it.
      for (const k of ["Password", "UserData"]) if (rest[k] !== undefined) rest[k] = "***";
      return { service: svc, action: Action, params: rest, unknownParams };
    },
    handle(req) {
      const p = params(req);
      let region = model.opts.region;
      try {
        const caller = verifyVolcengineSignature(req, ctx.credentials);
        region = caller.region;
        if (caller.service !== "ecs") throw new ApiError("InvalidActionOrVersion", 404, `Service ${caller.service} is not served here.`);
        if (caller.region !== model.opts.region) throw new ApiError("InvalidParameter", 400, `Region ${caller.region} is not served here (${model.opts.region}).`);
        const action = ACTIONS[p.Action ?? ""];
        if (!action || p.Version !== ECS_VERSION) throw new ApiError("InvalidActionOrVersion", 404, `Could not find operation ${p.Action} for version ${p.Version}.`);
        const { Action, Version, ...rest } = p;
        // Missing, mistyped or out-of-range parameters, as the SDK models define them (../spec.ts).
        refuseInvalid(verdictFor(caller.service, Action!, rest), model.opts, Action!);
        model.settle();
        return envelope(p, region, 200, { Result: action(rest, model, ctx.clock) });
      } catch (e) {
        if (e instanceof ApiError || e instanceof SignatureError) return envelope(p, region, e.status, { Error: { Code: e.code, Message: e.message } });
        return envelope(p, region, 500, { Error: { Code: "InternalServiceError", Message: String((e as Error).message) } });
      }
    },
    renderFault(req, fault) {
      const res = envelope(params(req), model.opts.region, fault.status, { Error: { Code: fault.code, Message: "Injected fault." } });
      if (fault.retryAfterSeconds !== undefined) res.headers = { "retry-after": String(fault.retryAfterSeconds) };
      return res;
    },
    admin(subpath, method, body) {
      model.settle();
      try {
        return adminRoute(model, ctx, subpath, method, body ?? {});
      } catch (e) {
        if (e instanceof ApiError) return { status: e.status, body: { error: e.code, message: e.message } };
        throw e;
      }
    },
    reset: () => model.reset(),
  };
  return service;
}

function adminRoute(model: VolcengineModel, ctx: EmulatorContext, subpath: string, method: string, body: any): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  switch (`${method} ${subpath}`) {
    case "GET state":
      return ok({
        // The admin view shows the volumes whole (the API's DescribeInstances names them only).
        instances: [...model.instances.values()].map((i) => ({ ...renderInstance(model, i), Volumes: i.Volumes, releaseAt: i.releaseAt ? new Date(i.releaseAt).toISOString() : undefined })),
        images: [...model.images.values()].filter((i) => i.Visibility === "private").map((i) => ({ ...renderImage(model, i), SourceInstanceId: i.sourceInstanceId })),
        events: [...model.events.values()].map((e) => ({ ...e, Status: model.eventStatus(e), releaseAt: new Date(e.releaseAt).toISOString() })),
      });
    case "POST spot-interruption": {
      const ev = model.scheduleInterruption(String(body.instanceId), Number(body.noticeSeconds ?? 300));
      return ok({ eventId: ev.Id, releaseAt: new Date(ev.releaseAt).toISOString().replace(/\.\d{3}Z$/, "Z"), type: ev.Type });
    }
    case "POST release":
      model.release(String(body.instanceId));
      return ok({ released: body.instanceId });
    case "GET disk":
    case "POST disk": {
      const inst = model.getInstance(String(body.instanceId));
      if (method === "POST") inst.files[String(body.path)] = String(body.content ?? "");
      return ok({ instanceId: inst.InstanceId, files: { ...inst.files } });
    }
    case "GET image-disk": {
      const img = model.images.get(String(body.imageId));
      if (!img) throw new ApiError("InvalidImage.NotFound", 404, `The image ${body.imageId} does not exist.`);
      return ok({ imageId: img.ImageId, files: { ...img.files } });
    }
    case "GET settings":
      return ok(model.opts);
    case "POST settings":
      for (const [k, v] of Object.entries(body)) {
        if (!(k in model.opts)) throw new ApiError("InvalidParameter", 400, `Unknown setting ${k}.`);
        (model.opts as any)[k] = v;
      }
      return ok(model.opts);
    case "POST subnets":
      model.addSubnet(body);
      return ok({ subnetId: body.SubnetId });
    case "POST security-groups":
      model.securityGroups.add(String(body.securityGroupId));
      return ok({ securityGroupId: body.securityGroupId });
    default:
      void ctx;
      return undefined;
  }
}
