// What the controller runs for each cloud, in one shape, so that `watch` (a command or a scheduled job)
// and `serve` (the service) run the same work the same way:
//   volcengine  spot recovery (RecoveryController + VolcengineRecovery), region copies, image schedules
//   alicloud    spot recovery (RecoveryController + AlicloudRecovery), ConsistentSnapshotPolicy pruning
//   openstack   backups, recovery and suspend schedules (OpenStackRunner)
// A job makes one pass at a time; its events come out as one line each (human or JSON) from `watch`,
// and as structured log records and metrics from `serve`.
import path from "node:path";
import { AlicloudClient } from "../provider/alicloud/client";
import { AlicloudPolicyRunner, type PolicyEvent } from "../provider/alicloud/policyRunner";
import { AlicloudRecovery } from "../provider/alicloud/recovery";
import { alicloudConnection, openstackConnection, volcengineConnection, type ConfigSource } from "../provider/config";
import type { Clock } from "../provider/core/clock";
import type { RetryEvent } from "../provider/core/retry";
import { OpenStackClient } from "../provider/openstack/client";
import { FileActionJournal } from "../provider/openstack/journal";
import { OpenStackRunner, type RunnerEvent } from "../provider/openstack/runner";
import { RecoveryController, type RecoveryEvent } from "../provider/recovery/controller";
import { formatMs } from "../provider/recovery/planner";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";
import { defaultOwner, openJournal } from "./store";

