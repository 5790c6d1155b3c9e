// `npm run soak -- --rate 0.2 --seed N`: the providers and the recovery controller under seeded faults
// of every kind the emulator injects (throttling, 5xx, latency, dropped connections, lost responses),
// then a count of what went wrong that must not: orphans (anything left in the cloud after the deletes
// that no stack and no controller owns), duplicates (two resources made for one create), failed
// recoveries. Reproducible: the emulator's clock is frozen and moves a fixed step per request (so
// whether a deadline allows a recovery is decided by the requests made, never by the machine's speed),
// faults are drawn from the seed per action, and everything runs one operation at a time.
//
// It drives the providers as the Pulumi engine does (check, create, read, diff, update, delete on the
// provider objects) and models what a user does when `pulumi up` fails: run it again (`--ups` times).
// A create that failed as a partial resource (the engine keeps it in state) is deleted before the next
// try, as a `pulumi up` replacing it would.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import type * as pulumi from "@pulumi/pulumi";
import { envFor, startEmulator, type RunningEmulator } from "../emulator";
import { FAULT_KINDS, type FaultKind } from "../emulator/faults";
import type { CallRecord } from "../emulator/service";
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
import { FileActionJournal } from "../provider/openstack/journal";
import { OpenStackRunner } from "../provider/openstack/runner";
import { findServer } from "../provider/openstack/servers";
import type { Clock } from "../provider/core/clock";
import { TOKEN_TAG } from "../provider/core/tokens";
import { RecoveryController, type RecoveryEvent } from "../provider/recovery/controller";
import { FileJournal, type RecoveryRecord } from "../provider/recovery/journal";
import { TAGS } from "../provider/recovery/policy";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";
import { pointImageToken } from "../provider/volcengine/recoveryPoint";

export interface SoakOptions {
  seed: number;
  /** Share of cloud API calls that fail, split evenly between the fault kinds. */
  rate: number;
  /** Lifecycles of each resource kind (SpotInstance, RecoveryImage, SnapshotRole + ConsistentSnapshotGroup, the three OpenStack policies). */
  lifecycles: number;
  /** Spot interruptions recovered by the controller (half of the instances keep rolling points, and half of those write too fast for a point within the notice). */
  interruptions: number;
  kinds?: FaultKind[];
  /** Emulated milliseconds each cloud API request moves the frozen clock. */
  stepMs?: number;
  /** How often a failed operation is run again (a user re-running `pulumi up`). */
  ups?: number;
  /** Controller passes allowed per interruption, 30 s apart as a service runs them (default 60: half an hour). */
  passes?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  seed: number;
  rate: number;
  kinds: FaultKind[];
  /** Provider operations (check, create, read, diff, update, delete) and controller passes. */
  operations: number;
  /** Cloud API requests the emulator received. */
  calls: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  /** Calls that made something and were answered (or whose answer was lost after the cloud acted), by action. */
  creates: Record<string, number>;
  /** Operations that failed and were run again (what a user sees as an error and re-runs). */
  failedOperations: number;
  /** Operations that still failed after every re-run. */
  abandonedOperations: string[];
  /** Left in the cloud after the deletes, owned by no stack and no controller. */
  orphans: string[];
  /** Two resources made for one create (by create token), or two live at once. */
  duplicates: string[];
  recoveries: {
    interruptions: number;
    done: number;
    /** From the final point, before the release. */
    deadlineMet: number;
    /** From a rolling point (the final one could not finish before the release). */
    fromRolling: number;
    failed: number;
    /** Failed although they could have succeeded (not for lack of time and points). */
    failedRecoverable: number;
    /** Failed because the release came before any recovery point could be made (no rolling point). */
    failedDeadline: number;
    /** Still in progress after every pass. */
    unfinished: number;
    /** Done, but the replacement was not running or did not carry the instance's data. */
    wrong: number;
    details: { eventId: string; instanceId: string; rolling: boolean; state: string; pointSource?: string; deadlineMet?: boolean; error?: string }[];
  };
  /** Parameters the API models do not know that requests sent (the real gateway ignores them). */
  unknownParams: string[];
  /** Retry tokens left at the end (of 500): the controller's connection, and the providers' Volcengine one. */
  retryBudgetLeft: { controller: number; providers: number };
  /** The distinct error messages users saw (first line, ids blanked). */
  errors: string[];
  /** Wall time of the run, for information only. */
  wallSeconds: number;
  ok: boolean;
}

/** mulberry32, for the soak's own choices (the emulator draws the faults from the same seed). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fault rules whose shares add up to `rate`: the emulator tries rules in order, so rule i fires on a
 * share of the calls the earlier rules left alone.
 */
export function faultRules(rate: number, kinds: readonly FaultKind[]) {
  const share = rate / kinds.length;
  return kinds.map((kind, i) => ({ kind, rate: Math.min(1, share / (1 - i * share)), ...(kind === "latency" ? { latencyMs: 50 } : {}) }));
}

