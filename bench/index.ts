// `npm run bench`: ratios and counts on the emulator, against the anchors (the fixed 5 s / 10 s polling of
// the clouds' Terraform providers, the retry strategy's maxAttempts, the spot notice). Writes
// bench/results.json and prints a table. No assertions anywhere; the bench measures wall time only to
// compute ratios (provider overhead, the dynamic-provider host), and tests (test/emulator/bench.test.ts)
// assert only on the counts it reports, never on times.
//
// Most measurements run on the emulator's frozen clock, moved by the code under test (a poller's sleep
// advances it, each request steps it), so they are the same on any machine. Provider overhead needs wall
// time: it runs on a scaled clock (10x) with the poll cadence scaled alike, which keeps the ratios those
// of real time but for the requests' own latency.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { envFor, startEmulator, type EmulatorOptions, type RunningEmulator } from "../emulator";
import {
  consistentSnapshotGroupProvider,
  recoveryImageProvider,
  serverBackupPolicyProvider,
  serverRecoveryPolicyProvider,
  serverSuspendScheduleProvider,
  snapshotRoleProvider,
  spotInstanceProvider,
} from "../provider";
import { openstackConnection, volcengineConnection } from "../provider/config";
import { OpenStackClient } from "../provider/openstack/client";
import { findServer } from "../provider/openstack/servers";
import type { Clock } from "../provider/core/clock";
import { DEFAULT_RETRY } from "../provider/core/retry";
import * as providerExports from "../provider";
import { DEFAULT_POLL, waitUntil } from "../provider/core/waiter";
import { RecoveryController, type ControllerOptions, type RecoveryEvent } from "../provider/recovery/controller";
import { FileJournal, type JournalStore } from "../provider/recovery/journal";
import { encodePolicy, TAGS } from "../provider/recovery/policy";
import { VolcengineClient } from "../provider/volcengine/client";
import { findInstance } from "../provider/volcengine/instances";
import { VolcengineRecovery } from "../provider/volcengine/recovery";

type Props = Record<string, any>;
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../.." : "..");

/** A fresh emulator with the providers' environment pointed at it; everything restored afterwards. */
export async function withEmulator<T>(opts: EmulatorOptions, env: Record<string, string | undefined>, fn: (emu: RunningEmulator) => Promise<T>): Promise<T> {
  const emu = await startEmulator(opts);
  const saved = { ...process.env };
  Object.assign(process.env, envFor(emu));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return await fn(emu);
  } finally {
    process.env = saved;
    await emu.close();
  }
}

/** The cloud's clock for the controller: a sleep passes that much emulated time (frozen clock). */
const steppedClock = (emu: RunningEmulator): Clock => ({ now: () => emu.clock.now(), sleep: async (ms) => emu.clock.advance(Math.max(0, Math.round(ms))) });

const spotNews = (name: string, extra: Props = {}): Props => ({
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  instanceName: name,
  password: "Bench-Mark-1!",
  __identity: `bench/dev/${name}`,
  ...extra,
});

async function checked(provider: typeof spotInstanceProvider, news: Props): Promise<Props> {
  const { inputs, failures } = await provider.check!({}, news);
  if (failures?.length) throw new Error(`bench: inputs refused: ${JSON.stringify(failures)}`);
  return inputs!;
}

async function callsSince(emu: RunningEmulator, since: number): Promise<{ total: number; by: Record<string, number>; last: number }> {
  const calls = await emu.admin.calls({ since });
  const by: Record<string, number> = {};
  for (const c of calls) by[c.action] = (by[c.action] ?? 0) + 1;
  return { total: calls.length, by, last: calls.at(-1)?.seq ?? since };
}
const lastSeq = async (emu: RunningEmulator) => (await emu.admin.calls()).at(-1)?.seq ?? 0;

/** Counts requests in flight on a client (its one HTTP path), for the peak concurrency of a pass. */
function trackConcurrency(client: VolcengineClient): { peak: () => number } {
  let inflight = 0;
  let peak = 0;
  const c = client as unknown as { once: (...a: unknown[]) => Promise<unknown> };
  const once = c.once.bind(client);
  c.once = async (...a: unknown[]) => {
    peak = Math.max(peak, ++inflight);
    try {
      return await once(...a);
    } finally {
      inflight--;
    }
  };
  return { peak: () => peak };
}

