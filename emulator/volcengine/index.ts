// The Volcengine services of the emulator (ECS and storage_ebs, both 2020-04-01): routes by the
// HMAC-SHA256 Authorization scheme, verifies the signature (whose credential scope names the service),
// settles time-driven state, dispatches the action, renders the ResponseMetadata envelope.
import { randomUUID } from "node:crypto";
import { internalErrorMessage, reportInternalError } from "../http";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { BadInput, is, TEN_YEARS_SECONDS } from "../settings";
import { EventRules } from "./eventRules";
import { ApiError, validateOptions, VolcengineModel, type VolcengineOptions } from "./models";
import { flatFromQuery, type Flat } from "./params";
import { ASSISTANT_ACTIONS } from "./assistant";
import { EBS_ACTIONS } from "./ebs";
import { ECS_ACTIONS, renderImage, renderInstance, type Handler } from "./ecs";
import { credentialScope, parseQuery, SignatureError, verifyVolcengineSignature } from "./signature";
import { refuseInvalid, verdictFor } from "./validation";

export const ECS_VERSION = "2020-04-01";

/** Each service name (the signature's credential scope) and its actions; both at version 2020-04-01. */
const SERVICES: Record<string, { version: string; actions: Record<string, Handler> }> = {
  ecs: { version: ECS_VERSION, actions: { ...ECS_ACTIONS, ...ASSISTANT_ACTIONS } },
  storage_ebs: { version: "2020-04-01", actions: EBS_ACTIONS },
};

/** The service a request addresses, from its Authorization credential scope (before it is verified). */
function serviceOf(req: EmulatorRequest): string {
  return credentialScope(req)?.service ?? "ecs";
}

export interface VolcengineService extends CloudService {
  /** The home region's state (`region` in the options). */
  model: VolcengineModel;
  /** A region's state: the home region, or one of `otherRegions` (made on first use); undefined for any other. */
  modelFor(region: string): VolcengineModel | undefined;
  eventRules: EventRules;
}

