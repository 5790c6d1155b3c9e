// The one OpenStack client (no well-kept OpenStack SDK exists for Node; pkgcloud is unmaintained): Keystone
// v3 tokens by password or application credential, endpoints from the token's service catalog (region and
// interface), the token renewed before it expires and once more on a 401, every Nova call pinned to one
// compute microversion, error bodies of each service turned into CloudError with the service's own code,
// and one retry strategy for the whole connection. `OpenStackClient.for(conn)` hands out one client per
// connection per process, so every resource of a `pulumi up` and the whole runner share one retry budget.
//
// Sources: keystone api-ref authenticate-v3.inc (POST /v3/auth/tokens, X-Subject-Token, catalog,
// expires_at); nova api-guide microversions.rst (OpenStack-API-Version: compute X.Y) and faults.rst (the
// body's key names the fault); glance api-ref (webob error documents); keystoneauth1 (re-authenticates on
// a 401 once; renews tokens close to expiry: `will_expire_soon`, default 30 s before).
import { createHash } from "node:crypto";
import type { OpenStackAuth, OpenStackConnection } from "../config";
import { CloudError, isNetworkError } from "../core/errors";
import { RetryStrategy, type RetryOptions } from "../core/retry";

/**
 * The compute microversion of every Nova call: 2.45 is the lowest at which createBackup answers the new
 * image's id in its body (servers-actions.inc createBackup; before, only a Location header, and none with
 * rotation 0). Nothing else we use needs more; Nova has served 2.45 since Pike (2017).
 */
export const COMPUTE_MICROVERSION = "2.45";
const REQUEST_TIMEOUT_MS = 30_000;

export type OpenStackServiceType = "compute" | "image";

export interface CallOptions {
  /** JSON body. */
  body?: unknown;
  /** Query parameters; arrays repeat the key; undefined values are left out. */
  query?: Record<string, string | number | boolean | (string | number)[] | undefined>;
  /** Whether a repeat cannot do harm twice; default: GET, HEAD, PUT and DELETE. */
  safe?: boolean;
  signal?: AbortSignal;
  /** For logs, errors and the call counts: "createBackup", "GET /servers/{id}". */
  action?: string;
}

export interface OpenStackResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallRecord {
  service: OpenStackServiceType | "identity";
  action: string;
  ok: boolean;
  status?: number;
  code?: string;
}

interface Token {
  id: string;
  projectId?: string;
  userId?: string;
  /** Catalog endpoints by service type: the URL for our region and interface. */
  endpoints: Map<string, string>;
  /** Local time (ms) from which the token counts as close to expiry. */
  renewAt: number;
}

const cache = new Map<string, OpenStackClient>();

export class OpenStackClient {
  readonly retry: RetryStrategy;
  private token?: Token;
  private pending?: Promise<Token>;
  private readonly callListeners = new Set<(c: CallRecord) => void>();

  /** The process's client for this connection (one retry budget, one token per connection). */
  static for(conn: OpenStackConnection): OpenStackClient {
    const key = connectionKey(conn);
    let client = cache.get(key);
    if (!client) cache.set(key, (client = new OpenStackClient(conn)));
    return client;
  }

  constructor(
    readonly conn: OpenStackConnection,
    opts: { retry?: Partial<RetryOptions> } = {},
  ) {
    this.retry = new RetryStrategy(opts.retry);
  }

  get region(): string {
    return this.conn.region ?? "(the catalog's region)";
  }