/** `n` protected instances, launched 100 to a call (RunInstances Count), all RUNNING. */
async function launchFleet(emu: RunningEmulator, client: VolcengineClient, n: number, policy: string): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    await client.ecs("RunInstances", {
      ZoneId: "cn-beijing-a",
      ImageId: "image-ubuntu2204-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: `fleet-${i}`,
      SpotStrategy: "SpotAsPriceGo",
      Count: Math.min(100, n - i),
      ClientToken: `bench-fleet-${i}`,
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
      Tags: [{ Key: TAGS.policy, Value: policy }],
    });
  }
  emu.clock.advance(120_000);
}

function controllerFor(emu: RunningEmulator, client: VolcengineClient, extra: Partial<ControllerOptions> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-"));
  const journal = new FileJournal(path.join(dir, "journal.json"));
  const events: RecoveryEvent[] = [];
  const controller = new RecoveryController({ cloud: new VolcengineRecovery(client), journal, clock: steppedClock(emu), onEvent: (e) => events.push(e), ...extra });
  return {
    controller,
    journal,
    events,
    dispose: async () => {
      await journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CIRROS = "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f"; // the emulator's image

/** An OpenStack server, as the user's own program makes it, ACTIVE (on a frozen clock: moved; scaled: awaited). */
async function bootServer(emu: RunningEmulator, name: string): Promise<string> {
  const os = OpenStackClient.for(openstackConnection(undefined));
  const { body } = await os.compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name, imageRef: CIRROS, flavorRef: "1", networks: "auto" } }, safe: false });
  for (let i = 0; i < 200 && (await findServer(os, body.server.id)).status !== "ACTIVE"; i++) {
    if (emu.clock.frozen) emu.clock.advance(5_000);
    else await new Promise((r) => setTimeout(r, 20));
  }
  return body.server.id;
}

// ---- 1. calls per pass, fan-out and memory ---------------------------------------------------------

export interface PassMeasure {
  fleet: number;
  imageEvery: boolean;
  calls: number;
  byAction: Record<string, number>;
  callsPerInstance: number;
  /** Instance-list and event pages the pass read (ceil(fleet / 100) each). */
  pages: { instances: number; events: number };
  rollingStarted: number;
  rollingDeferred: number;
  peakConcurrentRequests: number;
  peakRssMiB: number;
  rssGrowthMiB: number;
}

/** One controller pass over `n` protected instances, nothing interrupted; with `imageEvery`, every one is due a rolling point. */
export async function fleetPass(n: number, o: { imageEvery?: boolean; controller?: Partial<ControllerOptions> } = {}): Promise<PassMeasure> {
  return withEmulator({ clock: { frozen: true } }, { PULUMI_RECOVERY_RETRY_MS: "1" }, async (emu) => {
    const conn = volcengineConnection(undefined);
    await launchFleet(emu, new VolcengineClient(conn), n, encodePolicy({ onInterruption: "image-and-relaunch", keepImages: 2, ...(o.imageEvery ? { imageEvery: "30m" } : {}) }));
    const client = new VolcengineClient(conn);
    const conc = trackConcurrency(client);
    const c = controllerFor(emu, client, o.controller);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    try {
      const since = await lastSeq(emu);
      const pass = await c.controller.runOnce();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const { total, by } = await callsSince(emu, since);
      return {
        fleet: n,
        imageEvery: Boolean(o.imageEvery),
        calls: total,
        byAction: by,
        callsPerInstance: round(total / n, 4),
        pages: { instances: by.DescribeInstances ?? 0, events: by.DescribeSystemEvents ?? 0 },
        rollingStarted: pass.rollingStarted,
        rollingDeferred: pass.rollingDeferred,
        peakConcurrentRequests: conc.peak(),
        peakRssMiB: round(peakRss / 2 ** 20, 1),
        rssGrowthMiB: round((peakRss - rssBefore) / 2 ** 20, 1),
      };
    } finally {
      clearInterval(sampler);
      await c.dispose();
    }
  });
}

// ---- 2. detection latency ---------------------------------------------------------------------------

