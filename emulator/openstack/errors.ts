// OpenStack API errors, one class per service's wire shape, each message written once. A service
// throws them; the router renders `body()` with `status` (and `headers`, when the service sends some).

export abstract class OpenStackError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  /** Headers the router adds (e.g. Nova's microversion headers on a fault). */
  extraHeaders: Record<string, string> = {};
  abstract body(): unknown;
  headers(): Record<string, string> {
    return { ...this.extraHeaders };
  }
}

const TITLES: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error", 503: "Service Unavailable" };

// ---- Keystone (and keystonemiddleware in front of Nova, Glance and Neutron) ----

/** keystone api-ref authenticate-v3.inc "Authentication errors": {"error": {code, title, message}}. */
export class KeystoneError extends OpenStackError {
  constructor(status: number, message: string, readonly title = TITLES[status] ?? "Error") {
    super(status, message);
  }
  body() {
    return { error: { code: this.status, title: this.title, message: this.message } };
  }
}

/** 401: authentication was not performed, the token is not valid (expired, revoked), or the credentials are wrong. */
export class Unauthorized extends KeystoneError {
  constructor(
    message = "The request you have made requires authentication.",
    private readonly identityUrl?: string,
  ) {
    super(401, message);
  }
  // keystonemiddleware (auth_token) answers 401 with where to authenticate.
  headers(): Record<string, string> {
    return this.identityUrl ? { ...this.extraHeaders, "WWW-Authenticate": `Keystone uri="${this.identityUrl}"` } : { ...this.extraHeaders };
  }
}

/** 400 from Keystone: a required attribute missing or of the wrong type. */
export class KeystoneValidationError extends KeystoneError {
  constructor(message: string) {
    super(400, message);
  }
}

export class KeystoneNotFound extends KeystoneError {
  constructor(message: string) {
    super(404, message);
  }
}

// ---- Nova ----

// nova api/openstack/wsgi.py Fault: the body's key names the fault by status, computeFault otherwise.
const NOVA_FAULT_NAMES: Record<number, string> = { 400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType", 429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable" };

/** nova api-ref (every .inc "Error response codes"): {"<faultName>": {"code", "message"}}. */
export class NovaFault extends OpenStackError {
  body() {
    return { [NOVA_FAULT_NAMES[this.status] ?? "computeFault"]: { code: this.status, message: this.message } };
  }
}

export class NovaBadRequest extends NovaFault {
  constructor(message: string) {
    super(400, message);
  }
}

export class ServerNotFound extends NovaFault {
  constructor(id: string) {
    super(404, `Instance ${id} could not be found.`);
  }
}

export class FlavorNotFound extends NovaFault {
  constructor(id: string, status = 404) {
    super(status, `Flavor ${id} could not be found.`);
  }
}

export class NovaItemNotFound extends NovaFault {
  constructor(message: string) {
    super(404, message);
  }
}

/** nova api/openstack/common.py raise_http_conflict_for_instance_invalid_state: 409 conflictingRequest. */
export class InstanceInvalidState extends NovaFault {
  constructor(action: string, serverId: string, attr: "vm_state" | "task_state", state: string | null) {
    super(409, `Cannot '${action}' instance ${serverId} while it is in ${attr} ${state}`);
  }
}

/** nova api-guide microversions.rst: a version outside the supported range is 406 Not Acceptable. */
export class VersionNotAcceptable extends NovaFault {
  constructor(requested: string, min: string, max: string) {
    super(406, `Version ${requested} is not supported by the API. Minimum is ${min} and maximum is ${max}.`);
  }
}

// ---- Glance ----

/**
 * Glance answers with webob's error documents; asked for JSON they are {"code": "404 Not Found", "title",
 * "message"} (webob's JSON error format; the glance api-ref names only the status codes).
 */
export class GlanceError extends OpenStackError {
  body() {
    const title = TITLES[this.status] ?? "Error";
    return { code: `${this.status} ${title}`, title, message: this.message };
  }
}

export class ImageNotFound extends GlanceError {
  constructor(id: string) {
    super(404, `No image found with ID ${id}`);
  }
}

// ---- Neutron ----

/** neutron: {"NeutronError": {"type", "message", "detail"}} (neutron-lib api-ref intro.inc "Faults" for the codes). */
export class NeutronError extends OpenStackError {
  constructor(
    status: number,
    readonly type: string,
    message: string,
  ) {
    super(status, message);
  }
  body() {
    return { NeutronError: { type: this.type, message: this.message, detail: "" } };
  }
}

export class NetworkNotFound extends NeutronError {
  constructor(id: string) {
    super(404, "NetworkNotFound", `Network ${id} could not be found.`);
  }
}

/** For the emulator's own admin routes. */
export class AdminError extends OpenStackError {
  constructor(
    status: number,
    readonly code: string,
    message: string,
  ) {
    super(status, message);
  }
  body() {
    return { error: this.code, message: this.message };
  }
}