type Provider = pulumi.dynamic.ResourceProvider;
type Props = Record<string, any>;
const tagsOf = (r: { Tags?: { Key: string; Value: string }[] }) => Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value]));

/** Create actions and the token tag / ClientToken they carry (Volcengine: flat Tags.N.Key / Tags.N.Value). */
const CREATES = new Set(["RunInstances", "CreateSnapshotGroup", "CreateImage"]);
function tokenOf(c: CallRecord): string | undefined {
  for (const [k, v] of Object.entries(c.params)) {
    const m = /^Tags\.(\d+)\.Key$/.exec(k);
    if (m && v === TOKEN_TAG) return c.params[`Tags.${m[1]}.Value`];
  }
  return undefined;
}

const DB = "i-emu-db-linux";
const WIN = "i-emu-app-windows";
const MARKER = "/var/lib/app/marker";
const OS_IMAGE = "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f"; // the emulator's cirros

/** One stack's state, as the engine keeps it: resource name → id and outputs. */
interface Owned {
  provider: Provider;
  id: string;
  outs: Props;
  /** The inputs the program declares (what `check` sees as news on the next `up`). */
  news: Props;
  /** Recorded from a create that failed after the cloud acted (an initialization failure). */
  partial?: boolean;
}

class Soak {
  readonly state = new Map<string, Owned>();
  readonly report: SoakReport;
  private readonly calls: CallRecord[] = [];
  private seq = 0;
  private readonly errorSet = new Set<string>();
  private readonly duplicateSet = new Set<string>();
  private readonly orphanList: string[] = [];
  private readonly ups: number;
  readonly random: () => number;
  private cloud!: VolcengineRecovery;
  private journalDir = "";
  private journal!: FileJournal;
  private controller!: RecoveryController;
  private openstack!: OpenStackClient;
  private runner!: OpenStackRunner;
  private runnerJournal!: FileActionJournal;
  readonly events: RecoveryEvent[] = [];

  constructor(
    readonly emu: RunningEmulator,
    readonly o: SoakOptions,
  ) {
    this.ups = o.ups ?? 3;
    this.random = prng(o.seed ^ 0x5eed);
    const kinds = o.kinds ?? [...FAULT_KINDS];
    this.report = {
      seed: o.seed,
      rate: o.rate,
      kinds,
      operations: 0,
      calls: 0,
      faultsInjected: 0,
      faultsByKind: {},
      creates: {},
      failedOperations: 0,
      abandonedOperations: [],
      orphans: [],
      duplicates: [],
      recoveries: { interruptions: 0, done: 0, deadlineMet: 0, fromRolling: 0, failed: 0, failedRecoverable: 0, failedDeadline: 0, unfinished: 0, wrong: 0, details: [] },
      unknownParams: [],
      retryBudgetLeft: { controller: 0, providers: 0 },
      errors: [],
      wallSeconds: 0,
      ok: false,
    };
  }

  log(line: string): void {
    this.o.log?.(line);
  }

  async start(): Promise<void> {
    // The controller runs in its own process (`pulumi-recovery watch`), apart from the engine's provider
    // host: its own client, so its own retry budget.
    this.cloud = new VolcengineRecovery(new VolcengineClient(volcengineConnection(undefined)));
    this.journalDir = mkdtempSync(path.join(tmpdir(), "soak-"));
    this.journal = new FileJournal(path.join(this.journalDir, "journal.json"));
    // The cloud's clock, stepped: a controller's sleep (a backoff, a poll interval) passes that much emulated time.
    const clock: Clock = { now: () => this.emu.clock.now(), sleep: async (ms) => this.emu.clock.advance(Math.max(0, Math.round(ms))) };
    // A service: a failed step waits for a later pass (every 30 s), as `pulumi-recovery watch` runs it.
    this.controller = new RecoveryController({ cloud: this.cloud, journal: this.journal, clock, concurrency: 1, waitForRetries: false, onEvent: (e) => this.events.push(e) });
    // The OpenStack policy runner, likewise in its own process (`pulumi-recovery watch --cloud openstack`).
    this.openstack = new OpenStackClient(openstackConnection(undefined));
    this.runnerJournal = new FileActionJournal(path.join(this.journalDir, "openstack.json"));
    this.runner = new OpenStackRunner({ client: this.openstack, journal: this.runnerJournal, clock: { now: () => this.emu.clock.now(), sleep: clock.sleep } });
    // Scripts for application-consistent snapshot groups (root-owned, mode 700).
    await this.emu.admin.request("alicloud/files", "POST", { instanceId: DB, path: "/root/pre.sh", content: "#!/bin/sh\nsync" });
    await this.emu.admin.request("alicloud/files", "POST", { instanceId: DB, path: "/root/post.sh", content: "#!/bin/sh\ntrue" });
    await this.emu.admin.request(`faults?seed=${this.o.seed}`, "DELETE");
    await this.resumeFaults();
  }

  /** Faults off for what is not under test (the user's own OpenStack server); the streams stay where they are. */
  private async pauseFaults(): Promise<void> {
    await this.emu.admin.clearFaults();
  }

