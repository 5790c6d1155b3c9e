// Alibaba Cloud's side of the spec check (../spec.ts): refusals as the API gateway (PopGw) words them,
// keyed by (service, action) — `ecs` (2014-05-26, Cloud Assistant included) or `ram` (2015-05-01), the
// spec generated from @alicloud/ecs20140526 and @alicloud/ram20150501 (tools/specgen/alicloud.ts).
import { actionSpec, checkParams, type Verdict } from "../spec";
import { AcsError, missing } from "./errors";
import type { Query } from "./params";

/** The checks the emulator can make of a request; undefined when the models have no such action. */
export function verdictFor(service: string, action: string, query: Query): Verdict | undefined {
  const spec = actionSpec("alicloud", service, action);
  return spec ? checkParams(spec, query) : undefined;
}

/**
 * Throws the gateway's error for a missing or malformed parameter: MissingParameter with ECS's wording
 * (errors.ts), and for a value of the wrong type or range `InvalidParameter` / `The specified parameter
 * "X" is not valid.` (HTTP 400; the PopGw answer quoted in aliyun/alibaba-cloud-sdk-go#405 and #419).
 */
export function refuseInvalid(verdict: Verdict | undefined): void {
  const p = verdict?.problem;
  if (!p) return;
  if (p.kind === "missing") throw missing(p.name);
  throw new AcsError("InvalidParameter", 400, `The specified parameter "${p.name}" is not valid.`);
}