/** Interruptions posted at seeded random moments between passes `intervalMs` apart: how late each pass noticed them. */
export async function detection(o: { intervalMs?: number; samples?: number; seed?: number } = {}) {
  const intervalMs = o.intervalMs ?? 30_000;
  const samples = o.samples ?? 20;
  return withEmulator({ clock: { frozen: true } }, { PULUMI_RECOVERY_RETRY_MS: "1" }, async (emu) => {
    const conn = volcengineConnection(undefined);
    await launchFleet(emu, new VolcengineClient(conn), samples, encodePolicy({ onInterruption: "image-and-relaunch", keepImages: 2 }));
    const ids = (await emu.admin.volcengine.state()).instances.map((i: any) => i.InstanceId);
    // Only discovery is measured: another replica "owns" every recovery, so this one never carries one.
    const c = controllerFor(emu, new VolcengineClient(conn));
    const journal = c.journal as JournalStore;
    journal.claim = async () => false;
    let a = 0x9e3779b9 ^ (o.seed ?? 1);
    const random = () => ((a = (Math.imul(a ^ (a >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 4294967296);
    const latencies: number[] = [];
    try {
      await c.controller.runOnce();
      for (const id of ids) {
        const offset = Math.floor(random() * intervalMs);
        emu.clock.advance(offset);
        const { eventId } = await emu.admin.volcengine.spotInterruption({ instanceId: id, noticeSeconds: 300 });
        const postedAt = emu.clock.now();
        emu.clock.advance(intervalMs - offset);
        await c.controller.runOnce();
        const noticed = c.events.find((e) => e.kind === "noticed" && e.eventId === eventId);
        latencies.push(noticed ? Date.parse(noticed.at) - postedAt : Infinity);
      }
    } finally {
      await c.dispose();
    }
    const ratios = latencies.map((l) => l / intervalMs);
    return { intervalMs, samples, missed: latencies.filter((l) => !Number.isFinite(l)).length, meanLatencyPerInterval: round(ratios.reduce((s, r) => s + r, 0) / ratios.length), maxLatencyPerInterval: round(Math.max(...ratios)) };
  });
}

// ---- 3. calls per failing read, resets survived ------------------------------------------------------

/** Each read the providers and the controller make, against a cloud that fails it every time: calls it costs (≤ maxAttempts). */
export async function failingReads() {
  return withEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } }, { PULUMI_RECOVERY_POLL_MS: "1", PULUMI_RECOVERY_RETRY_MS: "1" }, async (emu) => {
    const inst = await spotInstanceProvider.create(await checked(spotInstanceProvider, spotNews("reads")));
    const img = await recoveryImageProvider.create(await checked(recoveryImageProvider, { instanceId: inst.id, imageName: "reads", __identity: "bench/dev/reads-image" }));
    const role = await snapshotRoleProvider.create(await checked(snapshotRoleProvider, { roleName: "bench-reads", instanceIds: ["i-emu-db-linux"] }));
    const group = await consistentSnapshotGroupProvider.create(await checked(consistentSnapshotGroupProvider, { instanceId: "i-emu-db-linux", ramRoleName: "bench-reads", name: "bench-reads", __identity: "bench/dev/reads-group" }));
    const serverId = await bootServer(emu, "reads");
    const policy = await serverBackupPolicyProvider.create(await checked(serverBackupPolicyProvider, { serverId, schedule: "1d", __identity: "bench/dev/reads-backup" }));
    const cloud = new VolcengineRecovery(new VolcengineClient(volcengineConnection(undefined)));
    // [what reads, cloud, action failed, reads of it the operation makes, the operation]
    const cases: [string, "volcengine" | "alicloud" | "openstack", string, number, () => Promise<unknown>][] = [
      ["SpotInstance read", "volcengine", "DescribeInstances", 1, () => spotInstanceProvider.read!(inst.id, inst.outs)],
      ["RecoveryImage read", "volcengine", "DescribeImages", 1, () => recoveryImageProvider.read!(img.id, img.outs)],
      ["SnapshotRole read", "alicloud", "GetRole", 1, () => snapshotRoleProvider.read!(role.id, role.outs)],
      ["ConsistentSnapshotGroup read", "alicloud", "DescribeSnapshotGroups", 1, () => consistentSnapshotGroupProvider.read!(group.id, group.outs)],
      ["ServerBackupPolicy read", "openstack", "GET /v2.1/servers/{id}", 1, () => serverBackupPolicyProvider.read!(policy.id, policy.outs)],
      // Two lists at once: the policy tag and release 0.1.0's.
      ["controller: the fleet", "volcengine", "DescribeInstances", 2, () => cloud.fleet()],
      ["controller: interruptions", "volcengine", "DescribeSystemEvents", 1, () => cloud.interruptions([inst.id])],
      ["controller: a recovery point", "volcengine", "DescribeSnapshotGroups", 1, () => cloud.point(img.outs.snapshotGroupId)],
      ["waiter: one poll of a wait", "volcengine", "DescribeInstances", 1, () => waitUntil({ what: "x", poll: () => findInstance(cloud.client, inst.id), done: () => false, timeoutMs: 60_000, interval: { initialMs: 1, maxMs: 1 } })],
    ];
    const out: { read: string; action: string; calls: number; callsPerRead: number; failed: boolean }[] = [];
    for (const [read, cloudName, action, reads, run] of cases) {
      await emu.admin.clearFaults();
      await emu.admin.addFault({ cloud: cloudName, action, kind: "5xx" });
      const since = await lastSeq(emu);
      const failed = await run().then(
        () => false,
        () => true,
      );
      const calls = (await callsSince(emu, since)).by[action] ?? 0;
      out.push({ read, action, calls, callsPerRead: calls / reads, failed });
    }
    await emu.admin.clearFaults();
    return { maxAttempts: DEFAULT_RETRY.maxAttempts, reads: out };
  });
}

/** A recovery whose CreateSnapshotGroup and RunInstances each lose their answer once (the connection reset after the cloud acted). */
export async function survivesResets() {
  return withEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } }, { PULUMI_RECOVERY_POLL_MS: "1", PULUMI_RECOVERY_RETRY_MS: "1" }, async (emu) => {
    const inst = await spotInstanceProvider.create(await checked(spotInstanceProvider, spotNews("resets", { dataVolumes: [{ size: 20 }], recovery: { onInterruption: "image-and-relaunch", keepImages: 2 } })));
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    await emu.admin.addFault({ cloud: "volcengine", action: "CreateSnapshotGroup", kind: "lose-response", count: 1 });
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "lose-response", count: 1 });
    const c = controllerFor(emu, new VolcengineClient(volcengineConnection(undefined)));
    try {
      const rec = (await c.controller.runOnce()).recoveries[0];
      const state = await emu.admin.volcengine.state();
      const tag = (r: any, k: string) => r.Tags?.find((t: any) => t.Key === k)?.Value;
      return {
        state: rec.state,
        deadlineMet: rec.deadlineMet,
        finalPoints: state.snapshotGroups.filter((g: any) => tag(g, TAGS.source) === inst.id && /kind=final/.test(tag(g, TAGS.point) ?? "")).length,
        replacements: state.instances.filter((i: any) => tag(i, TAGS.origin) === inst.id).length,
        lostAnswers: (await emu.admin.calls()).filter((x) => x.fault?.startsWith("lose-response")).length,
      };
    } finally {
      await c.dispose();
    }
  });
}

