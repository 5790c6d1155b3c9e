// The Alibaba Cloud state as one unit: ECS, RAM and Cloud Assistant models, wired so that commands run
// on instances (the simulated plugin) act through ECS and RAM; the settings tests and drills change;
// ClientToken idempotency; the seed instances.
import type { Clock } from "../clock";
import { ClientTokens } from "../idempotency";
import type { SavedCommand } from "./assistant/commands";
import { AssistantModel } from "./assistant/model";
import { AutoSnapshotModel } from "./ecs/autoSnapshotPolicies";
import { ImageModel } from "./ecs/images";
import { defaultInstanceOptions, INSTANCE_SETTINGS, InstanceLifecycle, type InstanceOptions } from "./ecs/instances";
import { EcsModel } from "./ecs/model";
import { CloudMonitor } from "./cloudMonitor";
import { MetadataService } from "./metadata";
import { AcsError } from "./errors";
import { runOnInstance } from "./guest";
import { RamModel } from "./ram/model";
import { is, TEN_YEARS_SECONDS, validateSettings, type Schema } from "../settings";

export { AcsError } from "./errors";

export interface AlicloudOptions extends InstanceOptions {
  /** The region the seed instances live in (requests for other regions find nothing). */
  region: string;
  /** Emulated seconds from RunCommand until the command starts on the instance. */
  invocationDeliverySeconds: number;
  /** Emulated seconds a command runs once started (the plugin's whole run). */
  invocationSeconds: number;
  /** Emulated seconds from CreateSnapshotGroup to accomplished. */
  snapshotGroupSeconds: number;
  /** Snapshots that may exist at once in a region (QuotaExceed.Snapshot; plugin exit code 14). */
  snapshotQuota: number;
  /** New snapshot groups end in failed instead of accomplished. */
  failSnapshotGroups: boolean;
  /** Emulated seconds a DetachPolicyFromRole takes to reach DeleteRole/DeletePolicy (DeleteConflict.* until then). */
  ramDetachLagSeconds: number;
  /** The instances' own time zone, for a cron Frequency that names none (the agent uses the instance's; no source says which it is). */
  instanceTimeZone: string;
  /** Periodic invocations: the most fire times one request catches up after a jump of the clock (the rest are dropped). */
  maxCatchUpRuns: number;
  /** Emulated seconds an automatic snapshot takes to be accomplished. */
  autoSnapshotSeconds: number;
  /** Automatic snapshot policies a disk may have at once: 10 since the 2026 upgrade (ApplyAutoSnapshotPolicy adds), 1 before it (Apply replaces). */
  autoSnapshotPoliciesPerDisk: number;
}

export function defaultAlicloudOptions(): AlicloudOptions {
  return {
    region: "cn-hangzhou",
    invocationDeliverySeconds: 1,
    invocationSeconds: 5,
    snapshotGroupSeconds: 30,
    snapshotQuota: 1000,
    failSnapshotGroups: false,
    ramDetachLagSeconds: 3,
    instanceTimeZone: "Asia/Shanghai",
    maxCatchUpRuns: 1000,
    autoSnapshotSeconds: 60,
    autoSnapshotPoliciesPerDisk: 10,
    ...defaultInstanceOptions(),
  };
}

const SETTINGS: Schema<AlicloudOptions> = {
  region: is.string({ nonEmpty: true }),
  invocationDeliverySeconds: is.number({ max: TEN_YEARS_SECONDS }),
  invocationSeconds: is.number({ max: TEN_YEARS_SECONDS }),
  snapshotGroupSeconds: is.number({ max: TEN_YEARS_SECONDS }),
  snapshotQuota: is.number({ integer: true }),
  failSnapshotGroups: is.boolean,
  ramDetachLagSeconds: is.number({ max: TEN_YEARS_SECONDS }),
  instanceTimeZone: is.string({ nonEmpty: true }),
  maxCatchUpRuns: is.number({ integer: true, min: 1, max: 100_000 }),
  autoSnapshotSeconds: is.number({ max: TEN_YEARS_SECONDS }),
  autoSnapshotPoliciesPerDisk: is.number({ integer: true, min: 1, max: 10 }),
  ...INSTANCE_SETTINGS,
};

/** Checks a settings patch (admin, or startEmulator's options): known keys, right types, sane ranges. */
export function validateOptions(patch: unknown): Partial<AlicloudOptions> {
  return validateSettings(patch, SETTINGS);
}

export class AlicloudModel {
  /** Stable object: the service models read it live, so admin changes apply at once. */
  readonly opts: AlicloudOptions;
  readonly ecs: EcsModel;
  readonly ram: RamModel;
  readonly assistant: AssistantModel;
  readonly autoSnapshots: AutoSnapshotModel;
  // Spot recovery (issue 15): images, launches and releases, CloudMonitor webhooks, instance metadata.
  readonly images: ImageModel;
  readonly lifecycle: InstanceLifecycle;
  readonly monitor = new CloudMonitor();
  readonly metadata: MetadataService;
  /** Saved Cloud Assistant commands (assistant/commands.ts): the recovery policy's guest hook. */
  readonly commands = new Map<string, SavedCommand>();
  readonly tokens = new ClientTokens((kind) =>
    kind === "malformed"
      ? new AcsError("InvalidClientToken.Malformed", 400, "The specified parameter ClientToken is not valid.")
      : new AcsError("IdempotentParameterMismatch", 403, "The specified clientToken is used."),
  );

  constructor(
    readonly clock: Clock,
    private readonly initial: Partial<AlicloudOptions> = {},
  ) {
    this.opts = { ...defaultAlicloudOptions(), ...validateOptions(initial) };
    this.ecs = new EcsModel(clock, this.opts);
    this.ram = new RamModel(clock, this.opts);
    this.assistant = new AssistantModel(clock, this.opts, (instanceId, inv, at) => runOnInstance(this, instanceId, inv, at));
    this.autoSnapshots = new AutoSnapshotModel(clock, this.opts, this.ecs);
    this.images = new ImageModel(clock, this.ecs, this.opts);
    this.lifecycle = new InstanceLifecycle(clock, this.ecs, this.images, this.opts, (inst, at) => this.images.instanceReleased(inst, at));
    this.metadata = new MetadataService(clock, this.ecs);
    this.seed();
  }

  /** Brings time-driven state up to now: runs whose start time has passed take effect, schedules fire. */
  settle(): void {
    const now = this.clock.now();
    this.assistant.settle(now);
    this.autoSnapshots.settle(now);
    this.lifecycle.settle(now);
  }

  reset(): void {
    Object.assign(this.opts, defaultAlicloudOptions(), this.initial);
    this.ecs.reset();
    this.ram.reset();
    this.assistant.reset();
    this.autoSnapshots.reset();
    this.images.reset();
    this.lifecycle.reset();
    this.monitor.reset();
    this.metadata.reset();
    this.commands.clear();
    this.tokens.clear();
    this.seed();
  }

  /** Two instances to drill on: a Linux database with two ESSD disks, and a Windows server. */
  private seed(): void {
    this.ecs.addInstance({ InstanceId: "i-emu-db-linux", InstanceName: "db", OSType: "linux", disks: [{ Category: "cloud_essd", FileSystem: "ext4", Size: 40 }, { Category: "cloud_essd", FileSystem: "xfs", Size: 100 }] });
    this.ecs.addInstance({ InstanceId: "i-emu-app-windows", InstanceName: "app", OSType: "windows", disks: [{ Category: "cloud_essd", FileSystem: "ntfs", Size: 60 }] });
  }
}