export function createVolcengineService(ctx: EmulatorContext, options: Partial<VolcengineOptions> = {}): VolcengineService {
  const model = new VolcengineModel(ctx.clock, options);
  const eventRules = new EventRules();
  // Every region of the account has its own state (instances, images, snapshots …); a request reaches
  // the region its signature's credential scope names, CopyImage the one it names.
  const others = new Map<string, VolcengineModel>();
  const modelFor = (region: string): VolcengineModel | undefined => {
    if (region === model.opts.region) return model;
    if (!model.opts.otherRegions.includes(region)) return undefined;
    let m = others.get(region);
    if (!m) {
      const zones = ["a", "b", "c"].map((z) => `${region}-${z}`);
      m = new VolcengineModel(ctx.clock, { ...options, region, zones, otherRegions: [] });
      m.peer = modelFor;
      others.set(region, m);
    }
    return m;
  };
  model.peer = modelFor;

  const params = (req: EmulatorRequest): Flat => flatFromQuery(parseQuery(req.rawQuery));
  /** A query that does not decode names no action (the front answers it with a 400 of ours). */
  const paramsOrNone = (req: EmulatorRequest): Flat => {
    try {
      return params(req);
    } catch {
      return {};
    }
  };

  const envelope = (p: Flat, region: string, status: number, body: { Result?: unknown; Error?: { Code: string; Message: string } }, serviceName = "ecs"): EmulatorResponse => {
    const meta: Record<string, unknown> = { RequestId: randomUUID().replace(/-/g, "").slice(0, 32), Action: p.Action ?? "", Version: p.Version ?? "", Service: serviceName, Region: region };
    if (body.Error) meta.Error = { CodeN: status * 1000 + 1, ...body.Error };
    return { status, body: body.Error ? { ResponseMetadata: meta } : { ResponseMetadata: meta, Result: body.Result } };
  };

  const service: VolcengineService = {
    cloud: "volcengine",
    model,
    eventRules,
    modelFor,
    matches: (req) => String(req.headers.authorization ?? "").startsWith("HMAC-SHA256 ") || /(^|&)Action=/.test(req.rawQuery) && /(^|&)Version=2020-04-01/.test(req.rawQuery),
    describe(req) {
      const p = paramsOrNone(req);
      const { Action, Version, ...rest } = p;
      if (!Action) return undefined;
      // The service is the signature's credential scope (ecs, storage_ebs): the spec is keyed by it.
      const svc = serviceOf(req);
      const unknownParams = verdictFor(svc, Action, rest)?.unknown ?? [];
      // The call log is for tests and drills: never keep secrets in it.
      for (const k of ["Password", "UserData"]) if (rest[k] !== undefined) rest[k] = "***";
      return { service: svc, action: Action, params: rest, unknownParams };
    },
    handle(req) {
      const p = paramsOrNone(req); // the front refuses a query that does not decode before handle
      let region = model.opts.region;
      let name = serviceOf(req);
      try {
        const caller = verifyVolcengineSignature(req, ctx.credentials);
        region = caller.region;
        name = caller.service;
        const api = Object.hasOwn(SERVICES, caller.service) ? SERVICES[caller.service] : undefined;
        if (!api) throw new ApiError("InvalidActionOrVersion", 404, `Service ${caller.service} is not served here.`);
        const regional = modelFor(caller.region);
        if (!regional) throw new ApiError("InvalidParameter", 400, `Region ${caller.region} is not served here (${[model.opts.region, ...model.opts.otherRegions].join(", ")}).`);
        if (regional.opts.regionUnavailable) throw new ApiError("ServiceUnavailableTemp", 503, `The service is temporarily unavailable in ${caller.region}.`);
        // Own keys only: Action=constructor is an unknown action, not Object's constructor.
        const action = Object.hasOwn(api.actions, p.Action ?? "") ? api.actions[p.Action!] : undefined;
        if (!action || p.Version !== api.version) throw new ApiError("InvalidActionOrVersion", 404, `Could not find operation ${p.Action} for version ${p.Version} of ${caller.service}.`);
        const { Action, Version, ...rest } = p;
        // Missing, mistyped or out-of-range parameters, as the SDK models define them (../spec.ts).
        refuseInvalid(verdictFor(caller.service, Action!, rest), regional.opts, Action!);
        regional.settle();
        return envelope(p, region, 200, { Result: action(rest, regional, ctx.clock) }, name);
      } catch (e) {
        if (e instanceof ApiError || e instanceof SignatureError) return envelope(p, region, e.status, { Error: { Code: e.code, Message: e.message } }, name);
        return envelope(p, region, 500, { Error: { Code: "InternalServiceError", Message: internalErrorMessage(reportInternalError(e)) } }, name);
      }
    },
    renderError(req, error) {
      const res = envelope(paramsOrNone(req), model.opts.region, error.status, { Error: { Code: error.code, Message: error.message } });
      if (error.retryAfterSeconds !== undefined) res.headers = { "retry-after": String(error.retryAfterSeconds) };
      return res;
    },
    admin(subpath, method, body) {
      // `region` (query or body) picks another region's state; the home region's by default.
      const { region, ...rest } = (body ?? {}) as Record<string, unknown>;
      const regional = region === undefined ? model : modelFor(String(region));
      if (!regional) return { status: 400, body: { error: "InvalidParameter", message: `region ${String(region)} is not a region of this emulator (${[model.opts.region, ...model.opts.otherRegions].join(", ")}).` } };
      regional.settle();
      try {
        return adminRoute(regional, eventRules, subpath, method, rest);
      } catch (e) {
        if (e instanceof ApiError) return { status: e.status, body: { error: e.code, message: e.message } };
        throw e;
      }
    },
    reset: () => {
      model.reset();
      others.clear();
      eventRules.reset();
    },
  };
  return service;
}

const id = is.string({ nonEmpty: true });
const BODIES = {
  spotInterruption: is.shape<{ instanceId: string; noticeSeconds?: number }>({ instanceId: id, noticeSeconds: is.number({ max: TEN_YEARS_SECONDS }) }, ["noticeSeconds"]),
  instance: is.shape({ instanceId: id }),
  // `volume`: 0 is the system volume (default), 1.. the data volumes in attach order.
  // `buffered`: the write sits in the guest's page cache until a flushing command runs (guest.ts).
  disk: is.shape<{ instanceId: string; path?: string; content?: string; volume?: number; buffered?: boolean }>(
    { instanceId: id, path: id, content: is.string(), volume: is.number({ integer: true, max: 16 }), buffered: is.boolean },
    ["path", "content", "volume", "buffered"],
  ),
  // A Cloud Monitor event rule: where to POST events, after how long (real ms), and what share is lost.
  eventRule: is.shape<{ url: string; delayMs?: number; lossRate?: number }>({ url: is.string({ nonEmpty: true }), delayMs: is.number({ integer: true, max: 600_000 }), lossRate: is.number({ max: 1 }) }, ["delayMs", "lossRate"]),
  guest: is.shape<{ instanceId: string; exitCode?: number; hang?: boolean; agentInstalled?: boolean }>(
    { instanceId: id, exitCode: is.number({ integer: true, max: 255 }), hang: is.boolean, agentInstalled: is.boolean },
    ["exitCode", "hang", "agentInstalled"],
  ),
  changeRate: is.shape<{ instanceId: string; changeGiBPerHour: number }>({ instanceId: id, changeGiBPerHour: is.number({ max: 1_000_000 }) }),
  image: is.shape({ imageId: id }),
  subnet: is.shape<{ SubnetId: string; ZoneId: string; cidrPrefix?: string; VpcId?: string }>(
    { SubnetId: id, ZoneId: id, cidrPrefix: is.string({ nonEmpty: true }), VpcId: id },
    ["cidrPrefix", "VpcId"],
  ),
  securityGroup: is.shape({ securityGroupId: id }),
};

