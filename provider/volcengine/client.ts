// The one Volcengine client: every service we use (`ecs`, and `storage_ebs` for volumes and snapshots),
// each through @volcengine/openapi's generic Service signed with its own service name (the credential
// scope `DATE/REGION/SERVICE/request`), GET with flattened parameters, ResponseMetadata.Error turned into
// CloudError (the SDK never throws on 4xx/5xx), and one retry strategy for the whole connection.
// `VolcengineClient.for(conn)` hands out one client per connection per process, so every resource of a
// `pulumi up` (they share the dynamic-provider host process) and the whole controller share one retry
// budget.
// The SDK hands back only the body, not the status or headers, so a Retry-After from Volcengine cannot
// be seen; throttling is recognised by its code (FlowLimitExceeded, as terraform-provider-volcengine does).
import { createHash } from "node:crypto";
import type { VolcengineConnection } from "../config";
import { CloudError, isNetworkError } from "../core/errors";
import { RetryStrategy, type RetryOptions } from "../core/retry";
import { flattenParams, type ParamObject } from "./params";

export type VolcengineService = "ecs" | "storage_ebs";
/** API versions: volcengine-go-sdk service/ecs and service/storageebs (both 2020-04-01). */
const VERSIONS: Record<VolcengineService, string> = { ecs: "2020-04-01", storage_ebs: "2020-04-01" };
const REQUEST_TIMEOUT_MS = 30_000;

export interface CallOptions {
  /** Whether a repeat cannot do harm twice; default: reads, and writes carrying a ClientToken. */
  safe?: boolean;
  signal?: AbortSignal;
}

export interface CallRecord {
  service: VolcengineService;
  action: string;
  ok: boolean;
  code?: string;
}

const cache = new Map<string, VolcengineClient>();

export class VolcengineClient {
  readonly region: string;
  readonly retry: RetryStrategy;
  private readonly services = new Map<VolcengineService, any>();
  private readonly apis = new Map<string, (query: Record<string, string>, init: object) => Promise<any>>();
  private readonly callListeners = new Set<(c: CallRecord) => void>();

  /** The process's client for this connection (one retry budget per connection). */
  static for(conn: VolcengineConnection): VolcengineClient {
    const key = connectionKey(conn);
    let client = cache.get(key);
    if (!client) cache.set(key, (client = new VolcengineClient(conn)));
    return client;
  }

  constructor(
    private readonly conn: VolcengineConnection,
    opts: { retry?: Partial<RetryOptions> } = {},
  ) {
    this.region = conn.region;
    this.retry = new RetryStrategy(opts.retry);
  }

  /**
   * The same account in another region (CopyImage's destination, a relaunch from a region copy). The
   * endpoint is one for every region (open.volcengineapi.com: the region is in the signature's
   * credential scope), so only the region changes; the retry options carry over.
   */
  forRegion(region: string): VolcengineClient {
    if (region === this.region) return this;
    let c = this.regional.get(region);
    if (!c) this.regional.set(region, (c = new VolcengineClient({ ...this.conn, region }, { retry: this.retry.opts })));
    return c;
  }

  private readonly regional = new Map<string, VolcengineClient>();

  /** Told of every HTTP call (metrics, the benchmark's counts). Returns an unsubscribe function. */
  onCall(listener: (c: CallRecord) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  ecs<T = any>(action: string, params: ParamObject = {}, opts: CallOptions = {}): Promise<T> {
    return this.request<T>("ecs", action, params, opts);
  }

  ebs<T = any>(action: string, params: ParamObject = {}, opts: CallOptions = {}): Promise<T> {
    return this.request<T>("storage_ebs", action, params, opts);
  }

  private async request<T>(service: VolcengineService, action: string, params: ParamObject, opts: CallOptions): Promise<T> {
    const safe = opts.safe ?? (/^(Describe|List|Get)/.test(action) || Boolean(params.ClientToken));
    const query = flattenParams(params);
    return this.retry.run(() => this.once<T>(service, action, query), { label: action, safe, signal: opts.signal });
  }

  private sdkService(service: VolcengineService): any {
    let s = this.services.get(service);
    if (!s) {
      // Required here, not at module scope: keeps the SDK out of anything serialized with a provider.
      const { Service } = require("@volcengine/openapi") as typeof import("@volcengine/openapi");
      const url = new URL(this.conn.endpoint ?? "https://open.volcengineapi.com");
      s = new Service({
        serviceName: service,
        defaultVersion: VERSIONS[service],
        region: this.conn.region,
        host: url.host,
        protocol: url.protocol,
        accessKeyId: this.conn.accessKeyId,
        secretKey: this.conn.secretKey,
        sessionToken: this.conn.sessionToken,
      } as any);
      this.services.set(service, s);
    }
    return s;
  }

  private async once<T>(service: VolcengineService, action: string, query: Record<string, string>): Promise<T> {
    const key = `${service}/${action}`;
    let api = this.apis.get(key);
    if (!api) {
      api = this.sdkService(service).createAPI(action, { Version: VERSIONS[service], method: "GET" }) as (q: Record<string, string>, i: object) => Promise<any>;
      this.apis.set(key, api);
    }
    let body: any;
    try {
      body = await api(query, { timeout: REQUEST_TIMEOUT_MS });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const code = e.code ?? (isNetworkError(err) ? "NetworkError" : "RequestFailed");
      this.tell({ service, action, ok: false, code });
      // Keep the network code: the retry strategy and findOrCreate read it.
      throw new CloudError({ cloud: "volcengine", action, code, message: e.message ?? String(err) });
    }
    const meta = body?.ResponseMetadata;
    if (!meta) {
      this.tell({ service, action, ok: false, code: "InvalidResponse" });
      throw new CloudError({ cloud: "volcengine", action, code: "InvalidResponse", message: `unexpected response: ${JSON.stringify(body).slice(0, 200)}` });
    }
    if (meta.Error) {
      const code = meta.Error.Code ?? String(meta.Error.CodeN ?? "Unknown");
      this.tell({ service, action, ok: false, code });
      throw new CloudError({ cloud: "volcengine", action, code, message: meta.Error.Message ?? "", requestId: meta.RequestId, httpStatus: statusForCode(code) });
    }
    this.tell({ service, action, ok: true });
    return body.Result as T;
  }

  private tell(c: CallRecord): void {
    for (const l of this.callListeners) l(c);
  }
}

function connectionKey(c: VolcengineConnection): string {
  const secret = createHash("sha256").update(`${c.secretKey}\0${c.sessionToken ?? ""}`).digest("hex");
  return JSON.stringify([c.region, c.endpoint ?? "", c.accessKeyId, secret]);
}

/** The SDK hides the HTTP status; recover it for the codes whose status the API notes document. */
function statusForCode(code: string): number | undefined {
  if (/FlowLimitExceeded/.test(code)) return 429;
  if (code === "InternalServiceError" || code === "InternalError") return 500;
  if (code === "ServiceUnavailableTemp") return 503;
  return undefined;
}
