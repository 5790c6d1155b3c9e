// Instances as RunInstances makes them and DeleteInstances releases them (ECS 2014-05-26), on the one
// Instance of ecs/model.ts: placement (zone, vSwitch, security groups), spot settings, disks made from an
// image's snapshots (the system disk and, for an image of a whole instance, every data disk: RunInstances
// DataDisk.N.Device — "the data disks in the full image are created as the first 1 to n data disks"),
// tags, the login credential. Time-driven: Pending until `instanceCreateSeconds` have passed, Running,
// released `instanceDeleteSeconds` after DeleteInstances; a preempted instance is released at the end of
// its notice (preemption.ts). Everything is settled on the emulated clock before each request.
import type { Clock } from "../../clock";
import { is, TEN_YEARS_SECONDS, type Schema } from "../../settings";
import { AcsError } from "../errors";
import { newId, type Disk, type EcsModel, type Instance, type Tag } from "./model";
import type { Image, ImageModel } from "./images";

/** The settings instances, images and preemption take (merged into AlicloudOptions). */
export interface InstanceOptions {
  /** Zones of the region; each gets a vSwitch `vsw-emu-<zone>` in `vpc-emu-default`. */
  zones: string[];
  /** Emulated seconds from RunInstances to Running (Pending until then). */
  instanceCreateSeconds: number;
  /** Emulated seconds from DeleteInstances to gone (Stopping until then). */
  instanceDeleteSeconds: number;
  /** CreateImage of an instance: a base time plus seconds per GiB changed on its disks since their last snapshot. */
  imageBaseSeconds: number;
  imageSecondsPerGiB: number;
  /** GiB written per hour on each disk (how much an incremental snapshot copies). */
  changeGiBPerHour: number;
  /** What happens to an image still being made when its instance is released (not documented). */
  imageWhenInstanceReleased: "completes" | "fails";
  /** The notice a preemptible instance gets before its release (API notes: 5 minutes). */
  preemptionNoticeSeconds: number;
  /** Code answered when there is no stock (API notes list OperationDenied.NoStock). */
  stockOutCode: string;
  /** Zone/instance-type pairs without stock. */
  stockOut: { zoneId: string; instanceType?: string }[];
  /** Hourly spot price per instance type; a SpotWithPriceLimit below it finds no stock. */
  spotPrices: Record<string, number>;
  /**
   * RunInstances PasswordInherit with an image that has no password ("the image you use must have a
   * password configured"): the code is not documented.
   */
  passwordInheritCode: string;
  /** DeleteImage without Force of an image instances use: the code is not documented. */
  imageInUseCode: string;
}

export function defaultInstanceOptions(): InstanceOptions {
  return {
    zones: ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"],
    instanceCreateSeconds: 30,
    instanceDeleteSeconds: 10,
    imageBaseSeconds: 20,
    imageSecondsPerGiB: 1,
    changeGiBPerHour: 1,
    imageWhenInstanceReleased: "fails",
    preemptionNoticeSeconds: 300,
    stockOutCode: "OperationDenied.NoStock",
    stockOut: [],
    spotPrices: { "ecs.g7.large": 0.1, "ecs.g7.xlarge": 0.2, "ecs.c7.large": 0.08 },
    passwordInheritCode: "InvalidParameter.PasswordInherit",
    imageInUseCode: "ImageUsedByInstance",
  };
}

const name = is.string({ nonEmpty: true });
const seconds = is.number({ max: TEN_YEARS_SECONDS });
export const INSTANCE_SETTINGS: Schema<InstanceOptions> = {
  zones: is.list(name, { min: 1 }),
  instanceCreateSeconds: seconds,
  instanceDeleteSeconds: seconds,
  imageBaseSeconds: seconds,
  imageSecondsPerGiB: is.number({ max: 24 * 3600 }),
  changeGiBPerHour: is.number({ max: 1_000_000 }),
  imageWhenInstanceReleased: is.oneOf("completes", "fails"),
  preemptionNoticeSeconds: seconds,
  stockOutCode: name,
  stockOut: is.list(is.shape<{ zoneId: string; instanceType?: string }>({ zoneId: name, instanceType: name }, ["instanceType"])),
  spotPrices: is.record(is.number()),
  passwordInheritCode: name,
  imageInUseCode: name,
};

/** The instance types the emulator sells (DescribeInstances Cpu/Memory). */
export const INSTANCE_TYPES: Record<string, { cpu: number; memory: number }> = {
  "ecs.g7.large": { cpu: 2, memory: 8192 },
  "ecs.g7.xlarge": { cpu: 4, memory: 16384 },
  "ecs.c7.large": { cpu: 2, memory: 4096 },
};

