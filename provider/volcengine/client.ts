// The one Volcengine ECS client: @volcengine/openapi's generic Service (there is no ECS-specific
// client), GET with flattened parameters, ResponseMetadata.Error turned into CloudError (the SDK never
// throws on 4xx/5xx), and every call under the one retry policy.
// The SDK hands back only the body, not the status or headers, so a Retry-After from Volcengine cannot
// be seen; throttling is recognised by its code (FlowLimitExceeded, as terraform-provider-volcengine does).
import type { VolcengineConnection } from "../config";
import { CloudError } from "../core/errors";
import { RetryBudget, withRetry, type RetryOptions } from "../core/retry";
import { flattenParams, type ParamObject } from "./params";

export const ECS_VERSION = "2020-04-01";
const REQUEST_TIMEOUT_MS = 30_000;

export interface CallObserver {
  onCall?(action: string): void;
  onRetry?(action: string, err: unknown, attempt: number, delayMs: number): void;
}

export class EcsClient {
  readonly region: string;
  private readonly service: any;
  private readonly budget = new RetryBudget();
  private readonly apis = new Map<string, (query: Record<string, string>, init: object) => Promise<any>>();

  constructor(
    conn: VolcengineConnection,
    private readonly opts: { retry?: Partial<RetryOptions>; observer?: CallObserver } = {},
  ) {
    // Required here, not at module scope: keeps the SDK out of anything serialized with a provider.
    const { Service } = require("@volcengine/openapi") as typeof import("@volcengine/openapi");
    const url = new URL(conn.endpoint ?? "https://open.volcengineapi.com");
    this.region = conn.region;
    this.service = new Service({
      serviceName: "ecs",
      defaultVersion: ECS_VERSION,
      region: conn.region,
      host: url.host,
      protocol: url.protocol,
      accessKeyId: conn.accessKeyId,
      secretKey: conn.secretKey,
      sessionToken: conn.sessionToken,
    } as any);
  }

  /**
   * Calls `action`. Reads are retried; a write is retried only when it carries a ClientToken (then the
   * cloud answers a repeat with the first result), unless `safe` says otherwise.
   */
  async call<T = any>(action: string, params: ParamObject = {}, opts: { safe?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const safe = opts.safe ?? (/^(Describe|List|Get)/.test(action) || Boolean(params.ClientToken));
    const query = flattenParams(params);
    try {
      return await withRetry(() => this.once<T>(action, query), {
        safe,
        budget: this.budget,
        retry: this.opts.retry,
        signal: opts.signal,
        onRetry: (err, attempt, delay) => this.opts.observer?.onRetry?.(action, err, attempt, delay),
      });
    } catch (err) {
      if (err instanceof CloudError) throw err;
      const e = err as { code?: string; message?: string };
      throw new CloudError({ cloud: "volcengine", action, code: e.code ?? "NetworkError", message: e.message ?? String(err) });
    }
  }

  private async once<T>(action: string, query: Record<string, string>): Promise<T> {
    this.opts.observer?.onCall?.(action);
    let api = this.apis.get(action);
    if (!api) {
      api = this.service.createAPI(action, { Version: ECS_VERSION, method: "GET" }) as (q: Record<string, string>, i: object) => Promise<any>;
      this.apis.set(action, api);
    }
    const body = await api(query, { timeout: REQUEST_TIMEOUT_MS });
    const meta = body?.ResponseMetadata;
    if (!meta) {
      throw new CloudError({ cloud: "volcengine", action, code: "InvalidResponse", message: `unexpected response: ${JSON.stringify(body).slice(0, 200)}` });
    }
    if (meta.Error) {
      throw new CloudError({
        cloud: "volcengine",
        action,
        code: meta.Error.Code ?? String(meta.Error.CodeN ?? "Unknown"),
        message: meta.Error.Message ?? "",
        requestId: meta.RequestId,
        httpStatus: statusForCode(meta.Error.Code),
      });
    }
    return body.Result as T;
  }
}

/** The SDK hides the HTTP status; recover it for the codes whose status the API notes document. */
function statusForCode(code: string | undefined): number | undefined {
  if (!code) return undefined;
  if (/FlowLimitExceeded/.test(code)) return 429;
  if (code === "InternalServiceError") return 500;
  if (code === "ServiceUnavailableTemp") return 503;
  return undefined;
}