  /** Told of every HTTP call (metrics, tests' counts). Returns an unsubscribe function. */
  onCall(listener: (c: CallRecord) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  /** The project the token is scoped to (what Nova and Glance answer for). */
  async projectId(): Promise<string | undefined> {
    return (await this.retry.run(() => this.currentToken(), { label: "POST /v3/auth/tokens", safe: true })).projectId;
  }

  compute<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<OpenStackResponse<T>> {
    return this.request<T>("compute", method, path, opts);
  }

  image<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<OpenStackResponse<T>> {
    return this.request<T>("image", method, path, opts);
  }

  private async request<T>(service: OpenStackServiceType, method: string, path: string, opts: CallOptions): Promise<OpenStackResponse<T>> {
    const safe = opts.safe ?? ["GET", "HEAD", "PUT", "DELETE"].includes(method);
    const action = opts.action ?? `${method} ${path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "{id}")}`;
    // The token first, retried on its own (asking Keystone again is always safe), then the call: one level
    // of retry each, never one around the other.
    const first = await this.retry.run(() => this.currentToken(opts.signal), { label: "POST /v3/auth/tokens", safe: true, signal: opts.signal });
    return this.retry.run((attempt) => this.once<T>(service, method, path, opts, action, false, attempt === 1 ? first : undefined), { label: action, safe, signal: opts.signal });
  }

  private async once<T>(service: OpenStackServiceType, method: string, path: string, opts: CallOptions, action: string, reauthenticated: boolean, given?: Token): Promise<OpenStackResponse<T>> {
    const token = given ?? (await this.currentToken(opts.signal));
    const base = token.endpoints.get(service);
    if (!base) throw new CloudError({ cloud: "openstack", action, code: "EndpointNotFound", message: `the service catalog has no ${service} endpoint for interface ${this.conn.interface}${this.conn.region ? ` in region ${this.conn.region}` : ""}` });
    const url = new URL(joinUrl(service === "image" ? imageBase(base) : base, path));
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
    const headers: Record<string, string> = { accept: "application/json", "x-auth-token": token.id, "user-agent": "pulumi-recovery" };
    if (service === "compute") headers["openstack-api-version"] = `compute ${COMPUTE_MICROVERSION}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const res = await this.fetch(service, action, url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }, opts.signal);
    // keystoneauth: a 401 means the token is no longer valid (expired early, revoked): authenticate again, once.
    if (res.status === 401 && !reauthenticated) {
      if (this.token?.id === token.id) this.token = undefined;
      this.tell({ service, action, ok: false, status: 401, code: "Unauthorized" });
      return this.once<T>(service, method, path, opts, action, true);
    }
    return this.answer<T>(service, action, res);
  }

  private async answer<T>(service: CallRecord["service"], action: string, res: Response): Promise<OpenStackResponse<T>> {
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (res.status >= 400) {
      const err = errorOf(service, action, res, body);
      this.tell({ service, action, ok: false, status: res.status, code: err.code });
      throw err;
    }
    this.tell({ service, action, ok: true, status: res.status });
    return { status: res.status, body: body as T, headers: res.headers };
  }

  private async fetch(service: CallRecord["service"], action: string, url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const code = timeout.aborted ? "ETIMEDOUT" : cause?.code ?? (isNetworkError(err) ? "NetworkError" : "RequestFailed");
      this.tell({ service, action, ok: false, code });
      // Keep the network code: the retry strategy and findOrCreate read it.
      throw new CloudError({ cloud: "openstack", action, code, message: `${cause?.message ?? (err as Error).message} (${url.origin})` });
    }
  }

  // ---- Keystone ----

  private async currentToken(signal?: AbortSignal): Promise<Token> {
    if (this.token && Date.now() < this.token.renewAt) return this.token;
    // One authentication at a time: concurrent calls wait for the same token.
    this.pending ??= this.authenticate(signal)
      .then((t) => (this.token = t))
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async authenticate(signal?: AbortSignal): Promise<Token> {
    const url = new URL(joinUrl(identityBase(this.conn.authUrl), "/auth/tokens"));
    const res = await this.fetch("identity", "POST /v3/auth/tokens", url, { method: "POST", headers: { accept: "application/json", "content-type": "application/json", "user-agent": "pulumi-recovery" }, body: JSON.stringify(authBody(this.conn.auth)) }, signal);
    const { body, headers } = await this.answer<any>("identity", "POST /v3/auth/tokens", res).catch((e) => {
      if (e instanceof CloudError && e.httpStatus === 401) {
        throw new CloudError({ cloud: "openstack", action: e.action, code: e.code, httpStatus: 401, requestId: e.requestId, message: `Keystone refused the credentials (${this.conn.auth.method === "password" ? "user, password, domain or project" : "application credential"}) from ${this.conn.source}` });
      }
      throw e;
    });
    const id = headers.get("x-subject-token");
    const t = body?.token;
    if (!id || !t) throw new CloudError({ cloud: "openstack", action: "POST /v3/auth/tokens", code: "InvalidResponse", message: "Keystone answered without a token" });
    const issued = Date.parse(t.issued_at ?? "");
    const expires = Date.parse(t.expires_at ?? "");
    // Lifetime on Keystone's clock, counted from now on ours: a skewed local clock does not matter.
    const lifetime = Number.isFinite(issued) && Number.isFinite(expires) ? expires - issued : 3600_000;
    const margin = Math.min(5 * 60_000, Math.max(30_000, lifetime / 10));
    return { id, projectId: t.project?.id, userId: t.user?.id, endpoints: this.endpointsOf(t.catalog ?? []), renewAt: Date.now() + Math.max(0, lifetime - margin) };
  }

  private endpointsOf(catalog: { type: string; endpoints: { interface: string; region?: string; region_id?: string; url: string }[] }[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const svc of catalog) {
      const mine = svc.endpoints.filter((e) => e.interface === this.conn.interface);
      const inRegion = this.conn.region ? mine.filter((e) => (e.region_id ?? e.region) === this.conn.region || e.region === this.conn.region) : mine;
      if (!this.conn.region && new Set(mine.map((e) => e.region_id ?? e.region)).size > 1) {
        // Several regions and none chosen: refuse to guess (keystoneauth would take the first).
        if (svc.type === "compute") throw new Error(`the OpenStack catalog has ${svc.type} endpoints in several regions (${[...new Set(mine.map((e) => e.region_id ?? e.region))].join(", ")}): set openstack:region or OS_REGION_NAME`);
        continue;
      }
      if (inRegion[0]) out.set(svc.type, inRegion[0].url);
    }
    return out;
  }

  private tell(c: CallRecord): void {
    for (const l of this.callListeners) l(c);
  }
}

/** keystone api-ref authenticate-v3.inc: the password method (project-scoped) or application_credential (scoped by itself). */
function authBody(a: OpenStackAuth): unknown {
  const domain = (id?: string, name?: string) => (id ? { id } : name ? { name } : undefined);
  const user = (u: { userId?: string; userName?: string; userDomainId?: string; userDomainName?: string }) =>
    u.userId ? { id: u.userId } : { name: u.userName, domain: domain(u.userDomainId, u.userDomainName) };
  if (a.method === "application_credential") {
    const ac = a.id ? { id: a.id, secret: a.secret } : { name: a.name, secret: a.secret, user: user(a) };
    return { auth: { identity: { methods: ["application_credential"], application_credential: ac } } };
  }
  const project = a.projectId ? { id: a.projectId } : { name: a.projectName, domain: domain(a.projectDomainId, a.projectDomainName) };
  return { auth: { identity: { methods: ["password"], password: { user: { ...user(a), password: a.password } } }, scope: { project } } };
}

/** Keystone's base with /v3, whether or not the configured URL names the version. */
function identityBase(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(u) ? u : `${u}/v3`;
}

/** Glance's catalog URL is usually unversioned; some clouds register …/v2. */
function imageBase(url: string): string {
  const u = url.replace(/\/+$/, "");
  return /\/v2(\.\d+)?$/.test(u) ? u.replace(/\/v2(\.\d+)?$/, "/v2") : `${u}/v2`;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

const TITLES: Record<number, string> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 413: "RequestEntityTooLarge", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout" };

/**
 * Each service's error body in one CloudError: Nova {"<fault>": {code, message}} (the fault name is the
 * code: itemNotFound, conflictingRequest, badRequest, overLimit, …), Keystone {"error": {code, title,
 * message}}, Glance {"code": "404 Not Found", "title", "message"} or an HTML page; Retry-After (or Nova's
 * body retryAfter) kept as the retry floor.
 */
export function errorOf(service: CallRecord["service"], action: string, res: Pick<Response, "status" | "headers">, body: unknown): CloudError {
  let code = TITLES[res.status] ?? `HTTP${res.status}`;
  let message = typeof body === "string" ? body.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300) : "";
  let retryAfter = res.headers.get("retry-after") ?? undefined;
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, any>;
    if (b.error && typeof b.error === "object") {
      code = String(b.error.title ?? code).replace(/\s+/g, "");
      message = String(b.error.message ?? "");
    } else if (typeof b.message === "string") {
      code = typeof b.title === "string" ? b.title.replace(/\s+/g, "") : code;
      message = b.message;
    } else {
      const [key] = Object.keys(b);
      const inner = key ? b[key] : undefined;
      if (inner && typeof inner === "object" && "message" in inner) {
        code = key;
        message = String(inner.message);
        if (inner.retryAfter !== undefined) retryAfter ??= String(inner.retryAfter);
      }
    }
  }
  const seconds = retryAfter !== undefined ? Number(retryAfter) : NaN;
  const dated = retryAfter !== undefined && Number.isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : NaN;
  const retryAfterMs = Number.isFinite(seconds) ? seconds * 1000 : Number.isFinite(dated) ? Math.max(0, dated) : undefined;
  return new CloudError({
    cloud: "openstack",
    action,
    code,
    message: message || `HTTP ${res.status}`,
    httpStatus: res.status,
    requestId: res.headers.get("x-openstack-request-id") ?? res.headers.get("x-compute-request-id") ?? undefined,
    retryAfterMs,
  });
}

function connectionKey(c: OpenStackConnection): string {
  const secret = createHash("sha256").update(JSON.stringify(c.auth)).digest("hex");
  return JSON.stringify([c.authUrl, c.region ?? "", c.interface, secret]);
}

/** Forgets every cached client (tests that change connection settings in one process). */
export function forgetClients(): void {
  cache.clear();
}
