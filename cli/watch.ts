// `pulumi-recovery watch`: the controller's jobs (cli/jobs.ts) for the clouds given (cli/clouds.ts) as a
// command — passes every `--interval` seconds until SIGINT/SIGTERM, or one pass with `--once` for a
// scheduled GitOps job. Every JSON line names its cloud and region.
import path from "node:path";
import type { ConfigSource } from "../provider/config";
import { cloudClock, stackConfig } from "./context";
import { targetsFrom } from "./clouds";
import { jobsFor, type Job, type JobEvent } from "./jobs";
import { leaseMs } from "./store";

export interface WatchOptions {
  /** `volcengine,alicloud:cn-hangzhou,openstack` (default: Volcengine and Alibaba Cloud where configured). */
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

/** One line per event: for people (prefixed with its cloud and region when there are several), or the event as one JSON object per line with --json. */
export function eventPrinter(json: boolean, several: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (job: Job, e: JobEvent) => out(json ? JSON.stringify({ ...e.data, cloud: job.cloud, region: job.region }) : several ? `${job.cloud}/${job.region} ${e.human}` : e.human);
}

export async function watch(opts: WatchOptions): Promise<number> {
  const config: ConfigSource | undefined = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const targets = targetsFrom(opts, config);
  const clock = await cloudClock();
  const several = targets.length > 1;
  const jobs = targets.flatMap((t) =>
    jobsFor(t.cloud, {
      config,
      region: t.region,
      endpoint: t.endpoint,
      osCloud: opts.osCloud,
      // One journal per cloud: with several, --journal names the first part of each file's name.
      journal: opts.journal && several ? opts.journal.replace(/(\.json)?$/, `-${t.cloud}${t.region ? `-${t.region}` : ""}.json`) : opts.journal,
      store: opts.store,
      owner: opts.owner,
      leaseMs: leaseMs(opts.lease),
      clock,
      waitForRetries: Boolean(opts.once),
      onEvent: eventPrinter(Boolean(opts.json), several),
    }),
  );
  const write = (l: string) => process.stdout.write(`${l}\n`);
  /** One pass of every job, side by side (one cloud's slow pass must not hold another's deadline); the number of failures (a job whose pass threw counts as one). */
  const passAll = async (): Promise<number> => {
    const results = await Promise.all(jobs.map((job) => job.pass().catch((e: Error) => e)));
    let failed = 0;
    results.forEach((r, i) => {
      const job = jobs[i];
      if (r instanceof Error) {
        failed++;
        process.stderr.write(`watch: ${job.cloud}/${job.region} ${job.name} pass failed: ${r.message}\n`);
        return;
      }
      failed += r.failed;
      write(opts.json ? JSON.stringify({ kind: "summary", job: job.name, cloud: job.cloud, region: job.region, ...r.summary }) : `pass done (${job.cloud}/${job.region} ${job.name}): ${r.text}`);
    });
    return failed;
  };
  try {
    if (opts.once) return (await passAll()) > 0 ? 1 : 0;
    const intervalMs = Math.max(1, Number(opts.interval ?? 30)) * 1000;
    let stop = false;
    let failed = 0;
    let wake: () => void = () => undefined;
    const halt = () => ((stop = true), wake());
    process.once("SIGINT", halt);
    process.once("SIGTERM", halt);
    while (!stop) {
      failed += await passAll();
      await new Promise<void>((r) => ((wake = r), setTimeout(r, intervalMs).unref()));
    }
    return failed > 0 ? 1 : 0;
  } finally {
    for (const job of jobs) await job.close();
  }
}