/** Security groups that exist (admin adds more); vSwitches derive from the zones. */
export const SEED_SECURITY_GROUPS = ["sg-emu-default"];
export const vSwitchOf = (zone: string) => `vsw-emu-${zone}`;

/**
 * Disk categories RunInstances takes for a system disk and a data disk (RunInstancesRequest.systemDisk /
 * dataDisk.category); the elastic ephemeral ones only as data disks.
 */
export const SYSTEM_CATEGORIES = ["cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud", "cloud_auto", "cloud_essd_entry"];
export const DATA_CATEGORIES = [...SYSTEM_CATEGORIES, "cloud_regional_disk_auto", "elastic_ephemeral_disk_standard", "elastic_ephemeral_disk_premium"];

export interface DataDiskRequest {
  Category?: string;
  Size?: number;
  SnapshotId?: string;
  Device?: string;
  DeleteWithInstance?: boolean;
  PerformanceLevel?: string;
}

export interface RunRequest {
  RegionId: string;
  ImageId: string;
  InstanceType: string;
  ZoneId?: string;
  VSwitchId: string;
  SecurityGroupIds: string[];
  InstanceName?: string;
  HostName?: string;
  Description?: string;
  Password?: string;
  PasswordInherit: boolean;
  KeyPairName?: string;
  UserData?: string;
  SpotStrategy: string;
  SpotPriceLimit?: number;
  SpotDuration?: number;
  SpotInterruptionBehavior?: string;
  SystemDisk: { Category?: string; Size?: number; PerformanceLevel?: string };
  DataDisks: DataDiskRequest[];
  Tags: Tag[];
  Amount: number;
  HttpTokens?: string;
  RamRoleName?: string;
}

export class InstanceLifecycle {
  /** Security groups of the emulated account. */
  readonly securityGroups = new Set(SEED_SECURITY_GROUPS);

  constructor(
    private readonly clock: Clock,
    private readonly ecs: EcsModel,
    private readonly images: ImageModel,
    private readonly opts: InstanceOptions & { region: string },
    /** Called when an instance is released, before it is dropped (images being made of it react). */
    private readonly onRelease: (inst: Instance, at: number) => void,
  ) {}

  reset(): void {
    this.securityGroups.clear();
    for (const sg of SEED_SECURITY_GROUPS) this.securityGroups.add(sg);
  }

  /** Applies every transition due by now: Pending → Running, releases. */
  settle(now = this.clock.now()): void {
    for (const inst of [...this.ecs.instances.values()]) {
      const releaseAt = Math.min(inst.goneAt ?? Infinity, inst.recycling?.releaseAt ?? Infinity);
      if (now >= releaseAt) {
        if (inst.recycling && inst.SpotInterruptionBehavior === "Stop" && releaseAt === inst.recycling.releaseAt && inst.goneAt === undefined) {
          // SpotInterruptionBehavior Stop: "puts the instance into economical mode" instead of releasing it.
          inst.Status = "Stopped";
          inst.recycling = undefined;
          continue;
        }
        this.release(inst, releaseAt);
        continue;
      }
      if (inst.Status === "Pending" && inst.readyAt !== undefined && now >= inst.readyAt) inst.Status = "Running";
    }
  }

  /**
   * The instance is released: disks that go with it go (DeleteInstance: "DeleteWithInstance=false: the disk
   * is converted to a pay-as-you-go disk and retained"), the rest become loose disks.
   */
  release(inst: Instance, at = this.clock.now()): void {
    this.onRelease(inst, at);
    for (const d of inst.disks) {
      if (d.DeleteWithInstance) continue;
      this.ecs.looseDisks.set(d.DiskId, { ...d, InstanceId: "" });
    }
    this.ecs.instances.delete(inst.InstanceId);
  }

  private fail(code: string, status: number, message: string): never {
    throw new AcsError(code, status, message);
  }

