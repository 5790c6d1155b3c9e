// `pulumi-recovery watch`: one cloud's controller jobs (cli/jobs.ts) as a command — passes every
// `--interval` seconds until SIGINT/SIGTERM, or one pass with `--once` for a scheduled GitOps job.
import path from "node:path";
import type { ConfigSource } from "../provider/config";
import { cloudClock, stackConfig } from "./context";
import { CLOUDS, jobsFor, type Cloud, type Job, type JobEvent } from "./jobs";
import { leaseMs } from "./store";

export interface WatchOptions {
  /** volcengine (default: spot recovery), alicloud (snapshot policy pruning), openstack (server policies). */
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

/** One line per event: for people, or the event as one JSON object per line with --json. */
export function eventPrinter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (_job: Job, e: JobEvent) => out(json ? JSON.stringify(e.data) : e.human);
}

export async function watch(opts: WatchOptions): Promise<number> {
  const cloud = (opts.cloud ?? "volcengine") as Cloud;
  if (!CLOUDS.includes(cloud)) throw new Error(`--cloud must be one of ${CLOUDS.join(", ")}`);
  const config: ConfigSource | undefined = opts.stack ? await stackConfig(opts.stack, path.resolve(opts.cwd ?? ".")) : undefined;
  const jobs = jobsFor(cloud, {
    config,
    region: opts.region,
    endpoint: opts.endpoint,
    osCloud: opts.osCloud,
    journal: opts.journal,
    store: opts.store,
    owner: opts.owner,
    leaseMs: leaseMs(opts.lease),
    clock: await cloudClock(),
    waitForRetries: Boolean(opts.once),
    onEvent: eventPrinter(Boolean(opts.json)),
  });
  const write = (l: string) => process.stdout.write(`${l}\n`);
  /** One pass of every job; the number of failures (a job whose pass threw counts as one). */
  const passAll = async (): Promise<number> => {
    let failed = 0;
    for (const job of jobs) {
      try {
        const r = await job.pass();
        failed += r.failed;
        write(opts.json ? JSON.stringify({ kind: "summary", job: job.name, ...r.summary }) : `pass done (${job.name}): ${r.text}`);
      } catch (e) {
        failed++;
        process.stderr.write(`watch: ${job.name} pass failed: ${(e as Error).message}\n`);
      }
    }
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