  private async resumeFaults(): Promise<void> {
    for (const rule of faultRules(this.o.rate, this.report.kinds)) await this.emu.admin.addFault(rule);
  }

  async stop(): Promise<void> {
    await this.journal?.close().catch(() => undefined);
    await this.runnerJournal?.close().catch(() => undefined);
    if (this.journalDir) rmSync(this.journalDir, { recursive: true, force: true });
  }

  // ---- observing the cloud ---------------------------------------------------------------------

  /** The calls since the last look; checks that no create made two resources under one token. */
  private async collect(label: string): Promise<void> {
    const fresh = await this.emu.admin.calls({ since: this.seq });
    if (!fresh.length) return;
    this.seq = fresh[fresh.length - 1].seq;
    this.calls.push(...fresh);
    // Within one operation, each successful create (a distinct ClientToken, or any CreateImage) under one
    // token made one resource: two are a duplicate, even if one was deleted again.
    const made = new Map<string, Set<string>>();
    for (const c of fresh) {
      if (!CREATES.has(c.action) || c.status !== 200) continue;
      const token = tokenOf(c);
      if (!token) continue;
      const key = `${c.action} ${token}`;
      if (!made.has(key)) made.set(key, new Set());
      made.get(key)!.add(c.params.ClientToken ?? `call ${c.seq}`);
    }
    for (const [key, set] of made) if (set.size > 1) this.duplicate(`${label}: ${set.size} × ${key}`);
  }

  private duplicate(what: string): void {
    if (this.duplicateSet.has(what)) return;
    this.duplicateSet.add(what);
    this.log(`  DUPLICATE ${what}`);
  }

  /** Two live resources under one create token (or two Alibaba groups of one name) at the same time. */
  private async liveDuplicates(label: string): Promise<void> {
    const v = await this.emu.admin.volcengine.state();
    for (const [kind, list] of [["instance", v.instances], ["image", v.images], ["snapshot group", v.snapshotGroups]] as const) {
      const by = new Map<string, string[]>();
      for (const r of list as any[]) {
        const t = tagsOf(r)[TOKEN_TAG];
        if (t) by.set(t, [...(by.get(t) ?? []), r.InstanceId ?? r.ImageId ?? r.SnapshotGroupId]);
      }
      for (const [t, ids] of by) if (ids.length > 1) this.duplicate(`${label}: ${kind}s ${ids.join(", ")} share token ${t}`);
    }
    const os = await this.emu.admin.openstack.state();
    const backups = new Map<string, string[]>();
    for (const i of os.images) if (i.properties?.image_type === "backup") backups.set(i.name, [...(backups.get(i.name) ?? []), i.id]);
    for (const [n, ids] of backups) if (ids.length > 1) this.duplicate(`${label}: OpenStack backups ${ids.join(", ")} of one slot (${n})`);
    const a = await this.emu.admin.request("alicloud/state");
    const names = new Map<string, string[]>();
    for (const g of a.snapshotGroups) names.set(g.Name, [...(names.get(g.Name) ?? []), g.SnapshotGroupId]);
    for (const [n, ids] of names) if (ids.length > 1) this.duplicate(`${label}: Alibaba snapshot groups ${ids.join(", ")} share the name ${n}`);
  }

  /** One provider operation or controller pass: counted, and the cloud looked at afterwards. */
  async op<T>(label: string, fn: () => Promise<T>): Promise<T> {
    this.report.operations++;
    try {
      return await fn();
    } finally {
      await this.collect(label);
      await this.liveDuplicates(label);
    }
  }

  private error(label: string, e: unknown): void {
    this.report.failedOperations++;
    const first = String((e as Error)?.message ?? e).split("\n")[0];
    const text = first.replace(/\b(i|image|ssg|snap|vol|sg|t)-[0-9a-z]{6,}\b/g, "$1-…").replace(/request id [\w-]+/g, "request id …").replace(/\bpr[0-9a-f]{30}\b/g, "pr…");
    if (!this.errorSet.has(text)) {
      this.errorSet.add(text);
      this.log(`  error (${label}): ${first}`);
    }
  }

  // ---- the engine ------------------------------------------------------------------------------

  /** Runs `fn` until it succeeds, `ups` times at most (a user re-running `pulumi up`); false when it never did. */
  private async again(label: string, fn: () => Promise<void>): Promise<boolean> {
    for (let n = 1; n <= this.ups; n++) {
      try {
        await fn();
        return true;
      } catch (e) {
        this.error(label, e);
      }
    }
    this.report.abandonedOperations.push(label);
    this.log(`  ABANDONED ${label}`);
    return false;
  }

