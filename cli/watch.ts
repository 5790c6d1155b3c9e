// `pulumi-recovery watch`: the recovery controller as a command, for a service or a scheduled GitOps job.
import path from "node:path";
import { volcengineConnection } from "../provider/config";
import { RecoveryController, type PassResult, type RecoveryEvent } from "../provider/recovery/controller";
import { Journal } from "../provider/recovery/journal";
import { formatMs } from "../provider/recovery/planner";
import { EcsClient } from "../provider/volcengine/client";

export interface WatchOptions {
  region?: string;
  endpoint?: string;
  once?: boolean;
  json?: boolean;
  interval?: string;
  journal?: string;
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
  if (opts.endpoint) process.env.VOLCENGINE_ENDPOINT = opts.endpoint;
  const conn = volcengineConnection(undefined, opts.region);
  const client = new EcsClient(conn);
  const journal = new Journal(opts.journal ?? path.resolve(".pulumi-recovery", `journal-${conn.region}.json`));
  const controller = new RecoveryController({ client, journal, onEvent: eventPrinter(Boolean(opts.json)) });
  const intervalMs = Math.max(1, Number(opts.interval ?? 30)) * 1000;
  let failed = 0;
  const pass = async (): Promise<PassResult> => {
    const res = await controller.runOnce();
    failed += res.failed;
    return res;
  };
  if (opts.once) {
    const res = await pass();
    const summary = { protectedInstances: res.protectedInstances, interruptions: res.interruptions, recoveries: res.recoveries.length, failed: res.failed };
    process.stdout.write(opts.json ? `${JSON.stringify({ kind: "summary", ...summary })}\n` : `pass done: ${summary.protectedInstances} protected, ${summary.interruptions} interrupted, ${summary.recoveries} recoveries, ${summary.failed} failed\n`);
    return res.failed > 0 ? 1 : 0;
  }
  let stop = false;
  process.once("SIGINT", () => (stop = true));
  process.once("SIGTERM", () => (stop = true));
  while (!stop) {
    try {
      await pass();
    } catch (e) {
      process.stderr.write(`watch: pass failed: ${(e as Error).message}\n`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return failed > 0 ? 1 : 0;
}
