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
  /** The peer's address as its socket reports it (the admin API answers loopback only). */
  remoteAddress: string;
}

/** What a service answers; the front writes it as is. No body ever carries a stack trace or a file path. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown; // serialised as JSON
  /** A plain-text answer instead of JSON (the instance metadata service answers text). */
  text?: string;
}

/** One line of the call log (GET /_admin/calls). */
export interface CallRecord {
  seq: number;
  at: string; // ISO, emulated clock
  cloud: "volcengine" | "alicloud" | "openstack";
  service: string; // "ecs", "ram", "compute"
  action: string;
  params: Record<string, string>;
  /**
   * Parameters the cloud's API model does not know for this action (misspelled, or another API's): the
   * gateway ignores them, so a caller never learns they had no effect. From emulator/spec.ts.
   */
  unknownParams: string[];
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
  describe(req: EmulatorRequest): { service: string; action: string; params: Record<string, string>; unknownParams?: string[] } | undefined;
  handle(req: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse;
  /**
   * Render an error the front decided on (an injected throttle or 5xx, a malformed query) in this
   * cloud's own error envelope. Must not throw, whatever the request looks like.
   */
  renderError(req: EmulatorRequest, error: { code: string; status: number; message: string; retryAfterSeconds?: number }): EmulatorResponse;
  /** Admin routes under /_admin/<cloud>/... for this service's state (drills, tests). */
  admin(subpath: string, method: string, body: any): Promise<EmulatorResponse> | EmulatorResponse | undefined;
  reset(): void;
  /** The error code of an answer for the call log, when the cloud's error shape is its own (optional). */
  errorCode?(answer: EmulatorResponse): string | undefined;
}