  /** `pulumi up` of a resource that is not in state yet: check, create (a partial one is deleted before the next try). */
  async create(name: string, provider: Provider, news: Props): Promise<Owned | undefined> {
    const { inputs, failures } = await this.op(`check ${name}`, () => provider.check!({}, news));
    if (failures?.length) throw new Error(`soak: ${name} inputs refused: ${JSON.stringify(failures)}`);
    const ok = await this.again(`create ${name}`, async () => {
      const held = this.state.get(name);
      if (held?.partial) {
        await this.op(`delete partial ${name}`, () => provider.delete!(held.id, held.outs));
        this.state.delete(name);
      }
      try {
        const { id, outs } = await this.op(`create ${name}`, () => provider.create(inputs!));
        this.state.set(name, { provider, id, outs: outs ?? {}, news });
      } catch (e) {
        const partial = e as { id?: string; properties?: Props };
        if (partial.id && partial.properties) this.state.set(name, { provider, id: partial.id, outs: partial.properties, news, partial: true });
        throw e;
      }
    });
    return ok ? this.state.get(name) : undefined;
  }

  /** `pulumi refresh` of one resource: read, follow a new id, or drop it when the cloud says it is gone. */
  async refresh(name: string): Promise<void> {
    const held = this.state.get(name);
    if (!held || held.partial) return;
    await this.again(`refresh ${name}`, async () => {
      const r = await this.op(`read ${name}`, () => held.provider.read!(held.id, held.outs));
      if (!r.id) this.state.delete(name);
      else this.state.set(name, { ...held, id: r.id, outs: r.props ?? {} });
    });
  }

  /** `pulumi up` with changed inputs: check, diff, update in place. */
  async update(name: string, change: Props): Promise<void> {
    const held = this.state.get(name);
    if (!held || held.partial) return;
    const olds = held.outs;
    const news = { ...held.news, ...change };
    const { inputs, failures } = await this.op(`check ${name}`, () => held.provider.check!(olds, news));
    if (failures?.length) throw new Error(`soak: ${name} update refused: ${JSON.stringify(failures)}`);
    const diff = await this.op(`diff ${name}`, () => held.provider.diff!(held.id, olds, inputs!));
    if (diff.replaces?.length) throw new Error(`soak: ${name} update would replace (${diff.replaces.join(", ")})`);
    if (!diff.changes) return;
    await this.again(`update ${name}`, async () => {
      const { outs } = await this.op(`update ${name}`, () => held.provider.update!(held.id, olds, inputs!));
      this.state.set(name, { ...held, outs: outs ?? {}, news });
    });
  }

  /** `pulumi destroy` of one resource. */
  async destroy(name: string): Promise<void> {
    const held = this.state.get(name);
    if (!held) return;
    const ok = await this.again(`delete ${name}`, () => this.op(`delete ${name}`, () => held.provider.delete!(held.id, held.outs)));
    if (ok) this.state.delete(name);
  }

  // ---- lifecycles ------------------------------------------------------------------------------

  private spotInputs(name: string, extra: Props = {}): Props {
    return {
      zoneId: "cn-beijing-a",
      imageId: "image-ubuntu2204-emu",
      instanceTypeId: "ecs.g3il.large",
      subnetId: "subnet-emu-cn-beijing-a",
      securityGroupIds: ["sg-emu-default"],
      instanceName: name,
      password: "Soak-Test-1!",
      dataVolumes: [{ size: 20 }],
      tags: { soak: String(this.o.seed) },
      __identity: `soak/${this.o.seed}/${name}`,
      ...extra,
    };
  }

  /** SpotInstance: create, refresh, update in place, refresh, destroy, up again (same identity), destroy. */
  async spotInstance(n: number): Promise<void> {
    const name = `soak-spot-${n}`;
    const news = this.spotInputs(name);
    if (!(await this.create(name, spotInstanceProvider, news))) return;
    await this.refresh(name);
    await this.update(name, { description: "Updated by the soak", tags: { soak: String(this.o.seed), round: "2" } });
    await this.refresh(name);
    await this.destroy(name);
    if (this.state.has(name)) return;
    await this.create(name, spotInstanceProvider, news); // destroy, then up: a new instance, however often
    await this.destroy(name);
  }

  /** RecoveryImage of an instance: create, refresh, update tags, destroy, up again, destroy (then the instance). */
  async recoveryImage(n: number): Promise<void> {
    const inst = `soak-src-${n}`;
    const name = `soak-image-${n}`;
    const source = await this.create(inst, spotInstanceProvider, this.spotInputs(inst));
    if (source) {
      const news = { instanceId: source.id, imageName: name, tags: { soak: String(this.o.seed) }, __identity: `soak/${this.o.seed}/${name}` };
      if (await this.create(name, recoveryImageProvider, news)) {
        await this.refresh(name);
        await this.update(name, { tags: { soak: String(this.o.seed), round: "2" } });
        await this.destroy(name);
        if (!this.state.has(name)) {
          await this.create(name, recoveryImageProvider, news);
          await this.destroy(name);
        }
      }
    }
    await this.destroy(name);
    await this.destroy(inst);
  }

