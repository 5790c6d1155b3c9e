// The OpenStack cloud of the emulator: Keystone v3 at /identity, Nova 2.1 at /compute, Glance v2 at
// /image and Neutron at /network, all on the emulator's one port (DevStack's path layout), told from the
// other clouds by path prefix. Every call but version discovery carries a Keystone token (X-Auth-Token),
// checked as keystonemiddleware does; errors are rendered in each service's own shape.
import { randomUUID } from "node:crypto";
import type { CloudService, EmulatorContext, EmulatorRequest, EmulatorResponse } from "../service";
import { compute } from "./compute/responses";
import { OpenStackError } from "./errors";
import { call, type Call } from "./http";
import { identity } from "./identity/responses";
import { image } from "./image/responses";
import { OpenStackModel, type OpenStackOptions } from "./models";
import { network } from "./network/responses";
import { adminRoute } from "./admin";
import { Query } from "./params";

export type { OpenStackOptions } from "./models";
export { OPENSTACK_SEED } from "./identity/model";

export interface OpenStackService extends CloudService {
  model: OpenStackModel;
}

const SERVICES: { prefix: string; service: string; handle: (c: Call) => EmulatorResponse; fault: (status: number, code: string, message: string) => unknown }[] = [
  { prefix: "/identity", service: "identity", handle: identity, fault: (status, _code, message) => ({ error: { code: status, title: httpTitle(status), message } }) },
  { prefix: "/compute", service: "compute", handle: compute, fault: (status, code, message) => ({ [code]: { code: status, message } }) },
  { prefix: "/image", service: "image", handle: image, fault: (status, _code, message) => ({ code: `${status} ${httpTitle(status)}`, title: httpTitle(status), message }) },
  { prefix: "/network", service: "network", handle: network, fault: (_status, code, message) => ({ NeutronError: { type: code, message, detail: "" } }) },
];

/** Injected faults outside Nova carry the HTTP reason phrase, as Keystone's and webob's errors do. */
function httpTitle(status: number): string {
  return ({ 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" } as Record<number, string>)[status] ?? "Error";
}

function serviceOf(req: EmulatorRequest) {
  return SERVICES.find((s) => req.path === s.prefix || req.path.startsWith(`${s.prefix}/`));
}

/**
 * oslo.middleware request_id: every answer of every service carries x-openstack-request-id (req-<uuid>);
 * nova's compute_req_id middleware also sends it as x-compute-request-id.
 */
function requestIdHeaders(service: string): Record<string, string> {
  const id = `req-${randomUUID()}`;
  return service === "compute" ? { "x-openstack-request-id": id, "x-compute-request-id": id } : { "x-openstack-request-id": id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The action name for the call log and fault rules: the server action's own name for
 * POST …/servers/{id}/action (createBackup, rescue, os-stop, …), else "METHOD /path" with ids as {id}.
 */
function describeCall(req: EmulatorRequest): { action: string; params: Record<string, string> } {
  const svc = serviceOf(req)!;
  const rest = req.path.slice(svc.prefix.length) || "/";
  const params: Record<string, string> = {};
  for (const k of new Query(req.rawQuery).keys()) params[k] = new Query(req.rawQuery).get(k) ?? "";
  let body: unknown;
  try {
    body = req.body.length ? JSON.parse(req.body.toString("utf8")) : undefined;
  } catch {
    body = undefined;
  }
  if (req.method === "POST" && /\/servers\/[^/]+\/action$/.test(rest) && body && typeof body === "object" && !Array.isArray(body)) {
    const [name] = Object.keys(body);
    const arg = (body as Record<string, unknown>)[name];
    params.server = rest.split("/").slice(-2)[0];
    if (arg && typeof arg === "object") for (const [k, v] of Object.entries(arg)) if (typeof v !== "object" && !/pass/i.test(k)) params[k] = String(v);
    return { action: name ?? "action", params };
  }
  const template = rest
    .split("/")
    .map((seg) => (UUID.test(seg) || /^[0-9a-f]{32}$/.test(seg) ? "{id}" : seg))
    .join("/");
  return { action: `${req.method} ${template}`, params };
}

export function createOpenStackService(ctx: EmulatorContext, options: Partial<OpenStackOptions> = {}): OpenStackService {
  const model = new OpenStackModel(ctx.clock, options);
  return {
    cloud: "openstack",
    model,
    matches: (req) => serviceOf(req) !== undefined,
    describe(req) {
      const svc = serviceOf(req);
      if (!svc) return undefined;
      return { service: svc.service, ...describeCall(req) };
    },
    handle(req) {
      const svc = serviceOf(req)!;
      model.settle();
      let res: EmulatorResponse;
      try {
        res = svc.handle(call(req, model, svc.prefix));
      } catch (e) {
        if (!(e instanceof OpenStackError)) throw e;
        res = { status: e.status, body: e.body(), headers: e.headers() };
      }
      return { ...res, headers: { ...requestIdHeaders(svc.service), ...(res.headers ?? {}) } };
    },
    renderError(req, error) {
      const svc = serviceOf(req) ?? SERVICES[0];
      const headers: Record<string, string> = { ...requestIdHeaders(svc.service), ...(error.retryAfterSeconds !== undefined ? { "Retry-After": String(error.retryAfterSeconds) } : {}) };
      const body = svc.fault(error.status, error.code, error.message) as Record<string, Record<string, unknown>>;
      // nova wsgi.py Fault: 413/429 carry retryAfter in the body too.
      if (svc.service === "compute" && error.retryAfterSeconds !== undefined && body[error.code]) body[error.code].retryAfter = String(error.retryAfterSeconds);
      return { status: error.status, body, headers };
    },
    errorCode(answer) {
      if (answer.status < 400) return undefined;
      const b = answer.body as Record<string, any> | undefined;
      if (!b || typeof b !== "object") return undefined;
      if (b.NeutronError) return String(b.NeutronError.type);
      if (b.error && typeof b.error === "object") return String(b.error.title);
      if (typeof b.title === "string") return b.title;
      const [key] = Object.keys(b);
      return key;
    },
    admin(subpath, method, body) {
      model.settle();
      return adminRoute(model, subpath, method, body ?? {});
    },
    reset: () => model.reset(),
  };
}
