// Which clouds a controller command protects, and each one's side of the controller. One syntax for
// `watch` and `serve`: `--cloud volcengine,alicloud` (each optionally `cloud:region`); without it, every
// cloud whose region and credentials are configured (stack config or environment). `--region` and
// `--endpoint` apply to one cloud: the one `--cloud` names, or — without `--cloud` — Volcengine, as before.
import { alicloudConnection, volcengineConnection, type ConfigSource } from "../provider/config";
import type { Clock } from "../provider/core/clock";
import { AlicloudClient } from "../provider/alicloud/client";
import { AlicloudRecovery } from "../provider/alicloud/recovery";
import type { CloudName, RecoveryCloud } from "../provider/recovery/cloud";
import type { RetryStrategy } from "../provider/core/retry";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";

export const CLOUD_NAMES: CloudName[] = ["volcengine", "alicloud"];

export interface TargetSpec {
  cloud: CloudName;
  region?: string;
  endpoint?: string;
}

/** `volcengine,alicloud:cn-hangzhou` → targets; an unknown cloud is an error naming the valid ones. */
export function parseClouds(spec: string): TargetSpec[] {
  const out: TargetSpec[] = [];
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [cloud, region] = part.split(":");
    if (!(CLOUD_NAMES as string[]).includes(cloud)) throw new Error(`--cloud: "${cloud}" is not a cloud this controller protects; use ${CLOUD_NAMES.join(", ")} (optionally cloud:region)`);
    if (out.some((t) => t.cloud === cloud && t.region === region)) continue;
    out.push({ cloud: cloud as CloudName, ...(region ? { region } : {}) });
  }
  if (!out.length) throw new Error(`--cloud names no cloud; use ${CLOUD_NAMES.join(", ")}`);
  return out;
}

/** Whether a cloud's region and credentials are configured (so it is protected by default). */
function configured(cloud: CloudName, config: ConfigSource | undefined): boolean {
  try {
    if (cloud === "volcengine") volcengineConnection(config);
    else alicloudConnection(config);
    return true;
  } catch {
    return false;
  }
}

/** The targets of a command from its flags. */
export function targetsFrom(flags: { cloud?: string; region?: string; endpoint?: string }, config: ConfigSource | undefined): TargetSpec[] {
  let targets: TargetSpec[];
  if (flags.cloud) targets = parseClouds(flags.cloud);
  else if (flags.region || flags.endpoint) targets = [{ cloud: "volcengine" }];
  else {
    targets = CLOUD_NAMES.filter((c) => configured(c, config)).map((cloud) => ({ cloud }));
    if (!targets.length) throw new Error("no cloud is configured: set volcengine:region and its keys (or VOLCENGINE_*), or alicloud:region and its keys (or ALIBABA_CLOUD_*), or name the clouds with --cloud");
  }
  if (flags.region || flags.endpoint) {
    if (targets.length !== 1) throw new Error("--region and --endpoint apply to one cloud: with several, write cloud:region in --cloud and set each endpoint in stack config or the environment");
    targets = [{ ...targets[0], ...(flags.region ? { region: flags.region } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) }];
  }
  return targets;
}

export interface CloudTarget {
  cloud: CloudName;
  region: string;
  recovery: RecoveryCloud<any>;
  /** Told of every API call (metrics). */
  onCall(listener: (c: { service: string; action: string; ok: boolean; code?: string }) => void): void;
  retry: RetryStrategy;
}

/** The cloud side of a controller for one target (connection from stack config or the environment). */
export function cloudTarget(t: TargetSpec, config: ConfigSource | undefined, clock: Clock): CloudTarget {
  if (t.cloud === "alicloud") {
    const conn = alicloudConnection(config, t.region);
    if (t.endpoint) conn.ecsEndpoint = t.endpoint;
    const client = AlicloudClient.for(conn);
    return { cloud: "alicloud", region: conn.region, recovery: new AlicloudRecovery(client, clock), onCall: (l) => void client.onCall(l), retry: client.retry };
  }
  const conn = volcengineConnection(config, t.region);
  if (t.endpoint) conn.endpoint = t.endpoint;
  const client = VolcengineClient.for(conn);
  return { cloud: "volcengine", region: conn.region, recovery: new VolcengineRecovery(client), onCall: (l) => void client.onCall(l), retry: client.retry };
}