  /** SnapshotRole on the database instance, a ConsistentSnapshotGroup through it (twice), the role updated and destroyed, and up again. */
  async snapshots(n: number): Promise<void> {
    const role = `soak-role-${this.o.seed}-${n}`;
    const group = `soak-group-${n}`;
    const roleNews = { roleName: role, instanceIds: [DB] };
    if (await this.create(role, snapshotRoleProvider, roleNews)) {
      const news = { instanceId: DB, ramRoleName: role, name: `soak-${this.o.seed}-${n}`, preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh", __identity: `soak/${this.o.seed}/${group}` };
      if (await this.create(group, consistentSnapshotGroupProvider, news)) {
        await this.refresh(group);
        await this.destroy(group);
        if (!this.state.has(group)) {
          await this.create(group, consistentSnapshotGroupProvider, news); // destroy, then up: a new group
          await this.destroy(group);
        }
      }
      await this.update(role, { instanceIds: [DB, WIN] });
      await this.refresh(role);
    }
    await this.destroy(group);
    await this.destroy(role);
    if (this.state.has(role)) return;
    if (await this.create(role, snapshotRoleProvider, roleNews)) await this.destroy(role);
  }

  /**
   * The three OpenStack policies on a server the user's own program made (booted and deleted here with
   * faults off: it is not ours): a backup policy that deletes its backups on destroy, with the runner making
   * one under faults; a recovery policy; a suspend schedule updated in place, destroyed, and up again.
   */
  async openstackPolicies(n: number): Promise<void> {
    const name = `soak-os-${n}`;
    await this.pauseFaults();
    const { body } = await this.openstack.compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name, imageRef: OS_IMAGE, flavorRef: "1", networks: "auto" } }, safe: false });
    const serverId = body.server.id;
    for (let i = 0; i < 30 && (await findServer(this.openstack, serverId)).status !== "ACTIVE"; i++) this.emu.clock.advance(5_000);
    await this.resumeFaults();

    const backup = `${name}-backup`;
    const type = `soak${this.o.seed}n${n}`;
    const backupNews = { serverId, schedule: "1d", backupType: type, rotation: 2, namePrefix: "soak", deleteBackupsOnDestroy: true, __identity: `soak/${this.o.seed}/${backup}` };
    if (await this.create(backup, serverBackupPolicyProvider, backupNews)) {
      await this.refresh(backup);
      for (let i = 0; i < 3; i++) {
        await this.runnerPass(`runner pass for ${name}`);
        this.emu.clock.advance(3_600_000); // the upload ends; the next day's slot is not due yet
      }
      await this.update(backup, { rotation: 3 });
      await this.refresh(backup);
    }
    const heal = `${name}-recovery`;
    if (await this.create(heal, serverRecoveryPolicyProvider, { serverId, action: "rebuild-from-backup", backupType: type, __identity: `soak/${this.o.seed}/${heal}` })) {
      await this.refresh(heal);
      await this.destroy(heal);
    }
    const nightly = `${name}-suspend`;
    const nightlyNews = { serverId, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", __identity: `soak/${this.o.seed}/${nightly}` };
    if (await this.create(nightly, serverSuspendScheduleProvider, nightlyNews)) {
      await this.update(nightly, { mode: "pause" });
      await this.refresh(nightly);
      await this.destroy(nightly);
      if (!this.state.has(nightly)) {
        await this.create(nightly, serverSuspendScheduleProvider, nightlyNews);
        await this.destroy(nightly);
      }
    }
    await this.destroy(heal);
    await this.destroy(backup);

    await this.pauseFaults();
    // What no stack declares any more must not stay on the server: every policy item was deleted.
    const owned = new Set([...this.state.values()].filter((o) => o.outs.serverId === serverId).map((o) => o.outs.policyKey).filter(Boolean));
    const left = Object.keys((await findServer(this.openstack, serverId)).metadata ?? {}).filter((k) => k.startsWith("pulumi-recovery:") && !owned.has(k));
    for (const k of left) this.orphanList.push(`openstack metadata ${k} on ${name}`);
    if (!owned.size) await this.openstack.compute("DELETE", `/servers/${serverId}`);
    await this.resumeFaults();
  }

  private async runnerPass(label: string): Promise<void> {
    try {
      const pass = await this.op(label, () => this.runner.runOnce());
      if (pass.failed) this.error(label, new Error(pass.events.filter((e) => e.kind === "failed").map((e) => e.message).join("; ")));
    } catch (e) {
      this.error(label, e);
    }
  }

  /** A controller pass, as a service runs one; a pass that fails is counted and the next one runs. */
  private async pass(label: string): Promise<void> {
    try {
      await this.op(label, () => this.controller.runOnce());
    } catch (e) {
      this.error(label, e);
    }
  }

  /** A protected instance is interrupted; the controller recovers it; the stack follows and destroys the replacement. */
  async interruption(n: number, rolling: boolean, busy = false): Promise<void> {
    const name = `soak-protected-${n}`;
    const recovery = rolling ? { onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "5m" } : { onInterruption: "image-and-relaunch", keepImages: 2 };
    // A busy instance's 240 GiB take 490 s to copy whole: longer than the notice.
    const held = await this.create(name, spotInstanceProvider, this.spotInputs(name, { recovery, ...(busy ? { dataVolumes: [{ size: 200 }] } : {}) }));
    if (!held) return;
    const instanceId = held.id;
    await this.emu.admin.volcengine.writeFile({ instanceId, path: MARKER, content: `data of ${name}` });
    if (rolling) {
      // Healthy passes until a rolling point is available (a service keeps one fresh every imageEvery).
      for (let i = 0; i < 4; i++) {
        await this.pass(`healthy pass for ${name}`);
        this.emu.clock.advance(150_000);
        const points = await this.cloud.points([instanceId]).catch(() => []);
        if (points.some((p) => p.kind === "rolling" && p.state === "available")) break;
      }
    }
    // Every other rolling instance then writes faster than a point can copy within the notice: only its
    // rolling point can save it (the final one fails at the release).
    if (busy) await this.emu.admin.volcengine.changeRate({ instanceId, changeGiBPerHour: 100_000 });
    const { eventId } = await this.emu.admin.volcengine.spotInterruption({ instanceId, noticeSeconds: 300 });
    this.report.recoveries.interruptions++;
    let record: RecoveryRecord | undefined;
    for (let i = 0; i < (this.o.passes ?? 60); i++) {
      await this.pass(`recovery pass for ${name}`);
      record = await this.journal.get(eventId);
      if (record && record.state !== "in-progress") break;
      this.emu.clock.advance(30_000); // the service's interval
    }
    await this.judge(eventId, instanceId, rolling, record);
    // The stack follows the line (a refresh after the release adopts the replacement), then destroys it;
    // or, half of the time, it is destroyed at once, while the interrupted instance still runs.
    if (this.random() < 0.5) this.emu.clock.advance(Math.max(0, Date.parse(record?.releaseAt ?? "") - this.emu.clock.now()) + 1_000 || 0);
    await this.refresh(name);
    await this.destroy(name);
    // The controller's points of the line are kept by design (keepImages); a retention job removes them
    // once the line is gone, so a long soak stays under the region's custom-image quota.
    const line = (await this.emu.admin.volcengine.state()).snapshotGroups.filter((g: any) => [instanceId, record?.replacementId].includes(tagsOf(g)[TAGS.source]) && tagsOf(g)[TAGS.point]);
    for (const g of line) await this.again(`retention: delete point ${g.SnapshotGroupId}`, () => this.op("retention", () => this.cloud.deletePoint(g.SnapshotGroupId)));
  }

  private async judge(eventId: string, instanceId: string, rolling: boolean, record: RecoveryRecord | undefined): Promise<void> {
    const r = this.report.recoveries;
    const state = record?.state ?? "never journaled";
    r.details.push({ eventId, instanceId, rolling, state, pointSource: record?.pointSource, deadlineMet: record?.deadlineMet, error: record?.error });
    if (state === "done") {
      r.done++;
      if (record!.pointSource === "rolling") r.fromRolling++;
      if (record!.deadlineMet) r.deadlineMet++;
      const v = await this.emu.admin.volcengine.state();
      const rep = v.instances.find((i: any) => i.InstanceId === record!.replacementId);
      const files = rep ? await this.emu.admin.volcengine.files(rep.InstanceId, 0) : {};
      if (!rep || rep.Status !== "RUNNING" || files[MARKER] === undefined) {
        r.wrong++;
        this.log(`  WRONG recovery of ${instanceId}: replacement ${record!.replacementId} ${rep ? `${rep.Status}, marker ${files[MARKER] === undefined ? "missing" : "present"}` : "missing"}`);
      }
    } else if (state === "failed") {
      r.failed++;
      // Unrecoverable for lack of time: the release came before any point could be made, and there was no rolling one.
      if (/no earlier recovery point/.test(record!.error ?? "")) r.failedDeadline++;
      else r.failedRecoverable++;
      this.log(`  FAILED recovery of ${instanceId}: ${record!.error}`);
    } else if (!record && this.events.some((e) => e.kind === "failed" && e.instanceId === instanceId)) {
      // Never recorded: the cloud failed the controller's reads for the whole notice, and the instance was
      // released with no point to recover from. Lost for lack of time, and the controller said so.
      r.failed++;
      r.failedDeadline++;
      this.log(`  FAILED recovery of ${instanceId}: ${this.events.find((e) => e.kind === "failed" && e.instanceId === instanceId)!.message}`);
    } else {
      r.unfinished++;
      this.log(`  UNFINISHED recovery of ${instanceId}: ${state}${record?.lastError ? ` (${record.lastError})` : ""}`);
    }
  }

  // ---- the end ---------------------------------------------------------------------------------

  async finish(): Promise<void> {
    await this.collect("end");
    this.emu.clock.advance(15 * 60_000); // the cloud reclaims every interrupted instance, and finishes every deletion
    const rep = this.report;
    rep.calls = this.calls.length;
    for (const c of this.calls) {
      if (!c.fault) continue;
      rep.faultsInjected++;
      const kind = c.fault.split(" ")[0];
      rep.faultsByKind[kind] = (rep.faultsByKind[kind] ?? 0) + 1;
    }
    for (const c of this.calls) {
      if (c.status >= 400 || c.status === 0 || !/^(RunInstances|CreateSnapshotGroup|CreateImage|RunCommand|CreateRole|CreatePolicy|createBackup|PUT )/.test(c.action)) continue;
      const key = c.action.startsWith("PUT ") ? "PUT server metadata" : c.action;
      rep.creates[key] = (rep.creates[key] ?? 0) + 1;
    }
    rep.unknownParams = [...new Set(this.calls.flatMap((c) => c.unknownParams.map((p) => `${c.cloud} ${c.action} ${p}`)))];
    rep.duplicates = [...this.duplicateSet];
    rep.retryBudgetLeft = { controller: this.cloud.client.retry.budget.remaining, providers: VolcengineClient.for(volcengineConnection(undefined)).retry.budget.remaining };
    rep.errors = [...this.errorSet];
    rep.orphans = await this.orphans();
  }

  /** Everything in the emulator that no stack (the soak's state) and no controller (its recovery points) owns. */
  private async orphans(): Promise<string[]> {
    const out: string[] = [];
    const owned = new Set([...this.state.values()].flatMap((o) => [o.id, o.outs.snapshotGroupId, o.outs.imageId, o.outs.instanceId, o.outs.roleName, o.outs.policyName, o.outs.serverId].filter(Boolean)));
    const v = await this.emu.admin.volcengine.state();
    for (const i of v.instances) if (!owned.has(i.InstanceId)) out.push(`volcengine instance ${i.InstanceId} (${i.InstanceName}, ${i.Status})`);
    // A point the controller made (final or rolling) is the controller's, and so is the image made of it.
    const pointGroups = new Set(v.snapshotGroups.filter((g: any) => /kind=(final|rolling)/.test(tagsOf(g)[TAGS.point] ?? "")).map((g: any) => g.SnapshotGroupId));
    const groupIds = new Set(v.snapshotGroups.map((g: any) => g.SnapshotGroupId));
    const pointImages = new Set([...pointGroups].map((g) => pointImageToken(g as string)));
    for (const g of v.snapshotGroups) if (!pointGroups.has(g.SnapshotGroupId) && !owned.has(g.SnapshotGroupId)) out.push(`volcengine snapshot group ${g.SnapshotGroupId} (${tagsOf(g)[TAGS.point] ?? "untagged"})`);
    for (const img of v.images) if (!owned.has(img.ImageId) && !pointImages.has(tagsOf(img)[TOKEN_TAG])) out.push(`volcengine image ${img.ImageId} (${img.ImageName}, ${img.Status})`);
    const imageSnaps = new Set(v.images.flatMap((i: any) => (i.Snapshots ?? []).map((s: any) => s.SnapshotId)));
    for (const s of v.snapshots) if (!(s.groupId && groupIds.has(s.groupId)) && !imageSnaps.has(s.SnapshotId)) out.push(`volcengine snapshot ${s.SnapshotId}`);
    for (const vol of v.volumes) if (!vol.InstanceId) out.push(`volcengine volume ${vol.VolumeId} (detached)`);
    const a = await this.emu.admin.request("alicloud/state");
    for (const r of a.roles) if (!owned.has(r.RoleName)) out.push(`alicloud RAM role ${r.RoleName}`);
    for (const p of a.policies) if (p.PolicyType === "Custom" && !owned.has(p.PolicyName)) out.push(`alicloud RAM policy ${p.PolicyName}`);
    for (const i of a.instances) if (i.ramRole && !owned.has(i.ramRole)) out.push(`alicloud ${i.InstanceId} still has RAM role ${i.ramRole}`);
    for (const g of a.snapshotGroups) if (!owned.has(g.SnapshotGroupId)) out.push(`alicloud snapshot group ${g.SnapshotGroupId} (${g.Name})`);
    const os = await this.emu.admin.openstack.state();
    // Every backup policy here deletes its backups on destroy, and the soak deletes the servers it booted.
    for (const i of os.images) if (i.properties?.image_type === "backup" && !owned.has(i.properties.instance_uuid)) out.push(`openstack backup image ${i.id} (${i.name}, ${i.status})`);
    for (const sv of os.servers) if (sv.name.startsWith("soak-os-") && !owned.has(sv.id)) out.push(`openstack server ${sv.id} (${sv.name}, ${sv.status})`);
    return [...this.orphanList, ...out];
  }
}

