// Which clouds a controller command works on. One syntax for `watch` and `serve`: `--cloud
// volcengine,alicloud` (each optionally `cloud:region`); without it, Volcengine and Alibaba Cloud where
// their region and credentials are configured (stack config or environment) — OpenStack only when named,
// since its runner acts on servers (backups, suspends) and should not start by surprise. `--region` and
// `--endpoint` apply to one cloud: the one `--cloud` names, or — without `--cloud` — Volcengine.
import { alicloudConnection, volcengineConnection, type ConfigSource } from "../provider/config";
import { CLOUDS, type Cloud } from "./jobs";

export interface TargetSpec {
  cloud: Cloud;
  region?: string;
  endpoint?: string;
}

/** `volcengine,alicloud:cn-hangzhou` → targets; an unknown cloud is an error naming the valid ones. */
export function parseClouds(spec: string): TargetSpec[] {
  const out: TargetSpec[] = [];
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [cloud, region] = part.split(":");
    if (!(CLOUDS as readonly string[]).includes(cloud)) throw new Error(`--cloud: "${cloud}" is not a cloud this controller works on; use ${CLOUDS.join(", ")} (optionally cloud:region)`);
    if (out.some((t) => t.cloud === cloud && t.region === region)) continue;
    out.push({ cloud: cloud as Cloud, ...(region ? { region } : {}) });
  }
  if (!out.length) throw new Error(`--cloud names no cloud; use ${CLOUDS.join(", ")}`);
  return out;
}

/** Whether a cloud's region and credentials are configured (so it is worked on by default). */
function configured(cloud: "volcengine" | "alicloud", config: ConfigSource | undefined): boolean {
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
    targets = (["volcengine", "alicloud"] as const).filter((c) => configured(c, config)).map((cloud) => ({ cloud }));
    if (!targets.length) throw new Error("no cloud is configured: set volcengine:region and its keys (or VOLCENGINE_*), or alicloud:region and its keys (or ALIBABA_CLOUD_*), or name the clouds with --cloud (openstack is only run when named)");
  }
  if (flags.region || flags.endpoint) {
    if (targets.length !== 1) throw new Error("--region and --endpoint apply to one cloud: with several, write cloud:region in --cloud and set each endpoint in stack config or the environment");
    targets = [{ ...targets[0], ...(flags.region ? { region: flags.region } : {}), ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) }];
  }
  return targets;
}
