// `pulumi-recovery watch`: the recovery controller as a command, for a service or a scheduled GitOps job,
// for every cloud it is given (or finds configured): one controller per cloud and region, side by side.
import path from "node:path";
import type { ConfigSource } from "../provider/config";
import { RecoveryController, type PassResult, type RecoveryEvent } from "../provider/recovery/controller";
import { FileJournal } from "../provider/recovery/journal";
import { formatMs } from "../provider/recovery/planner";
import { cloudTarget, targetsFrom } from "./clouds";
import { cloudClock, stackConfig } from "./context";

export interface WatchOptions {
  cloud?: string;
  region?: string;
  endpoint?: string;
  stack?: string;
  cwd?: string;
  once?: boolean;
  json?: boolean;
  interval?: string;
  journal?: string;
}

/** One line per event: human-readable, or one JSON object per line with --json (naming the cloud and region when given). */
export function eventPrinter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`), where?: { cloud: string; region: string }) {
  return (e: RecoveryEvent) => {
    if (json) return out(JSON.stringify(where ? { ...e, ...where } : e));
    const timing = e.ms !== undefined ? ` (${formatMs(e.ms)})` : "";
    const margin = e.marginMs !== undefined ? (e.marginMs >= 0 ? `, ${formatMs(e.marginMs)} before release` : `, ${formatMs(-e.marginMs)} AFTER release`) : "";
    out(`${e.at} ${where ? `${where.cloud}/${where.region} ` : ""}${e.instanceId} ${e.step ?? e.kind}: ${e.message}${timing}${margin}`);
  };
}

export async function watch(opts: WatchOptions): Promise<number> {
  const config: ConfigSource | undefined = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const specs = targetsFrom(opts, config);
  const clock = await cloudClock();
  const targets = specs.map((spec) => {
    const t = cloudTarget(spec, config, clock);
    // One journal per controller: with several clouds, --journal names the first part of each file's name.
    const file = !opts.journal ? path.resolve(".pulumi-recovery", `journal-${t.cloud}-${t.region}.json`) : specs.length > 1 ? opts.journal.replace(/(\.json)?$/, `-${t.cloud}-${t.region}.json`) : opts.journal;
    const journal = new FileJournal(file);
    const controller = new RecoveryController({
      cloud: t.recovery,
      journal,
      clock,
      onEvent: eventPrinter(Boolean(opts.json), undefined, specs.length > 1 ? { cloud: t.cloud, region: t.region } : undefined),
      waitForRetries: Boolean(opts.once),
    });
    return { ...t, journal, controller };
  });
  const intervalMs = Math.max(1, Number(opts.interval ?? 30)) * 1000;
  let failed = 0;
  try {
    if (opts.once) {
      // The clouds' passes run side by side; one summary for the job.
      const results: PassResult[] = await Promise.all(targets.map((t) => t.controller.runOnce()));
      const summary = {
        protectedInstances: results.reduce((n, r) => n + r.protectedInstances, 0),
        interruptions: results.reduce((n, r) => n + r.interruptions, 0),
        recoveries: results.reduce((n, r) => n + r.recoveries.length, 0),
        failed: results.reduce((n, r) => n + r.failed, 0),
      };
      process.stdout.write(opts.json ? `${JSON.stringify({ kind: "summary", ...summary })}\n` : `pass done: ${summary.protectedInstances} protected, ${summary.interruptions} interrupted, ${summary.recoveries} recoveries, ${summary.failed} failed (${targets.map((t) => `${t.cloud}/${t.region}`).join(", ")})\n`);
      return summary.failed > 0 ? 1 : 0;
    }
    let stop = false;
    process.once("SIGINT", () => (stop = true));
    process.once("SIGTERM", () => (stop = true));
    while (!stop) {
      await Promise.all(
        targets.map(async (t) => {
          try {
            failed += (await t.controller.runOnce()).failed;
          } catch (e) {
            process.stderr.write(`watch: ${t.cloud}/${t.region} pass failed: ${(e as Error).message}\n`);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return failed > 0 ? 1 : 0;
  } finally {
    for (const t of targets) await t.journal.close();
  }
}
