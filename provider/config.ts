// Connection settings: stack config (handed to `configure`) first, then environment variables read at
// run time. The result lives only in memory of the process that makes the calls: it is never an input,
// an output, a log line, or captured by the serialized provider.
import type { PollInterval } from "./core/waiter";

/** What `configure` hands us: the stack's whole config, secrets decrypted. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

export interface VolcengineConnection {
  region: string;
  /** e.g. "http://127.0.0.1:4566"; undefined = the public endpoint over HTTPS. */
  endpoint?: string;
  accessKeyId: string;
  secretKey: string;
  sessionToken?: string;
}

export interface AlicloudConnection {
  region: string;
  ecsEndpoint?: string;
  ramEndpoint?: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

function first(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v !== "");
}

function missing(what: string, configKey: string, envVars: string[]): Error {
  return new Error(
    `${what} is not set: set stack config \`${configKey}\` (pulumi config set${configKey.includes("Key") ? " --secret" : ""} ${configKey} …) or the environment variable ${envVars.join(" or ")}`,
  );
}

export function volcengineConnection(config: ConfigSource | undefined, regionOverride?: string): VolcengineConnection {
  const env = process.env;
  const region = first(regionOverride, config?.get("volcengine:region"), env.VOLCENGINE_REGION);
  const accessKeyId = first(config?.get("volcengine:accessKey"), env.VOLCENGINE_ACCESS_KEY);
  const secretKey = first(config?.get("volcengine:secretKey"), env.VOLCENGINE_SECRET_KEY);
  if (!region) throw missing("The Volcengine region", "volcengine:region", ["VOLCENGINE_REGION"]);
  if (!accessKeyId) throw missing("The Volcengine access key", "volcengine:accessKey", ["VOLCENGINE_ACCESS_KEY"]);
  if (!secretKey) throw missing("The Volcengine secret key", "volcengine:secretKey", ["VOLCENGINE_SECRET_KEY"]);
  return {
    region,
    endpoint: first(config?.get("volcengine:endpoint"), env.VOLCENGINE_ENDPOINT),
    accessKeyId,
    secretKey,
    sessionToken: first(config?.get("volcengine:sessionToken"), env.VOLCENGINE_SESSION_TOKEN),
  };
}

export function alicloudConnection(config: ConfigSource | undefined, regionOverride?: string): AlicloudConnection {
  const env = process.env;
  const region = first(regionOverride, config?.get("alicloud:region"), env.ALIBABA_CLOUD_REGION, env.ALICLOUD_REGION);
  const accessKeyId = first(config?.get("alicloud:accessKey"), env.ALIBABA_CLOUD_ACCESS_KEY_ID, env.ALICLOUD_ACCESS_KEY);
  const accessKeySecret = first(config?.get("alicloud:secretKey"), env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, env.ALICLOUD_SECRET_KEY);
  if (!region) throw missing("The Alibaba Cloud region", "alicloud:region", ["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"]);
  if (!accessKeyId) throw missing("The Alibaba Cloud access key", "alicloud:accessKey", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"]);
  if (!accessKeySecret)
    throw missing("The Alibaba Cloud secret key", "alicloud:secretKey", ["ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"]);
  return {
    region,
    ecsEndpoint: first(config?.get("alicloud:ecsEndpoint"), env.ALIBABA_CLOUD_ECS_ENDPOINT),
    ramEndpoint: first(config?.get("alicloud:ramEndpoint"), env.ALIBABA_CLOUD_RAM_ENDPOINT),
    accessKeyId,
    accessKeySecret,
    securityToken: first(config?.get("alicloud:securityToken"), env.ALIBABA_CLOUD_SECURITY_TOKEN),
  };
}

/**
 * Poll cadence for waits. PULUMI_RECOVERY_POLL_MS shortens it (drills against the emulator with a
 * fast clock); the default suits the real clouds.
 */
export function pollInterval(): PollInterval | undefined {
  const ms = Number(process.env.PULUMI_RECOVERY_POLL_MS);
  return ms > 0 ? { initialMs: ms, maxMs: ms * 10 } : undefined;
}