  /** RunInstances: every check before anything is made (all or nothing). */
  run(req: RunRequest): Instance[] {
    const image = this.images.image(req.ImageId, req.RegionId);
    if (!image || this.images.status(image) !== "Available") this.fail("InvalidImageId.NotFound", 404, "The specified ImageId does not exist.");
    if (!Object.hasOwn(INSTANCE_TYPES, req.InstanceType)) this.fail("InvalidInstanceType.ValueNotSupported", 400, "The specified InstanceType does not exist or beyond the permitted range.");
    const zone = this.opts.zones.find((z) => vSwitchOf(z) === req.VSwitchId);
    if (!zone) this.fail("InvalidVSwitchId.NotFound", 404, "The specified VSwitchId does not exist.");
    // "If you specify VSwitchId, the ZoneId you specify must match the zone where the vSwitch resides."
    if (req.ZoneId && req.ZoneId !== zone) this.fail("InvalidParameter.Mismatch", 400, "The specified ZoneId is not the zone of the vSwitch.");
    if (req.SecurityGroupIds.length === 0) this.fail("MissingParameter", 400, 'The input parameter "SecurityGroupId" that is mandatory for processing this request is not supplied.');
    for (const sg of req.SecurityGroupIds) if (!this.securityGroups.has(sg)) this.fail("InvalidSecurityGroupId.NotFound", 404, "The specified SecurityGroupId does not exist.");
    if (!["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"].includes(req.SpotStrategy)) this.fail("InvalidSpotStrategy", 400, "The specified SpotStrategy is not valid.");
    if (req.SpotInterruptionBehavior && !["Terminate", "Stop"].includes(req.SpotInterruptionBehavior)) this.fail("InvalidParameter", 400, 'The specified parameter "SpotInterruptionBehavior" is not valid.');
    // "When you use this parameter [PasswordInherit], the Password parameter must be empty, and the image you use must have a password configured."
    if (req.PasswordInherit && req.Password) this.fail("InvalidParameter.Conflict", 400, "Password and PasswordInherit cannot be specified together.");
    if (req.PasswordInherit && image!.credential !== "password") this.fail(this.opts.passwordInheritCode, 400, "The specified image has no password to inherit.");
    if (!Number.isInteger(req.Amount) || req.Amount < 1 || req.Amount > 100) this.fail("InvalidParameter", 400, 'The specified parameter "Amount" is not valid.');
    if (req.Tags.length > 20) this.fail("NumberExceed.Tags", 400, "The Tags parameter's number is exceed , Valid : 20");
    const out = this.opts.stockOut.some((s) => s.zoneId === zone && (!s.instanceType || s.instanceType === req.InstanceType));
    if (out) this.fail(this.opts.stockOutCode, 403, `The resource is out of stock in the specified zone (${req.InstanceType} in ${zone}). Please try other types, or choose other regions and zones.`);
    if (req.SpotStrategy === "SpotWithPriceLimit") {
      const price = Object.hasOwn(this.opts.spotPrices, req.InstanceType) ? this.opts.spotPrices[req.InstanceType] : 0.1;
      if (req.SpotPriceLimit === undefined) this.fail("InvalidSpotPriceLimit", 400, "SpotPriceLimit is required with SpotStrategy SpotWithPriceLimit.");
      if (req.SpotPriceLimit! < price) this.fail(this.opts.stockOutCode, 403, `The spot price of ${req.InstanceType} in ${zone} is ${price}, above the limit ${req.SpotPriceLimit}.`);
    }
    const disks = this.diskPlan(image!, req);
    const now = this.clock.now();
    return Array.from({ length: req.Amount }, () => {
      const id = newId("i");
      const inst: Instance = {
        InstanceId: id,
        InstanceName: req.InstanceName ?? id,
        RegionId: req.RegionId,
        ZoneId: zone!,
        OSType: image!.OSType,
        Status: "Pending",
        CreationTime: this.clock.iso(now).replace(/\.\d{3}Z$/, "Z"),
        agentInstalled: true,
        disks: disks.map((d, i) => ({ ...d, DiskId: newId("d"), InstanceId: id, Device: i === 0 ? "/dev/xvda" : d.Device, data: { ...d.data } })),
        files: {},
        ramRoleName: req.RamRoleName,
        InstanceType: req.InstanceType,
        ImageId: image!.ImageId,
        VSwitchId: req.VSwitchId,
        VpcId: "vpc-emu-default",
        PrivateIpAddress: `172.16.${this.opts.zones.indexOf(zone!) + 1}.${10 + (this.ecs.instances.size % 240)}`,
        SecurityGroupIds: [...req.SecurityGroupIds],
        HostName: req.HostName ?? `iZ${id.slice(2, 18)}Z`,
        Description: req.Description ?? "",
        KeyPairName: req.KeyPairName,
        credential: req.KeyPairName ? "keypair" : req.Password || req.PasswordInherit ? "password" : "none",
        UserData: req.UserData,
        SpotStrategy: req.SpotStrategy,
        SpotPriceLimit: req.SpotStrategy === "SpotWithPriceLimit" ? req.SpotPriceLimit! : 0,
        SpotDuration: req.SpotStrategy === "NoSpot" ? undefined : (req.SpotDuration ?? 1),
        SpotInterruptionBehavior: req.SpotInterruptionBehavior ?? "Terminate",
        tags: req.Tags.map((t) => ({ ...t })),
        readyAt: now + this.opts.instanceCreateSeconds * 1000,
        HttpTokens: req.HttpTokens === "required" ? "required" : "optional",
      };
      for (const d of inst.disks) d.InstanceId = id;
      this.ecs.instances.set(id, inst);
      return inst;
    });
  }