/** `n` transition lengths from `min` to `max` seconds, evenly on a log scale (short waits matter as much as long ones). */
function spread(n: number, min: number, max: number): number[] {
  return Array.from({ length: n }, (_, i) => round(min * (max / min) ** (i / (n - 1)), 1));
}

// ---- 4. the waiter against fixed polling --------------------------------------------------------------

/**
 * How late a poller sees a state change, side by side: our waiter (5% of the time waited, 1 s to 10 s) and the fixed
 * 5 s / 10 s cadence of the clouds' Terraform providers (terraform-provider-volcengine ecs_instance
 * RefreshResourceState: Delay 5 s, MinTimeout 5 s; terraform-provider-alicloud BuildStateConf: a 5 s or
 * 10 s Delay). Each poller runs alone against the same transitions on the frozen clock, its sleeps moving
 * it, so "late" is exact.
 */
export async function waiterOvershoot(transitionsSeconds = spread(24, 8, 600)) {
  const pollers: Record<string, (sleep: (ms: number) => Promise<void>, poll: () => Promise<boolean>) => Promise<number>> = {
    "ours (5% of the wait, 1 → 10 s)": async (sleep, poll) => {
      let polls = 0;
      let now = 0;
      await waitUntil({ what: "bench", poll: async () => (polls++, poll()), done: (v) => v, timeoutMs: 24 * 3600_000, interval: DEFAULT_POLL, clock: { now: () => now, sleep: async (ms) => ((now += ms), sleep(ms)) } });
      return polls;
    },
    "fixed 5 s": async (sleep, poll) => fixed(5_000, sleep, poll),
    "fixed 10 s": async (sleep, poll) => fixed(10_000, sleep, poll),
  };
  async function fixed(every: number, sleep: (ms: number) => Promise<void>, poll: () => Promise<boolean>): Promise<number> {
    let polls = 0;
    do await sleep(every); // Terraform's StateChangeConf waits its Delay before the first refresh
    while ((polls++, !(await poll())));
    return polls;
  }
  return withEmulator({ clock: { frozen: true } }, {}, async (emu) => {
    const client = new VolcengineClient(volcengineConnection(undefined));
    const rows: { poller: string; transitionSeconds: number; overshootSeconds: number; polls: number }[] = [];
    for (const seconds of transitionsSeconds) {
      for (const [name, run] of Object.entries(pollers)) {
        await emu.admin.volcengine.settings({ instanceCreateSeconds: seconds });
        const res = await client.ecs("RunInstances", { ZoneId: "cn-beijing-a", ImageId: "image-ubuntu2204-emu", InstanceTypeId: "ecs.g3il.large", InstanceName: "poll", Count: 1, NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }] });
        const readyAt = emu.clock.now() + seconds * 1000;
        const id = res.InstanceIds[0];
        const polls = await run(
          async (ms) => emu.clock.advance(ms),
          async () => (await findInstance(client, id)).Status === "RUNNING",
        );
        rows.push({ poller: name, transitionSeconds: seconds, overshootSeconds: round((emu.clock.now() - readyAt) / 1000, 2), polls });
      }
    }
    const summary = Object.keys(pollers).map((poller) => {
      const mine = rows.filter((r) => r.poller === poller);
      const sum = (f: (r: (typeof rows)[number]) => number) => mine.reduce((s, r) => s + f(r), 0);
      return {
        poller,
        meanOvershootSeconds: round(sum((r) => r.overshootSeconds) / mine.length, 2),
        maxOvershootSeconds: Math.max(...mine.map((r) => r.overshootSeconds)),
        meanSeenAfterPerTransition: round(sum((r) => (r.transitionSeconds + r.overshootSeconds) / r.transitionSeconds) / mine.length),
        polls: sum((r) => r.polls),
      };
    });
    return { transitionsSeconds, summary, rows };
  });
}