/** Admin routes under /_admin/volcengine/…; every body is checked (400 InvalidParameter) before it reaches the model. */
function adminRoute(model: VolcengineModel, eventRules: EventRules, subpath: string, method: string, raw: unknown): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  const body = <T>(check: (v: unknown, name: string) => T) => check(raw, `${method} ${subpath}`);
  switch (`${method} ${subpath}`) {
    case "GET state":
      return ok({
        instances: [...model.instances.values()].map((i) => ({
          ...renderInstance(model, i),
          releaseAt: i.releaseAt ? new Date(i.releaseAt).toISOString() : undefined,
          // What the API does not show but tests and drills check: volumes in full, the login credential, user data.
          volumes: model.volumesOf(i).map(({ files, ...v }) => v),
          credential: i.credential,
          userData: i.UserData,
        })),
        images: [...model.images.values()].filter((i) => i.Visibility === "private").map((i) => ({ ...renderImage(model, i), SourceInstanceId: i.sourceInstanceId })),
        snapshotGroups: [...model.groups.values()].map((g) => ({ SnapshotGroupId: g.SnapshotGroupId, InstanceId: g.InstanceId, Status: model.groupStatus(g), Tags: g.Tags, snapshotIds: g.snapshotIds })),
        snapshots: [...model.snapshots.values()].map((s) => { const { files, ...rest } = s; return { ...rest, Status: model.snapshotStatus(s) }; }),
        volumes: [...model.volumes.values()].map(({ files, ...v }) => v),
        autoSnapshotPolicies: [...model.policies.values()].map((p) => ({ ...p, volumeIds: model.policyVolumes(p.AutoSnapshotPolicyId).map((v) => v.VolumeId) })),
        events: [...model.events.values()].map((e) => ({ ...e, Status: model.eventStatus(e), releaseAt: new Date(e.releaseAt).toISOString() })),
      });
    case "POST spot-interruption": {
      const { instanceId, noticeSeconds = 300 } = body(BODIES.spotInterruption);
      const ev = model.scheduleInterruption(instanceId, noticeSeconds);
      eventRules.emitSpot(ev, model.opts.region);
      return ok({ eventId: ev.Id, releaseAt: new Date(ev.releaseAt).toISOString().replace(/\.\d{3}Z$/, "Z"), type: ev.Type });
    }
    case "POST release": {
      const { instanceId } = body(BODIES.instance);
      model.release(instanceId);
      return ok({ released: instanceId });
    }
    case "GET disk":
    case "POST disk": {
      // A GET carries the volume index in its query string.
      const fromQuery = raw && typeof (raw as any).volume === "string" ? { ...(raw as object), volume: Number((raw as any).volume) } : raw;
      const req = BODIES.disk(fromQuery, `${method} ${subpath}`);
      const inst = model.getInstance(req.instanceId);
      const vol = model.volumesOf(inst)[req.volume ?? 0];
      if (!vol) throw new BadInput(`${req.instanceId} has no volume ${req.volume}.`);
      if (method === "POST") {
        if (req.path === undefined) throw new BadInput("POST disk needs path.");
        (req.buffered ? vol.buffered : vol.files)[req.path] = req.content ?? "";
      }
      return ok({ instanceId: inst.InstanceId, volumeId: vol.VolumeId, files: { ...vol.files }, buffered: { ...vol.buffered } });
    }
    case "GET event-rules":
      return ok({ rules: eventRules.rules, deliveries: eventRules.deliveries });
    case "POST event-rules": {
      const r = body(BODIES.eventRule);
      if (!/^https?:\/\//.test(r.url)) throw new BadInput("url must be an http(s) URL.");
      return ok(eventRules.add({ url: r.url, delayMs: r.delayMs ?? 0, lossRate: r.lossRate ?? 0 }));
    }
    case "POST guest": {
      const g = body(BODIES.guest);
      model.getInstance(g.instanceId);
      const current = model.guest.behaviour.get(g.instanceId) ?? { exitCode: 0, hang: false, agentInstalled: true };
      const next = { exitCode: g.exitCode ?? current.exitCode, hang: g.hang ?? current.hang, agentInstalled: g.agentInstalled ?? current.agentInstalled };
      model.guest.behaviour.set(g.instanceId, next);
      return ok({ instanceId: g.instanceId, ...next });
    }
    case "POST change-rate": {
      const { instanceId, changeGiBPerHour } = body(BODIES.changeRate);
      for (const v of model.volumesOf(model.getInstance(instanceId))) v.changeGiBPerHour = changeGiBPerHour;
      return ok({ instanceId, changeGiBPerHour });
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