/** Runs the soak on a fresh emulator (frozen clock, seeded faults) and returns its counts. */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const emu = await startEmulator({ clock: { frozen: true, stepPerRequestMs: o.stepMs ?? 1000 }, faultSeed: o.seed });
  const saved = { ...process.env };
  Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: "1", PULUMI_RECOVERY_RETRY_MS: "2" });
  const soak = new Soak(emu, o);
  try {
    await soak.start();
    // The work, in an order drawn from the seed: each kind's lifecycles and the interruptions interleaved.
    const work: (() => Promise<void>)[] = [];
    for (let n = 0; n < o.lifecycles; n++) work.push(() => soak.spotInstance(n), () => soak.recoveryImage(n), () => soak.snapshots(n), () => soak.openstackPolicies(n));
    for (let n = 0; n < o.interruptions; n++) work.push(() => soak.interruption(n, n % 2 === 0, n % 4 === 0));
    for (let i = work.length - 1; i > 0; i--) {
      const j = Math.floor(soak.random() * (i + 1));
      [work[i], work[j]] = [work[j], work[i]];
    }
    for (const w of work) await w();
    await soak.finish();
  } finally {
    await soak.stop();
    process.env = saved;
    await emu.close();
  }
  const rep = soak.report;
  rep.wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  const r = rep.recoveries;
  // At or below 20% every recovery must succeed; above, only those the deadline could not allow may fail.
  const allowedFailures = rep.rate <= 0.2 ? 0 : r.failedDeadline;
  rep.ok = rep.orphans.length === 0 && rep.duplicates.length === 0 && r.failedRecoverable === 0 && r.unfinished === 0 && r.wrong === 0 && r.failed <= allowedFailures && rep.unknownParams.length === 0;
  return rep;
}