// ---- 5. provider overhead per resource -----------------------------------------------------------------

/**
 * Wall time of each create and delete ÷ the emulator's transition time for it, on a clock scaled 10x with
 * the poll cadence scaled alike (the default 1 s → 10 s becomes 100 ms → 1 s): the ratio is what it
 * would be in real time, but for the requests' own latency, which the scale makes 10x larger.
 */
export async function providerOverhead(scale = 10) {
  return withEmulator({ timeScale: scale }, { PULUMI_RECOVERY_POLL_MS: String(Math.round(DEFAULT_POLL.initialMs / scale)) }, async (emu) => {
    const opts = { v: (await emu.admin.volcengine.settings()) as any, a: (await emu.admin.request("alicloud/settings")) as any };
    const rows: { resource: string; op: string; wallMs: number; transitionMs: number; ratio?: number; calls: number }[] = [];
    const timed = async (resource: string, op: string, transitionEmulatedMs: number, fn: () => Promise<unknown>) => {
      const since = await lastSeq(emu);
      const t = performance.now();
      const out = await fn();
      const wallMs = performance.now() - t;
      const transitionMs = transitionEmulatedMs / scale;
      rows.push({ resource, op, wallMs: round(wallMs, 1), transitionMs, ratio: transitionMs > 0 ? round(wallMs / transitionMs) : undefined, calls: (await callsSince(emu, since)).total });
      return out as any;
    };
    const v = opts.v;
    const inst = await timed("SpotInstance", "create", v.instanceCreateSeconds * 1000, async () => spotInstanceProvider.create(await checked(spotInstanceProvider, spotNews("overhead"))));
    // A recovery point of a 40 GiB system volume (a first snapshot copies all of it), then its image.
    const pointMs = (v.snapshotBaseSeconds + 40 * v.snapshotSecondsPerGiB + v.imageFromSnapshotBaseSeconds + 40 * v.imageFromSnapshotSecondsPerGiB) * 1000;
    const img = await timed("RecoveryImage", "create", pointMs, async () => recoveryImageProvider.create(await checked(recoveryImageProvider, { instanceId: inst.id, imageName: "overhead", __identity: "bench/dev/overhead-image" })));
    await timed("RecoveryImage", "delete", 0, () => recoveryImageProvider.delete!(img.id, img.outs));
    await timed("SpotInstance", "delete", v.instanceDeleteSeconds * 1000, () => spotInstanceProvider.delete!(inst.id, inst.outs));
    // The first Alibaba call loads the @alicloud SDKs (once per process): apart, so it does not count as overhead.
    await timed("(first Alibaba call: loads the SDKs)", "read", 0, () => snapshotRoleProvider.read!("absent", { roleName: "absent", instanceIds: [] } as any));
    const role = await timed("SnapshotRole", "create", 0, async () => snapshotRoleProvider.create(await checked(snapshotRoleProvider, { roleName: "bench-overhead", instanceIds: ["i-emu-db-linux"] })));
    const a = opts.a;
    // The plugin's run (delivery + run), the group accomplished snapshotGroupSeconds after the run made it.
    const groupMs = (a.invocationDeliverySeconds + Math.max(a.invocationSeconds, a.snapshotGroupSeconds)) * 1000;
    const group = await timed("ConsistentSnapshotGroup", "create", groupMs, async () =>
      consistentSnapshotGroupProvider.create(await checked(consistentSnapshotGroupProvider, { instanceId: "i-emu-db-linux", ramRoleName: "bench-overhead", name: "bench-overhead", __identity: "bench/dev/overhead-group" })),
    );
    await timed("ConsistentSnapshotGroup", "delete", 0, () => consistentSnapshotGroupProvider.delete!(group.id, group.outs));
    await timed("SnapshotRole", "delete", 0, () => snapshotRoleProvider.delete!(role.id, role.outs));
    // The OpenStack policies are metadata items on a server: no transition to wait for.
    const serverId = await bootServer(emu, "overhead");
    const policies: [string, typeof serverBackupPolicyProvider, Props][] = [
      ["ServerBackupPolicy", serverBackupPolicyProvider, { serverId, schedule: "1d" }],
      ["ServerRecoveryPolicy", serverRecoveryPolicyProvider, { serverId, action: "rebuild-from-backup" }],
      ["ServerSuspendSchedule", serverSuspendScheduleProvider, { serverId, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5" }],
    ];
    for (const [name, provider, news] of policies) {
      const made = await timed(name, "create", 0, async () => provider.create(await checked(provider, { ...news, __identity: `bench/dev/${name}` })));
      await timed(name, "delete", 0, () => provider.delete!(made.id, made.outs));
    }
    return { scale, rows };
  });
}

// ---- 6. recovery time against point and launch time -----------------------------------------------------

/** A recovery of an instance with a `sizeGiB` system volume, with or without a rolling point taken an hour before. */
export async function recoveryTime(sizeGiB: number, rolling: boolean) {
  // Each request costs 200 ms of the cloud's time (its latency); waits poll at the default cadence.
  return withEmulator({ clock: { frozen: true, stepPerRequestMs: 200 } }, { PULUMI_RECOVERY_POLL_MS: undefined, PULUMI_RECOVERY_RETRY_MS: "1" }, async (emu) => {
    const settings = (await emu.admin.volcengine.settings()) as any;
    const recovery = rolling ? { onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "30m" } : { onInterruption: "image-and-relaunch", keepImages: 2 };
    process.env.PULUMI_RECOVERY_POLL_MS = "1"; // the stack's create is not what is measured
    const inst = await spotInstanceProvider.create(await checked(spotInstanceProvider, spotNews(`size-${sizeGiB}`, { systemVolume: { size: sizeGiB }, recovery })));
    delete process.env.PULUMI_RECOVERY_POLL_MS;
    const c = controllerFor(emu, new VolcengineClient(volcengineConnection(undefined)));
    try {
      if (rolling) {
        await c.controller.runOnce(); // a healthy pass takes the rolling point (a full copy)
        emu.clock.advance(3_600_000); // an hour later it is long done; 1 GiB/h has changed since
      }
      const notice = 300_000;
      const { eventId } = await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: notice / 1000 });
      const noticedAt = emu.clock.now();
      await c.controller.runOnce();
      const rec = await c.journal.get(eventId);
      const state = await emu.admin.volcengine.state();
      const group = state.snapshotGroups.find((g: any) => g.SnapshotGroupId === rec?.pointId);
      const snaps = state.snapshots.filter((s: any) => group?.snapshotIds.includes(s.SnapshotId));
      const pointMs = rec?.pointSource === "final" && snaps.length ? Math.max(...snaps.map((s: any) => s.readyAt - s.createdAt)) : 0;
      const launchMs = (settings.imageFromSnapshotBaseSeconds + sizeGiB * settings.imageFromSnapshotSecondsPerGiB + settings.instanceCreateSeconds) * 1000;
      const doneAt = rec?.steps["wait-running"]?.endedAt ? Date.parse(rec.steps["wait-running"].endedAt) : undefined;
      const recoveryMs = doneAt !== undefined ? doneAt - noticedAt : undefined;
      return {
        sizeGiB,
        rolling,
        state: rec?.state ?? "not journaled",
        pointSource: rec?.pointSource,
        deadlineMet: rec?.deadlineMet,
        dataAgeSeconds: rec?.dataAgeMs !== undefined ? round(rec.dataAgeMs / 1000, 0) : undefined,
        recoverySeconds: recoveryMs !== undefined ? round(recoveryMs / 1000, 1) : undefined,
        pointSeconds: round(pointMs / 1000, 1),
        launchSeconds: round(launchMs / 1000, 1),
        recoveryPerPointAndLaunch: recoveryMs !== undefined ? round(recoveryMs / (pointMs + launchMs)) : undefined,
        shareOfNotice: recoveryMs !== undefined ? round(recoveryMs / notice) : undefined,
        error: rec?.error,
      };
    } finally {
      await c.dispose();
    }
  });
}

