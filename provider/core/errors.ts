// Errors that name what failed, where, and what to do. Every cloud call failure becomes a CloudError;
// resources wrap it with their own name via `describeFailure`, so the user reads one sentence that
// names the resource, the action, the cloud's code, the request id and a next step.

export type Cloud = "volcengine" | "alicloud" | "openstack";

export class CloudError extends Error {
  readonly cloud: Cloud;
  readonly action: string;
  readonly code: string;
  readonly requestId?: string;
  readonly httpStatus?: number;
  /** Server-requested delay before a retry (Retry-After / x-acs-retry-after), when the cloud sent one. */
  readonly retryAfterMs?: number;
  /** The cloud's own message, kept apart from the composed one. */
  readonly cloudMessage: string;

  constructor(init: {
    cloud: Cloud;
    action: string;
    code: string;
    message: string;
    requestId?: string;
    httpStatus?: number;
    retryAfterMs?: number;
  }) {
    const rid = init.requestId ? `, request id ${init.requestId}` : "";
    super(`${init.cloud} ${init.action} failed: ${init.code}: ${init.message}${rid}`);
    this.name = "CloudError";
    this.cloud = init.cloud;
    this.action = init.action;
    this.code = init.code;
    this.cloudMessage = init.message;
    this.requestId = init.requestId;
    this.httpStatus = init.httpStatus;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** A wait that ran out of time or reached a failed state. */
export class WaitError extends Error {
  constructor(
    message: string,
    readonly reason: "timeout" | "failed",
    readonly lastState?: string,
  ) {
    super(message);
    this.name = "WaitError";
  }
}

/**
 * A finder found nothing: the resource does not exist (or no longer does: released, deleted). Finders
 * throw it; callers ask `isNotFound(err)` (or use `orUndefined`), never compare cloud codes themselves.
 */
export class NotFoundError extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
    detail?: string,
  ) {
    super(`${kind} ${id} not found${detail ? ` (${detail})` : ""}`);
    this.name = "NotFoundError";
  }
}

export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}

/** The finder's result, or undefined when it found nothing. */
export async function orUndefined<T>(found: Promise<T>): Promise<T | undefined> {
  try {
    return await found;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Codes whose fix is on the user's side; the hint is appended to the message. */
const HINTS: Record<string, string> = {
  // Gateway / auth (both clouds)
  InvalidAccessKey: "check the access key (stack config volcengine:accessKey or VOLCENGINE_ACCESS_KEY)",
  SignatureDoesNotMatch: "check the secret key and that the endpoint is the one the key belongs to",
  InvalidAccessKeyId: "check the access key id (alicloud:accessKey or ALIBABA_CLOUD_ACCESS_KEY_ID)",
  "InvalidAccessKeyId.NotFound": "check the access key id (alicloud:accessKey or ALIBABA_CLOUD_ACCESS_KEY_ID)",
  AccessDenied: "grant the caller's account or role permission for this action",
  "Forbidden.RAM": "grant the RAM user permission for this action",
  InvalidTimestamp: "the machine's clock is off; sync it (NTP) and retry",
  // Volcengine ECS
  "InvalidInstance.NotFound": "the instance no longer exists; run `pulumi refresh` to drop it from state",
  InvalidInstanceStatus: "wait until the instance is RUNNING or STOPPED and retry",
  IdempotentParameterMismatch:
    "the same ClientToken was used with different parameters; this usually means inputs changed between a failed and a retried create: run `pulumi refresh`, then `pulumi up`",
  "InvalidClientToken.Malformed": "client tokens must be at most 64 ASCII characters",
  InsufficientInstanceStock: "no spot stock for this instance type in this zone: try another zoneId or instanceTypeId",
  "OperationDenied.NoStock": "no stock in this zone: try another zone or instance type",
  "Insufficient.Balance": "top up the account balance, then retry",
  "InvalidImage.NotFound": "the image does not exist in this region; check imageId and region",
  InvalidImageStatus: "wait until the image is available (or error) and retry",
  // Alibaba Cloud
  "InvalidInstanceId.NotFound": "the instance does not exist in this region; check instanceId and region",
  "EntityAlreadyExists.Role": "a RAM role with this name exists already: pick another roleName or adopt it",
  "EntityNotExist.Role": "the RAM role does not exist: create it (SnapshotRole) first",
  // OpenStack (Nova fault names, Keystone/Glance titles, the client's own)
  itemNotFound: "the server (or image) no longer exists in this project: run `pulumi refresh` to drop what depends on it",
  conflictingRequest: "the server is in a state (or has a task running) that refuses this: wait until it is ACTIVE with no task, then retry",
  Unauthorized: "check the OpenStack credentials (openstack:userName/password/tenantName, a clouds.yaml entry, or OS_* variables) and their domains",
  forbidden: "the project's role or quota does not allow this: ask the cloud's admin",
  NotAcceptable: "this cloud's Nova is older than compute microversion 2.45 (Pike), which pulumi-recovery needs",
  EndpointNotFound: "check openstack:region / OS_REGION_NAME and openstack:endpointType / OS_INTERFACE against `openstack catalog list`",
};

/** Transient codes: throttling and server-side trouble, safe to retry where the call is idempotent. */
export function isThrottlingCode(code: string): boolean {
  return /FlowLimitExceeded|Throttling|TooManyRequests|RequestLimitExceeded/i.test(code);
}

const TRANSIENT_CODES = new Set([
  "InternalServiceError",
  "InternalError",
  "InternalServiceTimeout", // Volcengine public error codes (docs 6369/68677): retry it
  "ServiceUnavailable",
  "ServiceUnavailableTemp",
  "InternalServerError",
  "OperationConflict", // Alibaba: terraform-provider-alicloud NeedRetry retries these on every write
  "IdempotentProcessing",
]);

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "ECONNABORTED", "EPIPE", "EAI_AGAIN", "ERR_SOCKET_CONNECTION_TIMEOUT", "UND_ERR_SOCKET"]);

/** A connection-level failure: the request may or may not have reached the cloud. */
export function isNetworkError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  return /socket hang up|network timeout|timeout of \d+ms exceeded|ECONNRESET|ECONNREFUSED/i.test(e?.message ?? "");
}

/** Whether an error is worth retrying at all (the caller also decides whether a retry is safe). */
export function isTransient(err: unknown): boolean {
  if (isNetworkError(err)) return true;
  if (err instanceof CloudError) {
    if (isThrottlingCode(err.code) || TRANSIENT_CODES.has(err.code)) return true;
    return err.httpStatus !== undefined && [429, 500, 502, 503, 504].includes(err.httpStatus);
  }
  return false;
}

/** The one-sentence failure for a resource operation: resource, action, code, request id, next step. */
export function describeFailure(resource: string, err: unknown): Error {
  if (err instanceof CloudError) {
    const hint = HINTS[err.code] ?? (isTransient(err) ? "a transient cloud error outlasted the retries; run the command again" : undefined);
    const rid = err.requestId ? ` (request id ${err.requestId})` : "";
    const out = new Error(
      `${resource}: ${err.cloud} ${err.action} failed with ${err.code}: ${err.cloudMessage}${rid}${hint ? `. What to do: ${hint}.` : ""}`,
    );
    (out as any).code = err.code;
    return out;
  }
  if (err instanceof Error) {
    const out = new Error(err.message.startsWith(resource) ? err.message : `${resource}: ${err.message}`);
    return out;
  }
  return new Error(`${resource}: ${String(err)}`);
}
