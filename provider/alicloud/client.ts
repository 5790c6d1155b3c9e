// The one Alibaba Cloud client: ECS (with Cloud Assistant) on @alicloud/ecs20140526 and RAM on
// @alicloud/ram20150501, both through the SDK's generic RPC call (`callApi`: ACS3-HMAC-SHA256 signing,
// parameters in the query). The SDK retries nothing here (no retryOptions): every retry goes through the
// one retry policy. SDK errors (ThrottlingError, ClientError, ServerError) become CloudError.
import { createHash } from "node:crypto";
import type { AlicloudConnection } from "../config";
import { CloudError, isNetworkError } from "../core/errors";
import { RetryStrategy, type RetryOptions } from "../core/retry";

const VERSIONS = { ecs: "2014-05-26", ram: "2015-05-01" } as const;
const TIMEOUT_MS = 30_000; // the SDK's 3 s defaults are too short for a loaded endpoint

export type AlicloudParam = string | number | boolean | undefined | string[];

/** One HTTP call, for listeners (metrics). */
export interface CallRecord {
  service: "ecs" | "ram";
  action: string;
  ok: boolean;
  code?: string;
}

const cache = new Map<string, AlicloudClient>();

export class AlicloudClient {
  readonly region: string;
  readonly retry: RetryStrategy;
  private readonly ecs: any;
  private readonly ram: any;
  private readonly callListeners = new Set<(c: CallRecord) => void>();

  /** The process's client for this connection (one retry budget per connection). */
  static for(conn: AlicloudConnection): AlicloudClient {
    const secret = createHash("sha256").update(`${conn.accessKeySecret}\0${conn.securityToken ?? ""}`).digest("hex");
    const key = JSON.stringify([conn.region, conn.ecsEndpoint ?? "", conn.ramEndpoint ?? "", conn.accessKeyId, secret]);
    let client = cache.get(key);
    if (!client) cache.set(key, (client = new AlicloudClient(conn)));
    return client;
  }

  constructor(
    conn: AlicloudConnection,
    opts: { retry?: Partial<RetryOptions> } = {},
  ) {
    // Required here, not at module scope: keeps the SDKs out of anything serialized with a provider.
    const core = require("@alicloud/openapi-core");
    const Ecs = require("@alicloud/ecs20140526").default;
    const Ram = require("@alicloud/ram20150501").default;
    this.region = conn.region;
    this.retry = new RetryStrategy(opts.retry);
    const config = (endpoint: string | undefined, fallback: string) => {
      const url = endpoint ? new URL(endpoint) : undefined;
      return new core.$OpenApiUtil.Config({
        accessKeyId: conn.accessKeyId,
        accessKeySecret: conn.accessKeySecret,
        securityToken: conn.securityToken,
        regionId: conn.region,
        endpoint: url ? url.host : fallback,
        protocol: url ? url.protocol.replace(":", "").toUpperCase() : "HTTPS",
        readTimeout: TIMEOUT_MS,
        connectTimeout: TIMEOUT_MS,
      });
    };
    this.ecs = new Ecs(config(conn.ecsEndpoint, `ecs.${conn.region}.aliyuncs.com`));
    this.ram = new Ram(config(conn.ramEndpoint, "ram.aliyuncs.com"));
  }

  /** Told of every HTTP call (the service's metrics). Returns an unsubscribe function. */
  onCall(listener: (c: CallRecord) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  /**
   * Calls `action` on ECS or RAM. Lists flatten to `Name.N`. Reads are retried; writes only when they
   * carry a ClientToken or the caller says a repeat is harmless (`safe`). ECS calls carry the region as
   * `RegionId`, or under the name `regionParam` gives (the auto-snapshot-policy APIs' lower-camel
   * `regionId`; none for DeleteSnapshot, whose model has no region).
   */
  async call<T = any>(service: "ecs" | "ram", action: string, params: Record<string, AlicloudParam> = {}, opts: { safe?: boolean; regionParam?: "RegionId" | "regionId" | null } = {}): Promise<T> {
    const safe = opts.safe ?? (/^(Describe|List|Get)/.test(action) || Boolean(params.ClientToken));
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((item, i) => (query[`${k}.${i + 1}`] = item));
      else query[k] = String(v);
    }
    return this.retry.run(() => this.once<T>(service, action, query, opts.regionParam === undefined ? "RegionId" : opts.regionParam), { label: action, safe });
  }

  private async once<T>(service: "ecs" | "ram", action: string, query: Record<string, string>, regionParam: string | null): Promise<T> {
    const core = require("@alicloud/openapi-core");
    const { RuntimeOptions } = require("@darabonba/typescript");
    const params = new core.$OpenApiUtil.Params({
      action,
      version: VERSIONS[service],
      protocol: "HTTPS",
      pathname: "/",
      method: "POST",
      authType: "AK",
      style: "RPC",
      reqBodyType: "formData",
      bodyType: "json",
    });
    // RAM is global: its request models have no RegionId (@alicloud/ram20150501), so none is sent; nor for
    // the few ECS actions whose models have none (`regionParam: null`: DeleteSnapshot).
    const request = new core.$OpenApiUtil.OpenApiRequest({ query: service === "ecs" && regionParam ? { [regionParam]: this.region, ...query } : query });
    try {
      const res = await (service === "ecs" ? this.ecs : this.ram).callApi(params, request, new RuntimeOptions({ readTimeout: TIMEOUT_MS, connectTimeout: TIMEOUT_MS }));
      for (const l of this.callListeners) l({ service, action, ok: true });
      return res.body as T;
    } catch (err) {
      const e = toCloudError(action, err);
      for (const l of this.callListeners) l({ service, action, ok: false, code: (e as { code?: string }).code ?? "NetworkError" });
      throw e;
    }
  }
}

function toCloudError(action: string, err: any): Error {
  if (err?.code && err?.statusCode) {
    const retryAfter = Number(err.retryAfter);
    return new CloudError({
      cloud: "alicloud",
      action,
      code: String(err.code),
      message: String(err.data?.Message ?? err.message ?? ""),
      requestId: err.data?.RequestId ?? err.requestId,
      httpStatus: err.statusCode,
      retryAfterMs: retryAfter > 0 ? retryAfter : undefined,
    });
  }
  if (err?.code && isNetworkError(err)) {
    // The Tea client appends the whole request URL ("socket hang upPOST http://…?<every parameter> failed."):
    // a RunCommand's script, a policy document. The connection's failure is all that is worth saying.
    const what = String(err.message ?? "").split(/(?:GET|POST) https?:\/\//)[0] || String(err.code);
    return new CloudError({ cloud: "alicloud", action, code: String(err.code), message: `${what}: the connection failed before an answer arrived` });
  }
  return err instanceof Error ? err : new Error(String(err));
}