  /**
   * The disks a launch makes: the system disk from the image's system snapshot, then the image's data
   * disks (a DataDisk.N with the same Device changes their category and size), then the other DataDisk.N.
   */
  private diskPlan(image: Image, req: RunRequest): Omit<Disk, "DiskId" | "InstanceId">[] {
    const sysSnap = image.snapshots.find((s) => s.Type === "system")!;
    const sysCategory = req.SystemDisk.Category ?? "cloud_efficiency"; // the documented default
    if (!SYSTEM_CATEGORIES.includes(sysCategory)) this.fail("InvalidSystemDiskCategory.ValueNotSupported", 400, "The specified parameter SystemDisk.Category is not valid.");
    // "The value must be greater than or equal to max{1, ImageSize}. Default: max{40, ImageSize}."
    const sysSize = req.SystemDisk.Size ?? Math.max(40, image.Size);
    if (sysSize < image.Size) this.fail("InvalidSystemDiskSize.LessThanImageSize", 400, "The specified parameter SystemDisk.Size is less than the image size.");
    const plan: Omit<Disk, "DiskId" | "InstanceId">[] = [
      { Category: sysCategory, FileSystem: image.OSType === "windows" ? "ntfs" : "ext4", Size: sysSize, Type: "system", Device: "/dev/xvda", DeleteWithInstance: true, PerformanceLevel: req.SystemDisk.PerformanceLevel ?? (sysCategory === "cloud_essd" ? "PL1" : undefined), SourceSnapshotId: sysSnap.SnapshotId, data: { ...sysSnap.data } },
    ];
    const used = new Set<DataDiskRequest>();
    for (const snap of image.snapshots.filter((s) => s.Type === "data")) {
      const asked = req.DataDisks.find((d) => d.Device === snap.Device);
      if (asked) used.add(asked);
      plan.push(this.dataDisk(asked ?? {}, snap.Device, snap.Size, snap.SnapshotId, snap.data));
    }
    for (const d of req.DataDisks) {
      if (used.has(d)) continue;
      if (d.Device) this.fail("InvalidDataDiskDevice.NotFound", 400, `The specified DataDisk.N.Device ${d.Device} is not a data disk of the image.`);
      const snap = d.SnapshotId ? this.images.snapshot(d.SnapshotId) : undefined;
      if (d.SnapshotId && !snap) this.fail("InvalidSnapshotId.NotFound", 404, "The specified SnapshotId does not exist.");
      plan.push(this.dataDisk(d, `/dev/xvd${String.fromCharCode(97 + plan.length)}`, snap?.Size ?? 0, d.SnapshotId, snap?.data ?? {}));
    }
    if (plan.length > 17) this.fail("InvalidParameter", 400, "An instance takes at most 16 data disks.");
    return plan;
  }

  private dataDisk(d: DataDiskRequest, device: string, minSize: number, snapshotId: string | undefined, data: Record<string, string>): Omit<Disk, "DiskId" | "InstanceId"> {
    const category = d.Category ?? "cloud_efficiency";
    if (!DATA_CATEGORIES.includes(category)) this.fail("InvalidDataDiskCategory.ValueNotSupported", 400, "The specified parameter DataDisk.N.Category is not valid.");
    // "The value of this parameter must be greater than or equal to the size of the snapshot."
    const size = d.Size ?? Math.max(minSize, 20);
    if (size < minSize) this.fail("InvalidDataDiskSize.LessThanSnapshotSize", 400, "The specified DataDisk.N.Size is less than the size of the snapshot.");
    return { Category: category, FileSystem: "ext4", Size: size, Type: "data", Device: device, DeleteWithInstance: d.DeleteWithInstance ?? true, PerformanceLevel: d.PerformanceLevel ?? (category === "cloud_essd" ? "PL1" : undefined), SourceSnapshotId: snapshotId, data: { ...data } };
  }

  /**
   * DeleteInstances: a Running instance only with Force ("false: releases the instance only when it is
   * in the Stopped state"); Pending ones cannot be released yet.
   */
  delete(ids: string[], region: string, force: boolean): void {
    const insts = ids.map((id) => this.ecs.instance(id, region));
    for (const inst of insts) {
      if (inst.Status === "Pending" || (inst.Status === "Running" && !force) || inst.Status === "Starting") {
        this.fail("IncorrectInstanceStatus", 403, "The current status of the resource does not support this operation.");
      }
    }
    const now = this.clock.now();
    for (const inst of insts) {
      if (inst.goneAt !== undefined) continue;
      inst.Status = "Stopping";
      inst.goneAt = now + this.opts.instanceDeleteSeconds * 1000;
    }
  }
}