export const CLOUDS = ["volcengine", "alicloud", "openstack"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** One event of a job, as `watch` prints it and `serve` logs it. */
export interface JobEvent {
  level: "info" | "warn" | "error";
  /** The job's own event (RecoveryEvent, PolicyEvent, RunnerEvent): the JSON line. */
  data: { kind: string; message: string; at?: string };
  /** The line for people. */
  human: string;
  /** Spot recovery events, for the service's metrics. */
  recovery?: RecoveryEvent;
}

export interface JobPass {
  failed: number;
  /** Counts for the pass's summary line. */
  summary: Record<string, number>;
  /** The summary for people. */
  text: string;
}

export interface Job {
  readonly cloud: Cloud;
  readonly region: string;
  /** What it does: "spot-recovery", "snapshot-policies", "server-policies". */
  readonly name: string;
  /** Where it journals, for messages (a path, or a URL without credentials). */
  readonly where?: string;
  pass(): Promise<JobPass>;
  /** A spot interruption pushed by the cloud (a webhook), with the event's time when it says: recover it now. */
  push?(instanceId: string, hint?: { at?: string }): Promise<string>;
  /** Recoveries still in progress (journaled: the next controller continues them). */
  unfinished?(): Promise<string[]>;
  close(): Promise<void>;
}

/** One cloud API call (every client reports these), for metrics. */
export interface ApiCall {
  service: string;
  action: string;
  ok: boolean;
  code?: string;
}

export interface JobOptions {
  /** Stack config (credentials and region under each cloud's namespace), when --stack was given. */
  config?: ConfigSource;
  region?: string;
  /** The API endpoint (Volcengine's; Alibaba's ECS endpoint). */
  endpoint?: string;
  /** OpenStack: the clouds.yaml entry. */
  osCloud?: string;
  /** The file journal's path (spot recovery, OpenStack runner). */
  journal?: string;
  /** A postgres:// journal replicas share (spot recovery). */
  store?: string;
  owner?: string;
  leaseMs?: number;
  clock: Clock;
  signal?: AbortSignal;
  /** Hold a pass until failed steps' retries are due (a `--once` job), rather than leave them to the next pass. */
  waitForRetries: boolean;
  onEvent: (job: Job, e: JobEvent) => void;
  /** Every cloud API call and retry, for metrics. */
  onCall?: (cloud: Cloud, c: ApiCall) => void;
  onRetry?: (cloud: Cloud, r: RetryEvent) => void;
}

/** The jobs that protect one cloud's region. */
export function jobsFor(cloud: Cloud, o: JobOptions): Job[] {
  if (cloud === "volcengine") return [spotRecoveryJob("volcengine", o)];
  if (cloud === "alicloud") return [spotRecoveryJob("alicloud", o), snapshotPolicyJob(o)];
  return [serverPolicyJob(o)];
}

const levelOf = (kind: string): JobEvent["level"] => (kind === "failed" || kind === "unreadable" ? "error" : kind === "retry" || kind === "run-failed" || kind === "backup-deferred" ? "warn" : "info");

/** The cloud side of spot recovery, with its client wired to the metrics. */
function recoveryCloud(cloud: "volcengine" | "alicloud", o: JobOptions) {
  if (cloud === "alicloud") {
    const conn = alicloudConnection(o.config, o.region);
    if (o.endpoint) conn.ecsEndpoint = o.endpoint;
    const client = AlicloudClient.for(conn);
    if (o.onCall) client.onCall((c) => o.onCall!("alicloud", c));
    if (o.onRetry) client.retry.onRetry((r) => o.onRetry!("alicloud", r));
    return { region: conn.region, recovery: new AlicloudRecovery(client, o.clock) };
  }
  const conn = volcengineConnection(o.config, o.region);
  if (o.endpoint) conn.endpoint = o.endpoint;
  const client = VolcengineClient.for(conn);
  if (o.onCall) client.onCall((c) => o.onCall!("volcengine", c));
  if (o.onRetry) client.retry.onRetry((r) => o.onRetry!("volcengine", r));
  return { region: conn.region, recovery: new VolcengineRecovery(client) };
}

function spotRecoveryJob(cloud: "volcengine" | "alicloud", o: JobOptions): Job {
  const { region, recovery } = recoveryCloud(cloud, o);
  const journal = openJournal({ store: o.store, journal: o.journal, cloud, region });
  const job: Job = {
    cloud,
    region,
    name: "spot-recovery",
    where: journal.where,
    async pass() {
      const r = await controller.runOnce();
      const summary = { protectedInstances: r.protectedInstances, interruptions: r.interruptions, recoveries: r.recoveries.length, failed: r.failed };
      return { failed: r.failed, summary, text: `${summary.protectedInstances} protected, ${summary.interruptions} interrupted, ${summary.recoveries} recoveries, ${summary.failed} failed` };
    },
    push: (instanceId, hint) => controller.handlePush(instanceId, hint),
    unfinished: async () => (await journal.unfinished()).map((r) => r.eventId),
    close: () => journal.close(),
  };
  const controller = new RecoveryController({
    cloud: recovery,
    journal,
    owner: o.owner ?? defaultOwner(),
    leaseMs: o.leaseMs,
    clock: o.clock,
    signal: o.signal,
    waitForRetries: o.waitForRetries,
    onEvent: (e) => o.onEvent(job, { level: levelOf(e.kind), data: e, human: recoveryLine(e), recovery: e }),
  });
  return job;
}

function snapshotPolicyJob(o: JobOptions): Job {
  const conn = alicloudConnection(o.config, o.region);
  if (o.endpoint) conn.ecsEndpoint = o.endpoint;
  // The same client (one per connection) as the spot recovery job's: its listeners are counted there.
  const client = AlicloudClient.for(conn);
  const job: Job = {
    cloud: "alicloud",
    region: conn.region,
    name: "snapshot-policies",
    async pass() {
      const r = await runner.runOnce();
      const summary = { policies: r.policies, groups: r.groups, adopted: r.adopted, pruned: r.pruned, failed: r.failed };
      return { failed: r.failed, summary, text: `${r.policies} policies, ${r.groups} groups kept, ${r.adopted} adopted, ${r.pruned} pruned, ${r.failed} failed` };
    },
    close: async () => undefined,
  };
  const runner = new AlicloudPolicyRunner({
    client,
    clock: o.clock,
    signal: o.signal,
    onEvent: (e: PolicyEvent) => o.onEvent(job, { level: levelOf(e.kind), data: e, human: `${e.at} ${e.policy}${e.instanceId ? ` ${e.instanceId}` : ""} ${e.kind}: ${e.message}` }),
  });
  return job;
}

function serverPolicyJob(o: JobOptions): Job {
  const conn = openstackConnection(o.config, { cloud: o.osCloud, region: o.region });
  const client = OpenStackClient.for(conn);
  if (o.onCall) client.onCall((c) => o.onCall!("openstack", c));
  if (o.onRetry) client.retry.onRetry((r) => o.onRetry!("openstack", r));
  const journal = new FileActionJournal(o.journal ?? openstackJournalPath(conn));
  const job: Job = {
    cloud: "openstack",
    region: conn.region ?? "default",
    name: "server-policies",
    where: journal.where,
    async pass() {
      const r = await runner.runOnce();
      const summary = { protectedServers: r.protectedServers, backupsStarted: r.backupsStarted, backupsFound: r.backupsFound, backupsDeferred: r.backupsDeferred, recoveries: r.recoveries, suspended: r.suspended, resumed: r.resumed, failed: r.failed };
      return {
        failed: r.failed,
        summary,
        text: `${r.protectedServers} protected, ${r.backupsStarted} backups started (${r.backupsFound} found, ${r.backupsDeferred} deferred), ${r.recoveries} recoveries, ${r.suspended} suspended, ${r.resumed} resumed, ${r.failed} failed`,
      };
    },
    close: () => journal.close(),
  };
  const runner = new OpenStackRunner({ client, journal, clock: o.clock, signal: o.signal, onEvent: (e: RunnerEvent) => o.onEvent(job, { level: levelOf(e.kind), data: e, human: runnerLine(e) }) });
  return job;
}

/** The OpenStack runner's default journal: one per auth URL host and region, beside the spot recovery ones. */
export function openstackJournalPath(conn: { authUrl: string; region?: string }): string {
  const host = new URL(conn.authUrl).host.replace(/[^\w.-]+/g, "_");
  return path.resolve(".pulumi-recovery", `journal-openstack-${host}-${conn.region ?? "default"}.json`);
}

export function recoveryLine(e: RecoveryEvent): string {
  const timing = e.ms !== undefined ? ` (${formatMs(e.ms)})` : "";
  const margin = e.marginMs !== undefined ? (e.marginMs >= 0 ? `, ${formatMs(e.marginMs)} before release` : `, ${formatMs(-e.marginMs)} AFTER release`) : "";
  return `${e.at} ${e.instanceId} ${e.step ?? e.kind}: ${e.message}${timing}${margin}`;
}

export function runnerLine(e: RunnerEvent): string {
  return `${e.at} ${e.serverName ?? ""} ${e.serverId} ${e.kind}: ${e.message}`;
}
