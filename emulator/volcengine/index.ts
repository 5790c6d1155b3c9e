// The Volcengine ECS service of the emulator: routes by the HMAC-SHA256 Authorization scheme, verifies
// the signature, settles time-driven state, dispatches the action, renders the ResponseMetadata envelope.
import { randomUUID } from "node:crypto";
import { internalErrorMessage, reportInternalError } from "../http";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { BadInput, is, TEN_YEARS_SECONDS } from "../settings";
import { ApiError, validateOptions, VolcengineModel, type VolcengineOptions } from "./models";
import { flatFromQuery, type Flat } from "./params";
import { ACTIONS, renderImage, renderInstance } from "./responses";
import { parseQuery, SignatureError, verifyVolcengineSignature } from "./signature";

export const ECS_VERSION = "2020-04-01";

export interface VolcengineService extends CloudService {
  model: VolcengineModel;
}

export function createVolcengineService(ctx: EmulatorContext, options: Partial<VolcengineOptions> = {}): VolcengineService {
  const model = new VolcengineModel(ctx.clock, options);

  const params = (req: EmulatorRequest): Flat => flatFromQuery(parseQuery(req.rawQuery));
  /** A query that does not decode names no action (the front answers it with a 400 of ours). */
  const paramsOrNone = (req: EmulatorRequest): Flat => {
    try {
      return params(req);
    } catch {
      return {};
    }
  };

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
      const p = paramsOrNone(req);
      const { Action, Version, ...rest } = p;
      // The call log is for tests and drills: never keep secrets in it.
      for (const k of ["Password", "UserData"]) if (rest[k] !== undefined) rest[k] = "***";
      return Action ? { service: "ecs", action: Action, params: rest } : undefined;
    },
    handle(req) {
      const p = paramsOrNone(req); // the front refuses a query that does not decode before handle
      let region = model.opts.region;
      try {
        const caller = verifyVolcengineSignature(req, ctx.credentials);
        region = caller.region;
        if (caller.service !== "ecs") throw new ApiError("InvalidActionOrVersion", 404, `Service ${caller.service} is not served here.`);
        if (caller.region !== model.opts.region) throw new ApiError("InvalidParameter", 400, `Region ${caller.region} is not served here (${model.opts.region}).`);
        // Own keys only: Action=constructor is an unknown action, not Object's constructor.
        const action = Object.hasOwn(ACTIONS, p.Action ?? "") ? ACTIONS[p.Action!] : undefined;
        if (!action || p.Version !== ECS_VERSION) throw new ApiError("InvalidActionOrVersion", 404, `Could not find operation ${p.Action} for version ${p.Version}.`);
        model.settle();
        const { Action, Version, ...rest } = p;
        return envelope(p, region, 200, { Result: action(rest, model, ctx.clock) });
      } catch (e) {
        if (e instanceof ApiError || e instanceof SignatureError) return envelope(p, region, e.status, { Error: { Code: e.code, Message: e.message } });
        return envelope(p, region, 500, { Error: { Code: "InternalServiceError", Message: internalErrorMessage(reportInternalError(e)) } });
      }
    },
    renderError(req, error) {
      const res = envelope(paramsOrNone(req), model.opts.region, error.status, { Error: { Code: error.code, Message: error.message } });
      if (error.retryAfterSeconds !== undefined) res.headers = { "retry-after": String(error.retryAfterSeconds) };
      return res;
    },
    admin(subpath, method, body) {
      model.settle();
      try {
        return adminRoute(model, subpath, method, body ?? {});
      } catch (e) {
        if (e instanceof ApiError) return { status: e.status, body: { error: e.code, message: e.message } };
        throw e;
      }
    },
    reset: () => model.reset(),
  };
  return service;
}

const id = is.string({ nonEmpty: true });
const BODIES = {
  spotInterruption: is.shape<{ instanceId: string; noticeSeconds?: number }>({ instanceId: id, noticeSeconds: is.number({ max: TEN_YEARS_SECONDS }) }, ["noticeSeconds"]),
  instance: is.shape({ instanceId: id }),
  disk: is.shape<{ instanceId: string; path?: string; content?: string }>({ instanceId: id, path: id, content: is.string() }, ["path", "content"]),
  image: is.shape({ imageId: id }),
  subnet: is.shape<{ SubnetId: string; ZoneId: string; cidrPrefix?: string; VpcId?: string }>(
    { SubnetId: id, ZoneId: id, cidrPrefix: is.string({ nonEmpty: true }), VpcId: id },
    ["cidrPrefix", "VpcId"],
  ),
  securityGroup: is.shape({ securityGroupId: id }),
};

/** Admin routes under /_admin/volcengine/…; every body is checked (400 InvalidParameter) before it reaches the model. */
function adminRoute(model: VolcengineModel, subpath: string, method: string, raw: unknown): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  const body = <T>(check: (v: unknown, name: string) => T) => check(raw, `${method} ${subpath}`);
  switch (`${method} ${subpath}`) {
    case "GET state":
      return ok({
        instances: [...model.instances.values()].map((i) => ({ ...renderInstance(model, i), releaseAt: i.releaseAt ? new Date(i.releaseAt).toISOString() : undefined })),
        images: [...model.images.values()].filter((i) => i.Visibility === "private").map((i) => ({ ...renderImage(model, i), SourceInstanceId: i.sourceInstanceId })),
        events: [...model.events.values()].map((e) => ({ ...e, Status: model.eventStatus(e), releaseAt: new Date(e.releaseAt).toISOString() })),
      });
    case "POST spot-interruption": {
      const { instanceId, noticeSeconds = 300 } = body(BODIES.spotInterruption);
      const ev = model.scheduleInterruption(instanceId, noticeSeconds);
      return ok({ eventId: ev.Id, releaseAt: new Date(ev.releaseAt).toISOString().replace(/\.\d{3}Z$/, "Z"), type: ev.Type });
    }
    case "POST release": {
      const { instanceId } = body(BODIES.instance);
      model.release(instanceId);
      return ok({ released: instanceId });
    }
    case "GET disk":
    case "POST disk": {
      const req = body(BODIES.disk);
      const inst = model.getInstance(req.instanceId);
      if (method === "POST") {
        if (req.path === undefined) throw new BadInput("POST disk needs path.");
        inst.files[req.path] = req.content ?? "";
      }
      return ok({ instanceId: inst.InstanceId, files: { ...inst.files } });
    }
    case "GET image-disk": {
      const { imageId } = body(BODIES.image);
      const img = model.images.get(imageId);
      if (!img) throw new ApiError("InvalidImage.NotFound", 404, `The image ${imageId} does not exist.`);
      return ok({ imageId: img.ImageId, files: { ...img.files } });
    }
    case "GET settings":
      return ok(model.opts);
    case "POST settings":
      // Checked as a whole before any of it applies: a bad patch changes nothing.
      Object.assign(model.opts, validateOptions(raw));
      return ok(model.opts);
    case "POST subnets": {
      const subnet = body(BODIES.subnet);
      model.addSubnet(subnet);
      return ok({ subnetId: subnet.SubnetId });
    }
    case "POST security-groups": {
      const { securityGroupId } = body(BODIES.securityGroup);
      model.securityGroups.add(securityGroupId);
      return ok({ securityGroupId });
    }
    default:
      return undefined;
  }
}
