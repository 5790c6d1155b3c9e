// The contract between the emulator's HTTP front (server.ts) and each emulated cloud service.
// A service parses its own wire format, verifies its own signature scheme and renders its own
// envelope; the front only routes, applies faults, and records the call log.
import type { IncomingHttpHeaders } from "node:http";
import type { Clock } from "./clock";

/** One HTTP request as the front received it (body fully read). */
export interface EmulatorRequest {
  method: string;
  /** Path without the query string, e.g. "/". */
  path: string;
  /** Raw query string without the leading "?" (undecoded, as sent on the wire). */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a service answers; the front writes it as is. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown; // serialised as JSON
}

/** One line of the call log (GET /_admin/calls). */
export interface CallRecord {
  seq: number;
  at: string; // ISO, emulated clock
  cloud: "volcengine" | "alicloud" | "openstack";
  service: string; // "ecs", "ram", "compute"
  action: string;
  params: Record<string, string>;
  status: number;
  code?: string; // error code, when the answer was an error
  fault?: string; // the injected fault, when one was applied
}

/** Shared by every service: the clock, the credential store. */
export interface EmulatorContext {
  clock: Clock;
  /** accessKeyId -> secret; a request signed with any other key is rejected as the cloud does. */
  credentials: Map<string, string>;
}

/**
 * An emulated cloud. `matches` decides by headers/query alone (signature scheme) whether the request
 * is this cloud's; `handle` verifies the signature, dispatches the action, renders the envelope.
 */
export interface CloudService {
  cloud: "volcengine" | "alicloud" | "openstack";
  matches(req: EmulatorRequest): boolean;
  /** Action name and flat params, for the call log and fault matching; undefined if unparseable. */
  describe(req: EmulatorRequest): { service: string; action: string; params: Record<string, string> } | undefined;
  handle(req: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse;
  /** Render an injected fault (throttling or 5xx) in this cloud's own error envelope. */
  renderFault(req: EmulatorRequest, fault: { code: string; status: number; retryAfterSeconds?: number }): EmulatorResponse;
  /** Admin routes under /_admin/<cloud>/... for this service's state (drills, tests). */
  admin(subpath: string, method: string, body: any): Promise<EmulatorResponse> | EmulatorResponse | undefined;
  reset(): void;
  /** The error code of an answer for the call log, when the cloud's error shape is its own (optional). */
  errorCode?(answer: EmulatorResponse): string | undefined;
}