// ---- 7. serialized providers and the dynamic-provider host ------------------------------------------------

/** Every resource's provider the package exports (`…Provider`). */
const PROVIDER_EXPORTS = Object.keys(providerExports).filter((k) => k.endsWith("Provider"));

/**
 * The harness tests drive the engine's dynamic-provider host with (test/host/harness.ts), loaded from its
 * source with ts-node: compiling it in would ship a test harness in the package.
 */
function harness(): any {
  require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
  return require(path.join(repoRoot, "test/host/harness.ts"));
}

/** Bytes of each provider as `serializeFunction` stores it in state (`__provider`), from the compiled package in plain Node. */
export async function serializedSizes() {
  const { serializeProvider } = harness();
  const out: Record<string, number> = {};
  for (const name of PROVIDER_EXPORTS) out[name] = (await serializeProvider("dist/provider/index.js", name, repoRoot)).length;
  return out;
}

/** Per-operation cost of going through Pulumi's dynamic-provider host over gRPC, against calling the provider in-process. */
export async function hostOverhead(rounds = 30) {
  const { serializeProvider, startHost, urnOf } = harness();
  const provider = await serializeProvider("dist/provider/index.js", "spotInstanceProvider", repoRoot);
  return withEmulator({ clock: { frozen: true, stepPerRequestMs: 10_000 } }, { PULUMI_RECOVERY_POLL_MS: "1" }, async (emu) => {
    const host = await startHost({ cwd: repoRoot, env: { ...process.env } });
    try {
      const urn = urnOf("SpotInstance", "host-overhead");
      await host.configure({ "volcengine:region": "cn-beijing", "volcengine:endpoint": emu.url, "volcengine:accessKey": emu.credentials.accessKeyId, "volcengine:secretKey": emu.credentials.secretKey });
      const news = { ...spotNews("host-overhead"), __provider: provider };
      const { inputs } = await host.check(urn, {}, news);
      const created = await host.create(urn, inputs);
      const direct = await spotInstanceProvider.check!({}, news);
      const ops: Record<string, { host: () => Promise<unknown>; direct: () => Promise<unknown> }> = {
        check: { host: () => host.check(urn, {}, news), direct: () => spotInstanceProvider.check!({}, news) },
        diff: { host: () => host.diff(created.id, urn, created.properties, inputs), direct: () => spotInstanceProvider.diff!(created.id, created.properties as any, direct.inputs!) },
        read: { host: () => host.read(created.id, urn, created.properties), direct: () => spotInstanceProvider.read!(created.id, created.properties as any) },
      };
      const out: Record<string, { hostMs: number; directMs: number; overheadMs: number }> = {};
      for (const [op, f] of Object.entries(ops)) {
        const time = async (fn: () => Promise<unknown>) => {
          await fn(); // warm
          const t = performance.now();
          for (let i = 0; i < rounds; i++) await fn();
          return (performance.now() - t) / rounds;
        };
        const hostMs = await time(f.host);
        const directMs = await time(f.direct);
        out[op] = { hostMs: round(hostMs, 2), directMs: round(directMs, 2), overheadMs: round(hostMs - directMs, 2) };
      }
      await host.delete(created.id, urn, created.properties);
      return { rounds, ops: out };
    } finally {
      await host.close();
    }
  });
}

