// The controller's Alibaba Cloud policy pass, as `pulumi-recovery watch --alicloud-policies [--once]` and
// inside `serve` (config `snapshotPolicies`): ConsistentSnapshotPolicy groups found and pruned to their
// retention (provider/alicloud/policyRunner.ts), on the cloud's clock.
import path from "node:path";
import { AlicloudClient } from "../provider/alicloud/client";
import { AlicloudPolicyRunner, type PolicyEvent, type PolicyPassResult } from "../provider/alicloud/policyRunner";
import { alicloudConnection, type ConfigSource } from "../provider/config";
import type { Clock } from "../provider/core/clock";
import { cloudClock, stackConfig } from "./context";

export function policyRunnerFor(o: { config?: ConfigSource; region?: string; endpoint?: string; clock: Clock; onEvent?: (e: PolicyEvent) => void; signal?: AbortSignal }): AlicloudPolicyRunner {
  const conn = alicloudConnection(o.config, o.region);
  if (o.endpoint) conn.ecsEndpoint = o.endpoint;
  return new AlicloudPolicyRunner({ client: AlicloudClient.for(conn), clock: o.clock, onEvent: o.onEvent, signal: o.signal });
}

/** One line per event, or one JSON object per line. */
export function policyEventPrinter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (e: PolicyEvent) => out(json ? JSON.stringify(e) : `${e.at} ${e.policy}${e.instanceId ? ` ${e.instanceId}` : ""} ${e.kind}: ${e.message}`);
}

export const passSummary = (r: PolicyPassResult) => ({ policies: r.policies, groups: r.groups, adopted: r.adopted, pruned: r.pruned, failed: r.failed });

export async function watchAlicloudPolicies(opts: { region?: string; endpoint?: string; stack?: string; cwd?: string; once?: boolean; json?: boolean; interval?: string }): Promise<number> {
  const config = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const runner = policyRunnerFor({ config, region: opts.region, endpoint: opts.endpoint, clock: await cloudClock(), onEvent: policyEventPrinter(Boolean(opts.json)) });
  const report = (r: PolicyPassResult) => {
    const s = passSummary(r);
    process.stdout.write(opts.json ? `${JSON.stringify({ kind: "summary", ...s })}\n` : `pass done: ${s.policies} policies, ${s.groups} groups kept, ${s.adopted} adopted, ${s.pruned} pruned, ${s.failed} failed\n`);
    return r.failed;
  };
  if (opts.once) return report(await runner.runOnce()) > 0 ? 1 : 0;
  let stop = false;
  let failed = 0;
  process.once("SIGINT", () => (stop = true));
  process.once("SIGTERM", () => (stop = true));
  while (!stop) {
    try {
      failed += report(await runner.runOnce());
    } catch (e) {
      process.stderr.write(`watch: pass failed: ${(e as Error).message}\n`);
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Number(opts.interval ?? 30)) * 1000));
  }
  return failed > 0 ? 1 : 0;
}
