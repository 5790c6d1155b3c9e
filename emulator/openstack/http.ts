// What the OpenStack services' routers share: the request as they see it, replies, URLs and times.
import type { EmulatorRequest, EmulatorResponse } from "../service";
import type { Token } from "./identity/model";
import type { OpenStackModel } from "./models";
import { Query } from "./params";

export interface Call {
  req: EmulatorRequest;
  model: OpenStackModel;
  /** http://host:port as the client addressed the emulator (catalog URLs are built from it). */
  base: string;
  /** Path segments after the service's prefix, e.g. ["v2.1", "servers", "<id>"]. */
  segments: string[];
  query: Query;
}

export function call(req: EmulatorRequest, model: OpenStackModel, prefix: string): Call {
  const host = String(req.headers.host ?? "127.0.0.1");
  const rest = req.path.slice(prefix.length);
  return { req, model, base: `http://${host}`, segments: rest.split("/").filter(Boolean).map(safeDecode), query: new Query(req.rawQuery) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const reply = (status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse => ({ status, body, headers });

/** The caller's token, from X-Auth-Token (keystonemiddleware in front of every service). */
export function authToken(c: Call): Token {
  const raw = c.req.headers["x-auth-token"];
  return c.model.identity.authenticate(typeof raw === "string" ? raw : undefined, `${c.base}/identity`);
}

/** RFC 3339 UTC without fractions, as Nova, Glance and Neutron print times. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function header(c: Call, name: string): string | undefined {
  const v = c.req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}
