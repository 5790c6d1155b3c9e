// `pulumi-recovery watch`: the recovery controller as a command, for a service or a scheduled GitOps job.
import path from "node:path";
import { volcengineConnection, type ConfigSource } from "../provider/config";
import { RecoveryController, type PassResult, type RecoveryEvent } from "../provider/recovery/controller";
import { formatMs } from "../provider/recovery/planner";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";
import { cloudClock, stackConfig } from "./context";
import { defaultOwner, leaseMs, openJournal } from "./store";

export interface WatchOptions {
  /** Which cloud's controller: "volcengine" (default, spot recovery) or "openstack" (the policy runner). */
  cloud?: string;
  /** OpenStack: the clouds.yaml entry (else openstack:cloud / OS_CLOUD). */
  osCloud?: string;
  region?: string;
  endpoint?: string;
  stack?: string;
  cwd?: string;
  once?: boolean;
  json?: boolean;
  interval?: string;
  journal?: string;
  /** A postgres:// URL (default: $PULUMI_RECOVERY_STORE, else the file journal). */
  store?: string;
  /** This replica's name in claims (default: hostname-pid). */
  owner?: string;
  /** Seconds a claim holds without renewal. */
  lease?: string;
}

/** One line per event: human-readable, or one JSON object per line with --json. */
export function eventPrinter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (e: RecoveryEvent) => {
    if (json) return out(JSON.stringify(e));
    const timing = e.ms !== undefined ? ` (${formatMs(e.ms)})` : "";
    const margin = e.marginMs !== undefined ? (e.marginMs >= 0 ? `, ${formatMs(e.marginMs)} before release` : `, ${formatMs(-e.marginMs)} AFTER release`) : "";
    out(`${e.at} ${e.instanceId} ${e.step ?? e.kind}: ${e.message}${timing}${margin}`);
  };
}

export async function watch(opts: WatchOptions): Promise<number> {
  if (opts.cloud === "openstack") return (await import("./openstack")).watchOpenStack(opts);
  if (opts.cloud !== undefined && opts.cloud !== "volcengine") throw new Error(`--cloud must be volcengine or openstack`);
  const config: ConfigSource | undefined = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const conn = volcengineConnection(config, opts.region);
  if (opts.endpoint) conn.endpoint = opts.endpoint;
  const lease = leaseMs(opts.lease);
  const clock = await cloudClock();
  const journal = openJournal({ store: opts.store, journal: opts.journal, cloud: "volcengine", region: conn.region });
  const controller = new RecoveryController({
    cloud: new VolcengineRecovery(VolcengineClient.for(conn)),
    journal,
    owner: opts.owner ?? defaultOwner(),
    leaseMs: lease,
    clock,
    onEvent: eventPrinter(Boolean(opts.json)),
    waitForRetries: Boolean(opts.once),
  });
  const intervalMs = Math.max(1, Number(opts.interval ?? 30)) * 1000;
  let failed = 0;
  try {
    if (opts.once) {
      const res: PassResult = await controller.runOnce();
      const summary = { protectedInstances: res.protectedInstances, interruptions: res.interruptions, recoveries: res.recoveries.length, failed: res.failed };
      process.stdout.write(opts.json ? `${JSON.stringify({ kind: "summary", ...summary })}\n` : `pass done: ${summary.protectedInstances} protected, ${summary.interruptions} interrupted, ${summary.recoveries} recoveries, ${summary.failed} failed\n`);
      return res.failed > 0 ? 1 : 0;
    }
    let stop = false;
    process.once("SIGINT", () => (stop = true));
    process.once("SIGTERM", () => (stop = true));
    while (!stop) {
      try {
        failed += (await controller.runOnce()).failed;
      } catch (e) {
        process.stderr.write(`watch: pass failed: ${(e as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await journal.close();
  }
}