// ---- the run -----------------------------------------------------------------------------------------

function table(title: string, rows: (string | number | undefined)[][]): void {
  process.stdout.write(`\n${title}\n`);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "-").length)));
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => String(c ?? "-").padEnd(widths[i])).join("  ")}\n`);
}

async function main() {
  const started = Date.now();
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };

  const fleets = [];
  for (const n of [10, 100, 1000, 5000]) fleets.push(await fleetPass(n));
  results.callsPerPass = fleets;
  table("Controller pass, nothing interrupted: API calls (pages, not instances)", [
    ["fleet", "calls", "per instance", "instance pages", "event pages", "peak in flight"],
    ...fleets.map((f) => [f.fleet, f.calls, f.callsPerInstance, f.pages.instances, f.pages.events, f.peakConcurrentRequests]),
  ]);

  const rolling = await fleetPass(5000, { imageEvery: true });
  results.rollingPass5000 = rolling;
  table("Controller pass, 5,000 instances with imageEvery (concurrency 8, maxRollingPerPass 50)", [
    ["calls", "rolling started", "deferred", "peak in flight", "peak RSS MiB", "RSS growth MiB"],
    [rolling.calls, rolling.rollingStarted, rolling.rollingDeferred, rolling.peakConcurrentRequests, rolling.peakRssMiB, rolling.rssGrowthMiB],
  ]);

  const det = await detection();
  results.detection = det;
  table("Detection of an interruption, passes every 30 s", [
    ["samples", "missed", "mean latency / interval", "max latency / interval"],
    [det.samples, det.missed, det.meanLatencyPerInterval, det.maxLatencyPerInterval],
  ]);

  const over = await waiterOvershoot();
  results.waiterOvershoot = over;
  table(`Waiter overshoot (state change → seen) over ${over.transitionsSeconds.length} transitions of ${over.transitionsSeconds[0]}-${over.transitionsSeconds.at(-1)} s`, [
    ["poller", "mean overshoot s", "max overshoot s", "seen / transition", "polls in all"],
    ...over.summary.map((s) => [s.poller, s.meanOvershootSeconds, s.maxOvershootSeconds, s.meanSeenAfterPerTransition, s.polls]),
  ]);

  const overhead = await providerOverhead();
  results.providerOverhead = overhead;
  table("Provider overhead: wall time ÷ the emulator's transition (clock 10x, polling scaled alike)", [
    ["resource", "op", "wall ms", "transition ms", "ratio", "calls"],
    ...overhead.rows.map((r) => [r.resource, r.op, r.wallMs, r.transitionMs, r.ratio, r.calls]),
  ]);

  const recoveries = [];
  for (const size of [40, 200, 1000]) for (const roll of [false, true]) recoveries.push(await recoveryTime(size, roll));
  results.recoveryTime = recoveries;
  table("Recovery time ÷ (point time + launch time), and the share of the 5-minute notice used", [
    ["GiB", "rolling", "state", "point", "recovery s", "point s", "launch s", "ratio", "share of notice", "deadline met"],
    ...recoveries.map((r) => [r.sizeGiB, r.rolling ? "yes" : "no", r.state, r.pointSource, r.recoverySeconds, r.pointSeconds, r.launchSeconds, r.recoveryPerPointAndLaunch, r.shareOfNotice, r.deadlineMet === undefined ? undefined : r.deadlineMet ? "yes" : "no"]),
  ]);

  const reads = await failingReads();
  results.failingReads = reads;
  table(`Calls per read the cloud fails every time (the retry strategy's maxAttempts: ${reads.maxAttempts})`, [["read", "action", "calls", "per read"], ...reads.reads.map((r) => [r.read, r.action, r.calls, r.callsPerRead])]);

  const resets = await survivesResets();
  results.survivesResets = resets;
  table("A recovery whose CreateSnapshotGroup and RunInstances each lose their answer once", [
    ["state", "final points", "replacements", "answers lost", "deadline met"],
    [resets.state, resets.finalPoints, resets.replacements, resets.lostAnswers, resets.deadlineMet ? "yes" : "no"],
  ]);

  const sizes = await serializedSizes();
  results.serializedProviderBytes = sizes;
  table("Serialized provider in state (__provider), bytes", [["provider", "bytes"], ...Object.entries(sizes)]);

  const host = await hostOverhead();
  results.hostOverhead = host;
  table(`Dynamic-provider host: per-operation overhead over gRPC (${host.rounds} rounds)`, [
    ["op", "host ms", "in-process ms", "overhead ms"],
    ...Object.entries(host.ops).map(([op, r]) => [op, r.hostMs, r.directMs, r.overheadMs]),
  ]);

  results.wallSeconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(path.join(repoRoot, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote bench/results.json (${results.wallSeconds}s)\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench failed: ${e.stack ?? e}\n`);
    process.exitCode = 1;
  });
}