export function formatReport(rep: SoakReport): string {
  const r = rep.recoveries;
  const lines = [
    `soak: seed ${rep.seed}, faults at ${Math.round(rep.rate * 100)}% of calls (${rep.kinds.join(", ")}), ${rep.wallSeconds}s`,
    `  operations                ${rep.operations}`,
    `  cloud API calls           ${rep.calls}`,
    `  faults injected           ${rep.faultsInjected} (${Object.entries(rep.faultsByKind).map(([k, v]) => `${k} ${v}`).join(", ")})`,
    `  made (answered calls)     ${Object.entries(rep.creates).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `  errors users saw (re-run) ${rep.failedOperations}`,
    `  operations abandoned      ${rep.abandonedOperations.length}${rep.abandonedOperations.length ? `: ${rep.abandonedOperations.join("; ")}` : ""}`,
    `  orphans                   ${rep.orphans.length}${rep.orphans.length ? `: ${rep.orphans.join("; ")}` : ""}`,
    `  duplicates                ${rep.duplicates.length}${rep.duplicates.length ? `: ${rep.duplicates.join("; ")}` : ""}`,
    `  interruptions             ${r.interruptions}: ${r.done} recovered (${r.deadlineMet} before the release, ${r.fromRolling} from a rolling point), ${r.failed} failed (${r.failedDeadline} for lack of time, ${r.failedRecoverable} recoverable), ${r.unfinished} unfinished, ${r.wrong} wrong`,
    `  failed recoveries         ${r.failed}`,
    `  retry tokens left         controller ${rep.retryBudgetLeft.controller}, providers ${rep.retryBudgetLeft.providers} (of 500)`,
    `  unknown parameters sent   ${rep.unknownParams.length}${rep.unknownParams.length ? `: ${rep.unknownParams.join(", ")}` : ""}`,
    `  ${rep.ok ? "OK" : "NOT OK"}`,
  ];
  return lines.join("\n");
}

if (require.main === module) {
  const program = new Command()
    .name("soak")
    .description("the providers and the recovery controller under seeded faults; counts orphans, duplicates and failed recoveries")
    .option("--rate <share>", "share of cloud API calls that fail (0..1), split evenly between the fault kinds", "0.2")
    .option("--seed <n>", "the seed of the faults and of the order of the work", "1")
    .option("--lifecycles <n>", "lifecycles of each resource kind", "4")
    .option("--interruptions <n>", "spot interruptions recovered by the controller", "6")
    .option("--kinds <list>", `fault kinds, comma-separated (${FAULT_KINDS.join(",")})`, FAULT_KINDS.join(","))
    .option("--step-ms <ms>", "emulated milliseconds each request moves the frozen clock", "1000")
    .option("--json", "print the report as JSON")
    .option("--quiet", "no progress lines")
    .action(async (opts) => {
      const kinds = String(opts.kinds).split(",").map((k: string) => k.trim()) as FaultKind[];
      for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${k}; the kinds are ${FAULT_KINDS.join(", ")}`);
      const rate = Number(opts.rate);
      if (!(rate >= 0 && rate < 1)) throw new Error("--rate is a share from 0 to below 1, e.g. 0.2");
      const report = await runSoak({
        seed: Number(opts.seed),
        rate,
        lifecycles: Number(opts.lifecycles),
        interruptions: Number(opts.interruptions),
        kinds,
        stepMs: Number(opts.stepMs),
        log: opts.quiet || opts.json ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
  program.parseAsync(process.argv).catch((e: Error) => {
    process.stderr.write(`soak: ${e.message}\n`);
    process.exitCode = 2;
  });
}
