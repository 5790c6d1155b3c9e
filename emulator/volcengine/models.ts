// Volcengine ECS and storage_ebs state and state machines, apart from the wire format (ecs.ts, ebs.ts).
// Time-driven transitions are derived from the emulated clock on every request (`settle`), so there are
// no timers: an instance is CREATING until its ready time, a spot instance is released at its
// interruption's release time, a snapshot is creating until its (incremental) finish time.
//
// Disks are simulated file systems (path → content), one per volume, so a drill can show what a recovery
// keeps: an image of an instance carries the system volume's files only (CreateImage without
// CreateWholeImage, docs 6396/132240), a snapshot carries its volume's files, and RunInstances restores
// a data volume from Volumes.N.SnapshotId.
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import { ClientTokens } from "../idempotency";
import { is, TEN_YEARS_SECONDS, validateSettings, type Schema } from "../settings";
import { firings, type Schedule } from "./autoSnapshots";
import { GuestModel } from "./guest";
import { ApiError, imageNotFound, imageStatus, instanceNotFound, instanceStatus, invalidParameter, reservedTagKey, snapshotGroupNotFound, snapshotNotFound, tooManyTags, volumeNotFound } from "./errors";

export { ApiError } from "./errors";

export interface VolcengineOptions {
  region: string;
  zones: string[];
  /** Emulated seconds from RunInstances to RUNNING. */
  instanceCreateSeconds: number;
  /** Emulated seconds from DeleteInstance to gone. */
  instanceDeleteSeconds: number;
  /** Emulated seconds for StopInstance / StartInstance. */
  instanceStopSeconds: number;
  /** CreateImage from an instance: emulated seconds per GiB of the system volume. */
  imageSecondsPerGiB: number;
  /** CreateImage from a snapshot: a base time plus seconds per GiB (the data is already in the snapshot). */
  imageFromSnapshotBaseSeconds: number;
  imageFromSnapshotSecondsPerGiB: number;
  /** Snapshots are incremental: a base time plus seconds per GiB changed since the volume's previous snapshot. */
  snapshotBaseSeconds: number;
  snapshotSecondsPerGiB: number;
  /** GiB written per hour on each volume (drives how much an incremental snapshot copies); per instance via admin. */
  changeGiBPerHour: number;
  /** What happens to an image (made of the instance itself) or snapshot still being made when its instance is released (not documented); an image copied from a finished snapshot always completes. */
  imageWhenInstanceReleased: "completes" | "fails";
  /** Volume types CreateSnapshot/CreateSnapshotGroup accept (which types support snapshots is not documented). */
  snapshotVolumeTypes: string[];
  /** Whether the account has whole-instance images (CreateWholeImage is invitation-only). */
  wholeImageEnabled: boolean;
  /** Custom images a region may hold (docs 6396/132240: 50) and the code beyond it (not documented). */
  customImageQuota: number;
  imageQuotaCode: string;
  /** Code answered when there is no spot stock (the real code is not documented). */
  stockOutCode: string;
  /** Zone/instance-type pairs without stock. */
  stockOut: { zoneId: string; instanceTypeId?: string }[];
  /** Hourly spot price per instance type; a SpotWithPriceLimit below it finds no stock. */
  spotPrices: Record<string, number>;
  instanceTypes: Record<string, { cpus: number; memoryMiB: number }>;
  /**
   * Code of a parameter value the model refuses (wrong type, out of range, not in the enum); `{name}`
   * stands for the parameter. ECS's own code is not documented (other Volcengine products answer
   * `InvalidParameter.{name}`); "InvalidParameter" by default.
   */
  invalidParameterCode: string;
  /** Cloud Assistant: emulated seconds until a command starts, and how long it runs. */
  invocationDeliverySeconds: number;
  invocationSeconds: number;
  /** A command script matching this regular expression flushes the guest's page cache to its disks. */
  guestFlushPattern: string;
  /** Codes of missing required parameters other than `MissingParameter`, by `Action.Parameter`. */
  missingParameterCodes: Record<string, string>;
  /**
   * Other regions of the account, each with its own state: a client signing for one of them (the
   * credential scope names the region) and CopyImage's DestinationRegion reach it.
   */
  otherRegions: string[];
  /** Drills: a region outage. Every request signed for this region answers ServiceUnavailableTemp (503, a gateway code in API-NOTES). */
  regionUnavailable: boolean;
  /** CopyImage: a base time plus seconds per GiB of the snapshots copied (no source gives copy times). */
  copyImageBaseSeconds: number;
  copyImageSecondsPerGiB: number;
  /** Drills: copies started now end in status `error` after their copy time (no failure code is documented). */
  copyImageFails: boolean;
  /** Whether CopyImage copies an image's data-volume snapshots too, or only the system disk (no source says). */
  copyImageIncludesDataVolumes: boolean;
  /** Whether CreateImage with SnapshotGroupId carries the group's data-volume snapshots (docs 6396/132240 do not say). */
  groupImageIncludesDataVolumes: boolean;
  /**
   * Auto-snapshot TimePoints are hours of this UTC offset. The EBS docs do not say; FileNAS's
   * CreateAutoSnapshotPolicy (docs 6453/1149752, BytePlus NAS) documents UTC+8.
   */
  autoSnapshotUtcOffsetHours: number;
  /** Seconds after the hour a time point fires (not documented). */
  autoSnapshotDelaySeconds: number;
  /** DeleteAutoSnapshotPolicy of a policy still applied to volumes: cancels it on them, or refuses with `autoSnapshotPolicyInUseCode` (not documented). */
  deleteAppliedPolicy: "cancels" | "refuses";
  autoSnapshotPolicyInUseCode: string;
  /** ApplyAutoSnapshotPolicy to a volume that has another policy (DescribeVolumes shows one per volume): replaces it, or refuses (not documented). */
  applyToVolumeWithPolicy: "replaces" | "refuses";
  volumeHasPolicyCode: string;
  /** DescribeSnapshots SnapshotType of policy and manual snapshots (the model types it as a string; values not documented). */
  autoSnapshotType: string;
  userSnapshotType: string;
}

export function defaultOptions(): VolcengineOptions {
  return {
    region: "cn-beijing",
    zones: ["cn-beijing-a", "cn-beijing-b", "cn-beijing-c"],
    instanceCreateSeconds: 30,
    instanceDeleteSeconds: 10,
    instanceStopSeconds: 15,
    imageSecondsPerGiB: 3,
    imageFromSnapshotBaseSeconds: 20,
    imageFromSnapshotSecondsPerGiB: 0.5,
    snapshotBaseSeconds: 10,
    snapshotSecondsPerGiB: 2,
    changeGiBPerHour: 1,
    imageWhenInstanceReleased: "fails",
    // No source says which types support snapshots; all documented ones do by default (configurable).
    snapshotVolumeTypes: ["ESSD_PL0", "ESSD_FlexPL", "PTSSD"],
    wholeImageEnabled: false,
    customImageQuota: 50,
    imageQuotaCode: "QuotaExceeded.Image",
    stockOutCode: "InsufficientInstanceStock",
    stockOut: [],
    spotPrices: { "ecs.g3il.large": 0.12, "ecs.g3il.xlarge": 0.24, "ecs.g3il.2xlarge": 0.48 },
    instanceTypes: {
      "ecs.g3il.large": { cpus: 2, memoryMiB: 8192 },
      "ecs.g3il.xlarge": { cpus: 4, memoryMiB: 16384 },
      "ecs.g3il.2xlarge": { cpus: 8, memoryMiB: 32768 },
    },
    invalidParameterCode: "InvalidParameter",
    invocationDeliverySeconds: 1,
    invocationSeconds: 3,
    guestFlushPattern: "\\bsync\\b|fsfreeze|checkpoint|FLUSH TABLES",
    // CreateImage's documented error for a missing name (API notes, CreateImage: "MissingParameter.ImageName").
    missingParameterCodes: { "CreateImage.ImageName": "MissingParameter.ImageName" },
    otherRegions: ["cn-shanghai", "cn-guangzhou"],
    regionUnavailable: false,
    copyImageBaseSeconds: 60,
    copyImageSecondsPerGiB: 2,
    copyImageFails: false,
    copyImageIncludesDataVolumes: true,
    groupImageIncludesDataVolumes: true,
    autoSnapshotUtcOffsetHours: 8,
    autoSnapshotDelaySeconds: 0,
    deleteAppliedPolicy: "cancels",
    autoSnapshotPolicyInUseCode: "OperationDenied.AutoSnapshotPolicyInUse",
    applyToVolumeWithPolicy: "replaces",
    volumeHasPolicyCode: "OperationDenied.VolumeHasAutoSnapshotPolicy",
    autoSnapshotType: "auto",
    userSnapshotType: "user",
  };
}

const name = is.string({ nonEmpty: true });
const seconds = is.number({ max: TEN_YEARS_SECONDS });
const perGiB = is.number({ max: 24 * 3600 }); // a day per GiB is already far beyond any real disk
const SETTINGS: Schema<VolcengineOptions> = {
  region: name,
  zones: is.list(name, { min: 1 }),
  instanceCreateSeconds: seconds,
  instanceDeleteSeconds: seconds,
  instanceStopSeconds: seconds,
  imageSecondsPerGiB: perGiB,
  imageFromSnapshotBaseSeconds: seconds,
  imageFromSnapshotSecondsPerGiB: perGiB,
  snapshotBaseSeconds: seconds,
  snapshotSecondsPerGiB: perGiB,
  changeGiBPerHour: is.number({ max: 1_000_000 }),
  imageWhenInstanceReleased: is.oneOf("completes", "fails"),
  snapshotVolumeTypes: is.list(name),
  wholeImageEnabled: is.boolean,
  customImageQuota: is.number({ integer: true, max: 100_000 }),
  imageQuotaCode: name,
  stockOutCode: name,
  stockOut: is.list(is.shape<{ zoneId: string; instanceTypeId?: string }>({ zoneId: name, instanceTypeId: name }, ["instanceTypeId"])),
  spotPrices: is.record(is.number()),
  instanceTypes: is.record(is.shape({ cpus: is.number({ min: 1, integer: true }), memoryMiB: is.number({ min: 1, integer: true }) })),
  invalidParameterCode: name,
  invocationDeliverySeconds: seconds,
  invocationSeconds: seconds,
  guestFlushPattern: is.string({ nonEmpty: true }),
  missingParameterCodes: is.record(name),
  otherRegions: is.list(name),
  regionUnavailable: is.boolean,
  copyImageBaseSeconds: seconds,
  copyImageSecondsPerGiB: perGiB,
  copyImageFails: is.boolean,
  copyImageIncludesDataVolumes: is.boolean,
  groupImageIncludesDataVolumes: is.boolean,
  autoSnapshotUtcOffsetHours: is.number({ min: -12, max: 14, integer: true }),
  autoSnapshotDelaySeconds: is.number({ max: 3599 }),
  deleteAppliedPolicy: is.oneOf("cancels", "refuses"),
  autoSnapshotPolicyInUseCode: name,
  applyToVolumeWithPolicy: is.oneOf("replaces", "refuses"),
  volumeHasPolicyCode: name,
  autoSnapshotType: name,
  userSnapshotType: name,
};

/** Checks a settings patch (admin, or startEmulator's options): known keys, right types and shapes. */
export function validateOptions(patch: unknown): Partial<VolcengineOptions> {
  return validateSettings(patch, SETTINGS);
}

export interface Tag {
  Key: string;
  Value: string;
}

export type Files = Record<string, string>;

export interface Volume {
  VolumeId: string;
  VolumeName: string;
  Kind: "system" | "data";
  VolumeType: string;
  Size: number;
  DeleteWithInstance: boolean;
  ZoneId: string;
  InstanceId?: string;
  SourceSnapshotId?: string;
  ImageId?: string;
  createdAt: number;
  /** Writes in the guest's page cache, not on the disk yet: a snapshot does not see them until a flush. */
  buffered: Files;
  /** When the volume's previous snapshot was taken (incremental snapshots copy what changed since). */
  lastSnapshotAt?: number;
  files: Files;
  /** Per-instance change rate override, GiB per hour. */
  changeGiBPerHour?: number;
  /** The automatic snapshot policy applied to it (DescribeVolumes shows one AutoSnapshotPolicyId per volume). */
  autoSnapshotPolicyId?: string;
}

/** The login credential an instance was launched with (what KeepImageCredential carries over). */
export type Credential = { kind: "password" } | { kind: "keypair"; name: string } | { kind: "none" };

export interface Instance {
  InstanceId: string;
  InstanceName: string;
  Description: string;
  Hostname: string;
  ZoneId: string;
  VpcId: string;
  ImageId: string;
  InstanceTypeId: string;
  InstanceChargeType: string;
  SpotStrategy: string;
  SpotPriceLimit: number;
  ProjectName: string;
  credential: Credential;
  UserData: string;
  SubnetId: string;
  SecurityGroupIds: string[];
  PrimaryIpAddress: string;
  /** Attach order: system first. */
  volumeIds: string[];
  Tags: Tag[];
  createdAt: number;
  updatedAt: number;
  readyAt: number;
  /** STOPPING until stoppedAt; STARTING until startedAt. */
  stopAt?: number;
  stoppedAt?: number;
  startAt?: number;
  startedAt?: number;
  deleteAt?: number; // DeleteInstance called: DELETING until goneAt
  goneAt?: number;
  releaseAt?: number; // spot interruption: released at this time
}

export interface Image {
  ImageId: string;
  ImageName: string;
  Description: string;
  Visibility: "public" | "private";
  OsType: string;
  Platform: string;
  Size: number;
  Tags: Tag[];
  createdAt: number;
  readyAt: number;
  failed: boolean;
  /** A copy that fails: status error from this time on. */
  failsAt?: number;
  /** CopyImage of this image runs until then: DeleteImages answers OperationDenied.ImageIsCopying (API-NOTES "Corrections"). */
  copyingUntil?: number;
  sourceInstanceId?: string;
  /** Copied from a snapshot that was already complete: the instance going away cannot spoil it. */
  fromSnapshot?: boolean;
  credential: Credential;
  /** The snapshots the image consists of (system first). */
  snapshots: { SnapshotId: string; VolumeKind: "system" | "data"; Size: number }[];
  /** The system volume's files; for a whole image, each data volume's too. */
  files: Files;
  dataFiles: Files[];
}

export interface Snapshot {
  SnapshotId: string;
  SnapshotName: string;
  Description: string;
  VolumeId: string;
  VolumeKind: "system" | "data";
  VolumeSize: number;
  VolumeType: string;
  ZoneId: string;
  instanceId?: string;
  groupId?: string;
  Tags: Tag[];
  createdAt: number;
  readyAt: number;
  failed: boolean;
  failsAt?: number;
  files: Files;
  /** Taken by an automatic snapshot policy (DescribeSnapshots SnapshotType), kept RetentionDays (-1: forever). */
  auto?: { policyId: string; retentionDays: number };
}

export interface SnapshotGroup {
  SnapshotGroupId: string;
  Name: string;
  Description: string;
  InstanceId: string;
  snapshotIds: string[];
  Tags: Tag[];
  createdAt: number;
}

/** storage_ebs CreateAutoSnapshotPolicy (volcenginesdkstorageebs 5.0.54 models). */
export interface AutoSnapshotPolicy extends Schedule {
  AutoSnapshotPolicyId: string;
  AutoSnapshotPolicyName: string;
  ProjectName: string;
  RetentionDays: number;
  Tags: Tag[];
  createdAt: number;
  updatedAt: number;
  /** Firings up to this time have been taken (lazy evaluation on the clock). */
  evaluatedUpTo: number;
}

export interface SystemEvent {
  Id: string;
  ResourceId: string;
  Type: string;
  Category: string;
  ImpactLevel: string;
  createdAt: number;
  releaseAt: number;
  /** An object of strings (the model's dict(str, str)); which keys the cloud sets for this event is not documented. */
  ExtraInfo: Record<string, string>;
}

export interface Subnet {
  SubnetId: string;
  ZoneId: string;
  VpcId: string;
  cidrPrefix: string;
  nextHost: number;
}

const id = (prefix: string) => `${prefix}-${randomBytes(10).toString("hex").slice(0, 20)}`;

/** The spot event type: the API's Types enum knows only this spelling (volcengine-go-sdk service/ecs). */
export const SPOT_EVENT_TYPE = "SpotInstanceInterruption_Delete";
/** Instances carry a tag of the cloud's own (API-NOTES "Corrections": volc:/sys: keys may appear in DescribeInstances). */
export const SYSTEM_TAG: Tag = { Key: "volc:ecs:launch-source", Value: "openapi" };

export class VolcengineModel {
  opts: VolcengineOptions;
  instances = new Map<string, Instance>();
  volumes = new Map<string, Volume>();
  images = new Map<string, Image>();
  snapshots = new Map<string, Snapshot>();
  groups = new Map<string, SnapshotGroup>();
  events = new Map<string, SystemEvent>();
  policies = new Map<string, AutoSnapshotPolicy>();
  subnets = new Map<string, Subnet>();
  securityGroups = new Set<string>();
  /** Cloud Assistant and what runs in the guest (guest.ts). */
  readonly guest: GuestModel;

  private readonly initial: Partial<VolcengineOptions>;

  constructor(
    private readonly clock: Clock,
    initial: Partial<VolcengineOptions> = {},
  ) {
    this.initial = validateOptions(initial);
    this.opts = { ...defaultOptions(), ...this.initial };
    this.guest = new GuestModel(clock, () => this.opts, (instanceId) => this.flushGuest(instanceId));
    this.seed();
  }

  reset(): void {
    this.opts = { ...defaultOptions(), ...this.initial };
    for (const m of [this.instances, this.volumes, this.images, this.snapshots, this.groups, this.events, this.policies, this.subnets]) m.clear();
    this.securityGroups.clear();
    this.tokens.clear();
    this.guest.reset();
    this.seed();
  }

  private seed(): void {
    const now = this.clock.now();
    for (const [ImageId, Platform] of [
      ["image-ubuntu2204-emu", "Ubuntu"],
      ["image-debian12-emu", "Debian"],
      ["image-centos7-emu", "CentOS"],
    ]) {
      this.images.set(ImageId, { ImageId, ImageName: `${Platform} public`, Description: "", Visibility: "public", OsType: "Linux", Platform, Size: 20, Tags: [], createdAt: now, readyAt: now, failed: false, credential: { kind: "none" }, snapshots: [], files: {}, dataFiles: [] });
    }
    this.opts.zones.forEach((zone, i) => this.addSubnet({ SubnetId: `subnet-emu-${zone}`, ZoneId: zone, cidrPrefix: `172.16.${i + 1}` }));
    this.securityGroups.add("sg-emu-default");
  }

  addSubnet(s: { SubnetId: string; ZoneId: string; cidrPrefix?: string; VpcId?: string }): void {
    this.subnets.set(s.SubnetId, { SubnetId: s.SubnetId, ZoneId: s.ZoneId, VpcId: s.VpcId ?? "vpc-emu-default", cidrPrefix: s.cidrPrefix ?? `172.17.${this.subnets.size + 1}`, nextHost: 10 });
  }

  /** Another region of the account (CopyImage's destination); set by the service that holds every region. */
  peer: (region: string) => VolcengineModel | undefined = () => undefined;

  /** Applies every transition due by now. Called before each request and admin read. */
  settle(): void {
    this.guest.settle();
    const now = this.clock.now();
    // Policy snapshots first: one due before a release is taken of the volume as it was then.
    this.runAutoSnapshots(now);
    for (const inst of [...this.instances.values()]) {
      if (inst.releaseAt !== undefined && now >= inst.releaseAt) this.release(inst.InstanceId, inst.releaseAt);
      else if (inst.goneAt !== undefined && now >= inst.goneAt) this.dropInstance(inst);
    }
  }

  // ---- instances -------------------------------------------------------------------------------

  instanceStatus(inst: Instance): string {
    const now = this.clock.now();
    if (inst.deleteAt !== undefined) return "DELETING";
    if (now < inst.readyAt) return "CREATING";
    if (inst.stopAt !== undefined) return now < inst.stoppedAt! ? "STOPPING" : "STOPPED";
    if (inst.startAt !== undefined && now < inst.startedAt!) return "STARTING";
    return "RUNNING";
  }

  getInstance(instanceId: string): Instance {
    const inst = this.instances.get(instanceId);
    if (!inst) throw instanceNotFound(instanceId);
    return inst;
  }

  /** The guest's page cache reaches its disks (a flushing Cloud Assistant command ended). */
  private flushGuest(instanceId: string): boolean {
    const inst = this.instances.get(instanceId);
    if (!inst) return false;
    for (const v of this.volumesOf(inst)) {
      Object.assign(v.files, v.buffered);
      v.buffered = {};
    }
    return true;
  }

  volumesOf(inst: Instance): Volume[] {
    return inst.volumeIds.map((v) => this.volumes.get(v)!).filter(Boolean);
  }

  systemVolume(inst: Instance): Volume {
    return this.volumesOf(inst).find((v) => v.Kind === "system")!;
  }

  runInstance(req: {
    ZoneId: string;
    ImageId: string;
    InstanceTypeId: string;
    InstanceName: string;
    Description?: string;
    Hostname?: string;
    SpotStrategy: string;
    SpotPriceLimit?: number;
    KeyPairName?: string;
    Password?: string;
    KeepImageCredential: boolean;
    UserData?: string;
    ProjectName?: string;
    SubnetId: string;
    SecurityGroupIds: string[];
    PrimaryIpAddress?: string;
    Volumes: { VolumeType: string; Size?: number; DeleteWithInstance?: boolean; SnapshotId?: string }[];
    Tags: Tag[];
    InstanceChargeType: string;
  }): Instance {
    if (!this.opts.zones.includes(req.ZoneId)) throw new ApiError("InvalidZone.NotFound", 404, `The zone ${req.ZoneId} does not exist in region ${this.opts.region}.`);
    const image = this.images.get(req.ImageId);
    if (!image) throw imageNotFound(req.ImageId);
    if (this.imageStatus(image) !== "available") throw imageStatus(req.ImageId, this.imageStatus(image));
    // Own keys only: an InstanceTypeId of "constructor" is just an unknown type.
    const type = Object.hasOwn(this.opts.instanceTypes, req.InstanceTypeId) ? this.opts.instanceTypes[req.InstanceTypeId] : undefined;
    if (!type) throw new ApiError("InvalidInstanceType.NotFound", 404, `The instance type ${req.InstanceTypeId} does not exist.`);
    const subnet = this.subnets.get(req.SubnetId);
    if (!subnet) throw new ApiError("InvalidSubnet.NotFound", 404, `The subnet ${req.SubnetId} does not exist.`);
    if (subnet.ZoneId !== req.ZoneId) throw invalidParameter("NetworkInterfaces.1.SubnetId", `the subnet ${req.SubnetId} is in ${subnet.ZoneId}, not in ${req.ZoneId}`);
    for (const sg of req.SecurityGroupIds) if (!this.securityGroups.has(sg)) throw new ApiError("InvalidSecurityGroup.NotFound", 404, `The security group ${sg} does not exist.`);
    // The system volume defaults to max(40, image size) and may not be smaller than the image (API-NOTES "Corrections").
    const [system, ...data] = req.Volumes.length ? req.Volumes : [{ VolumeType: "ESSD_PL0" }];
    const systemSize = system.Size ?? Math.max(40, image.Size);
    if (systemSize < image.Size) throw invalidParameter("Volumes.1.Size", `the system volume (${systemSize} GiB) is smaller than the image (${image.Size} GiB)`);
    if (system.SnapshotId) throw invalidParameter("Volumes.1.SnapshotId", "the system volume comes from the image");
    const dataSnapshots = data.map((v, i) => {
      if (!v.SnapshotId) return undefined;
      const snap = this.snapshots.get(v.SnapshotId);
      if (!snap) throw new ApiError("InvalidSnapshot.NotFound", 404, `The snapshot ${v.SnapshotId} (Volumes.${i + 2}.SnapshotId) does not exist.`);
      if (this.snapshotStatus(snap) !== "available") throw new ApiError("InvalidSnapshotStatus", 400, `The snapshot ${v.SnapshotId} is ${this.snapshotStatus(snap)}, not available.`);
      if ((v.Size ?? snap.VolumeSize) < snap.VolumeSize) throw invalidParameter(`Volumes.${i + 2}.Size`, `it may not be smaller than the snapshot (${snap.VolumeSize} GiB)`);
      return snap;
    });
    if (req.SpotStrategy !== "NoSpot") {
      const out = this.opts.stockOut.some((s) => s.zoneId === req.ZoneId && (!s.instanceTypeId || s.instanceTypeId === req.InstanceTypeId));
      const price = Object.hasOwn(this.opts.spotPrices, req.InstanceTypeId) ? this.opts.spotPrices[req.InstanceTypeId] : 0.1;
      if (out) throw new ApiError(this.opts.stockOutCode, 400, `There is no spot stock of ${req.InstanceTypeId} in ${req.ZoneId}.`);
      if (req.SpotStrategy === "SpotWithPriceLimit" && (req.SpotPriceLimit ?? 0) < price)
        throw new ApiError(this.opts.stockOutCode, 400, `The spot price of ${req.InstanceTypeId} in ${req.ZoneId} is ${price}, above the limit ${req.SpotPriceLimit}.`);
    }
    this.checkTagsToCreate(req.Tags, 0);
    const now = this.clock.now();
    const InstanceId = id("i");
    const ip = req.PrimaryIpAddress ?? `${subnet.cidrPrefix}.${subnet.nextHost++}`;
    // The login credential: a password, a key pair, the custom image's own (KeepImageCredential), or none.
    const credential: Credential = req.Password
      ? { kind: "password" }
      : req.KeyPairName
        ? { kind: "keypair", name: req.KeyPairName }
        : req.KeepImageCredential && image.Visibility === "private"
          ? image.credential
          : { kind: "none" };
    const volume = (kind: "system" | "data", v: { VolumeType: string; DeleteWithInstance?: boolean }, size: number, files: Files, snap?: Snapshot): Volume => {
      const vol: Volume = { VolumeId: id("vol"), VolumeName: "", Kind: kind, VolumeType: v.VolumeType, Size: size, DeleteWithInstance: kind === "system" ? true : v.DeleteWithInstance !== false, ZoneId: req.ZoneId, InstanceId, SourceSnapshotId: snap?.SnapshotId, ImageId: kind === "system" ? image.ImageId : undefined, createdAt: now, files: { ...files }, buffered: {} };
      this.volumes.set(vol.VolumeId, vol);
      return vol;
    };
    const vols = [
      volume("system", system, systemSize, image.files),
      ...data.map((v, i) => volume("data", v, v.Size ?? dataSnapshots[i]?.VolumeSize ?? 40, dataSnapshots[i]?.files ?? image.dataFiles[i] ?? {}, dataSnapshots[i])),
    ];
    const inst: Instance = {
      InstanceId,
      InstanceName: req.InstanceName,
      Description: req.Description ?? "",
      Hostname: req.Hostname ?? `iv-${InstanceId.slice(2, 12)}`,
      ZoneId: req.ZoneId,
      VpcId: subnet.VpcId,
      ImageId: req.ImageId,
      InstanceTypeId: req.InstanceTypeId,
      InstanceChargeType: req.InstanceChargeType,
      SpotStrategy: req.SpotStrategy,
      SpotPriceLimit: req.SpotPriceLimit ?? 0,
      ProjectName: req.ProjectName ?? "default",
      credential,
      UserData: req.UserData ?? "",
      SubnetId: req.SubnetId,
      SecurityGroupIds: req.SecurityGroupIds,
      PrimaryIpAddress: ip,
      volumeIds: vols.map((v) => v.VolumeId),
      Tags: [...req.Tags, { ...SYSTEM_TAG }],
      createdAt: now,
      updatedAt: now,
      readyAt: now + this.opts.instanceCreateSeconds * 1000,
    };
    this.instances.set(InstanceId, inst);
    return inst;
  }

  deleteInstance(instanceId: string): void {
    const inst = this.getInstance(instanceId);
    const status = this.instanceStatus(inst);
    if (status === "CREATING") throw instanceStatus(instanceId, status, "DeleteInstance");
    if (status === "DELETING") return;
    const now = this.clock.now();
    inst.deleteAt = now;
    inst.goneAt = now + this.opts.instanceDeleteSeconds * 1000;
    inst.updatedAt = now;
  }

  stopInstance(instanceId: string): void {
    const inst = this.getInstance(instanceId);
    const status = this.instanceStatus(inst);
    if (status === "STOPPED" || status === "STOPPING") return;
    if (status !== "RUNNING") throw instanceStatus(instanceId, status, "StopInstance");
    const now = this.clock.now();
    inst.stopAt = now;
    inst.stoppedAt = now + this.opts.instanceStopSeconds * 1000;
    inst.startAt = inst.startedAt = undefined;
  }

  startInstance(instanceId: string): void {
    const inst = this.getInstance(instanceId);
    const status = this.instanceStatus(inst);
    if (status === "RUNNING" || status === "STARTING") return;
    if (status !== "STOPPED") throw instanceStatus(instanceId, status, "StartInstance");
    const now = this.clock.now();
    inst.stopAt = inst.stoppedAt = undefined;
    inst.startAt = now;
    inst.startedAt = now + this.opts.instanceStopSeconds * 1000;
  }

  /** The instance vanishes (spot release, or removed behind Pulumi's back); volumes that go with it are lost. */
  release(instanceId: string, at = this.clock.now()): void {
    const inst = this.getInstance(instanceId);
    if (this.opts.imageWhenInstanceReleased === "fails") {
      // An image copied from a finished snapshot reads the snapshot, not the instance's disk: it completes.
      for (const img of this.images.values()) if (img.sourceInstanceId === instanceId && !img.fromSnapshot && at < img.readyAt) img.failed = true;
      for (const snap of this.snapshots.values()) if (snap.instanceId === instanceId && at < snap.readyAt) snap.failed = true;
    }
    this.dropInstance(inst);
  }

  private dropInstance(inst: Instance): void {
    for (const v of this.volumesOf(inst)) {
      if (v.DeleteWithInstance) this.volumes.delete(v.VolumeId);
      else v.InstanceId = undefined;
    }
    this.instances.delete(inst.InstanceId);
  }

  /** Emulated GiB changed on a volume since its previous snapshot (all of it for a first snapshot). */
  changedGiB(vol: Volume, at = this.clock.now()): number {
    if (vol.lastSnapshotAt === undefined) return vol.Size;
    const rate = vol.changeGiBPerHour ?? this.opts.changeGiBPerHour;
    return Math.min(vol.Size, (rate * Math.max(0, at - vol.lastSnapshotAt)) / 3_600_000);
  }

  // ---- images -------------------------------------------------------------------------------

  imageStatus(img: Image): "creating" | "available" | "error" {
    const now = this.clock.now();
    if (img.failed || (img.failsAt !== undefined && now >= img.failsAt)) return "error";
    return now < img.readyAt ? "creating" : "available";
  }

  checkImageQuota(): void {
    const held = [...this.images.values()].filter((i) => i.Visibility === "private").length;
    if (held >= this.opts.customImageQuota) throw new ApiError(this.opts.imageQuotaCode, 400, `The region holds ${held} custom images, the quota of ${this.opts.customImageQuota}.`);
  }

  /** CreateImage takes exactly one of InstanceId, SnapshotId, SnapshotGroupId (docs 6396/132240). */
  createImage(req: { InstanceId?: string; SnapshotId?: string; SnapshotGroupId?: string; CreateWholeImage: boolean; ImageName: string; Description?: string; Tags: Tag[] }): Image {
    const sources = [req.InstanceId, req.SnapshotId, req.SnapshotGroupId].filter(Boolean).length;
    if (sources !== 1) throw invalidParameter("InstanceId", "exactly one of InstanceId, SnapshotId and SnapshotGroupId is required");
    this.checkTagsToCreate(req.Tags, 0);
    this.checkImageQuota();
    const now = this.clock.now();
    const base = { ImageId: id("image"), ImageName: req.ImageName, Description: req.Description ?? "", Visibility: "private" as const, Tags: req.Tags, createdAt: now, failed: false };
    let img: Image;
    if (req.InstanceId) {
      const inst = this.getInstance(req.InstanceId);
      const status = this.instanceStatus(inst);
      if (status !== "RUNNING" && status !== "STOPPED") throw instanceStatus(req.InstanceId, status, "CreateImage");
      const vols = this.volumesOf(inst);
      // An instance on PTSSD (performance SSD) disks must be stopped first (docs 6396/132240).
      if (status !== "STOPPED" && vols.some((v) => v.VolumeType === "PTSSD")) throw instanceStatus(req.InstanceId, status, "CreateImage of an instance on PTSSD disks (stop it first)");
      if (req.CreateWholeImage && !this.opts.wholeImageEnabled) throw new ApiError("OperationDenied.WholeImage", 403, "Whole-instance images are in invitation-only testing and not enabled for this account.");
      const sys = vols.find((v) => v.Kind === "system")!;
      const data = req.CreateWholeImage ? vols.filter((v) => v.Kind === "data") : [];
      const src = this.images.get(inst.ImageId);
      const size = sys.Size + data.reduce((s, v) => s + v.Size, 0);
      img = {
        ...base,
        OsType: src?.OsType ?? "Linux",
        Platform: src?.Platform ?? "Ubuntu",
        Size: sys.Size,
        readyAt: now + size * this.opts.imageSecondsPerGiB * 1000,
        sourceInstanceId: inst.InstanceId,
        credential: inst.credential,
        snapshots: [sys, ...data].map((v) => ({ SnapshotId: id("snap"), VolumeKind: v.Kind, Size: v.Size })),
        files: { ...sys.files },
        dataFiles: data.map((v) => ({ ...v.files })),
      };
    } else {
      const snap = req.SnapshotId ? this.getSnapshot(req.SnapshotId) : this.systemSnapshotOfGroup(req.SnapshotGroupId!);
      if (snap.VolumeKind !== "system") throw invalidParameter("SnapshotId", "an image is made from a system-volume snapshot");
      // An image of a snapshot group ("使用快照一致性组创建自定义镜像", docs 6396/132240) may carry the data
      // volumes' snapshots too (DescribeImages Images[].Snapshots[] has VolumeKind); no source confirms it.
      const data = req.SnapshotGroupId && this.opts.groupImageIncludesDataVolumes ? this.getGroup(req.SnapshotGroupId).snapshotIds.map((s) => this.getSnapshot(s)).filter((s) => s.VolumeKind === "data") : [];
      for (const s of [snap, ...data]) if (this.snapshotStatus(s) !== "available") throw new ApiError("InvalidSnapshotStatus", 400, `The snapshot ${s.SnapshotId} is ${this.snapshotStatus(s)}, not available.`);
      const inst = snap.instanceId ? this.instances.get(snap.instanceId) : undefined;
      const srcImage = inst ? this.images.get(inst.ImageId) : undefined;
      const size = [snap, ...data].reduce((n, s) => n + s.VolumeSize, 0);
      img = {
        ...base,
        OsType: srcImage?.OsType ?? "Linux",
        Platform: srcImage?.Platform ?? "Ubuntu",
        Size: snap.VolumeSize,
        readyAt: now + (this.opts.imageFromSnapshotBaseSeconds + size * this.opts.imageFromSnapshotSecondsPerGiB) * 1000,
        sourceInstanceId: snap.instanceId,
        fromSnapshot: true,
        credential: this.snapshotCredential.get(snap.SnapshotId) ?? { kind: "none" },
        snapshots: [snap, ...data].map((s) => ({ SnapshotId: s.SnapshotId, VolumeKind: s.VolumeKind, Size: s.VolumeSize })),
        files: { ...snap.files },
        dataFiles: data.map((s) => ({ ...s.files })),
      };
    }
    this.images.set(img.ImageId, img);
    return img;
  }

  deleteImage(imageId: string, deleteSnapshots: boolean): void {
    const img = this.images.get(imageId);
    if (!img || img.Visibility === "public") throw imageNotFound(imageId);
    if (this.imageStatus(img) === "creating") throw imageStatus(imageId, "creating");
    // DeleteImages' per-item code while a copy of the image runs (API-NOTES "Corrections", docs 6396/120265).
    if (img.copyingUntil !== undefined && this.clock.now() < img.copyingUntil) throw new ApiError("OperationDenied.ImageIsCopying", 400, `The image ${imageId} is being copied to another region.`);
    this.images.delete(imageId);
    if (deleteSnapshots) for (const s of img.snapshots) if (!this.snapshots.get(s.SnapshotId)?.groupId) this.snapshots.delete(s.SnapshotId);
  }

  // ---- snapshots -------------------------------------------------------------------------------

  /** The credential of the instance a system snapshot was taken of (an image made of it keeps it). */
  private readonly snapshotCredential = new Map<string, Credential>();

  snapshotStatus(s: Snapshot): "creating" | "available" | "failed" {
    const now = this.clock.now();
    if (s.failed || (s.failsAt !== undefined && now >= s.failsAt)) return "failed";
    return now < s.readyAt ? "creating" : "available";
  }

  getSnapshot(snapshotId: string): Snapshot {
    const s = this.snapshots.get(snapshotId);
    if (!s) throw snapshotNotFound(snapshotId);
    return s;
  }

  getVolume(volumeId: string): Volume {
    const v = this.volumes.get(volumeId);
    if (!v) throw volumeNotFound(volumeId);
    return v;
  }

  /** A point-in-time copy of the volume's files; its duration is incremental (what changed since the last one). */
  createSnapshot(req: { VolumeId: string; SnapshotName: string; Description?: string; Tags: Tag[]; groupId?: string; at?: number; auto?: Snapshot["auto"] }): Snapshot {
    const vol = this.getVolume(req.VolumeId);
    if (!this.opts.snapshotVolumeTypes.includes(vol.VolumeType)) throw new ApiError("OperationDenied.UnsupportedVolumeType", 400, `Volumes of type ${vol.VolumeType} do not support snapshots.`);
    const inst = vol.InstanceId ? this.instances.get(vol.InstanceId) : undefined;
    if (inst && !["RUNNING", "STOPPED"].includes(this.instanceStatus(inst))) throw instanceStatus(inst.InstanceId, this.instanceStatus(inst), "CreateSnapshot");
    this.checkTagsToCreate(req.Tags, 0);
    const now = req.at ?? this.clock.now();
    const changed = this.changedGiB(vol, now);
    const snap: Snapshot = {
      SnapshotId: id("snap"),
      SnapshotName: req.SnapshotName,
      Description: req.Description ?? "",
      VolumeId: vol.VolumeId,
      VolumeKind: vol.Kind,
      VolumeSize: vol.Size,
      VolumeType: vol.VolumeType,
      ZoneId: vol.ZoneId,
      instanceId: vol.InstanceId,
      groupId: req.groupId,
      Tags: req.Tags,
      createdAt: now,
      readyAt: now + (this.opts.snapshotBaseSeconds + changed * this.opts.snapshotSecondsPerGiB) * 1000,
      failed: false,
      files: { ...vol.files },
      ...(req.auto ? { auto: req.auto } : {}),
    };
    vol.lastSnapshotAt = now;
    if (inst && vol.Kind === "system") this.snapshotCredential.set(snap.SnapshotId, inst.credential);
    this.snapshots.set(snap.SnapshotId, snap);
    return snap;
  }

  /** One consistent snapshot of each listed volume of one instance (CreateSnapshotGroup, docs 6396/1214844). */
  createSnapshotGroup(req: { VolumeIds: string[]; InstanceId?: string; Name: string; Description?: string; Tags: Tag[] }): SnapshotGroup {
    if (req.VolumeIds.length < 1 || req.VolumeIds.length > 16) throw invalidParameter("VolumeIds", "1 to 16 volumes");
    const vols = req.VolumeIds.map((v) => this.getVolume(v));
    const owners = new Set(vols.map((v) => v.InstanceId));
    if (owners.size !== 1 || [...owners][0] === undefined) throw invalidParameter("VolumeIds", "the volumes must be attached, all to the same instance");
    const instanceId = [...owners][0]!;
    if (req.InstanceId && req.InstanceId !== instanceId) throw invalidParameter("InstanceId", `the volumes are attached to ${instanceId}`);
    this.checkTagsToCreate(req.Tags, 0);
    // All or nothing: check every volume before any snapshot starts.
    for (const v of vols) if (!this.opts.snapshotVolumeTypes.includes(v.VolumeType)) throw new ApiError("OperationDenied.UnsupportedVolumeType", 400, `Volumes of type ${v.VolumeType} do not support snapshots.`);
    const group: SnapshotGroup = { SnapshotGroupId: id("ssg"), Name: req.Name, Description: req.Description ?? "", InstanceId: instanceId, snapshotIds: [], Tags: req.Tags, createdAt: this.clock.now() };
    group.snapshotIds = vols.map((v) => this.createSnapshot({ VolumeId: v.VolumeId, SnapshotName: `${req.Name}-${v.Kind}`, Tags: [], groupId: group.SnapshotGroupId }).SnapshotId);
    this.groups.set(group.SnapshotGroupId, group);
    return group;
  }

  getGroup(groupId: string): SnapshotGroup {
    const g = this.groups.get(groupId);
    if (!g) throw snapshotGroupNotFound(groupId);
    return g;
  }

  groupStatus(g: SnapshotGroup): "creating" | "available" | "failed" {
    const states = g.snapshotIds.map((s) => (this.snapshots.has(s) ? this.snapshotStatus(this.snapshots.get(s)!) : "failed"));
    if (states.includes("failed")) return "failed";
    return states.includes("creating") ? "creating" : "available";
  }

  private systemSnapshotOfGroup(groupId: string): Snapshot {
    const g = this.getGroup(groupId);
    const sys = g.snapshotIds.map((s) => this.snapshots.get(s)).find((s) => s?.VolumeKind === "system");
    if (!sys) throw invalidParameter("SnapshotGroupId", "the group has no system-volume snapshot");
    return sys;
  }

  deleteSnapshot(snapshotId: string): void {
    const s = this.getSnapshot(snapshotId);
    if (this.snapshotStatus(s) === "creating") throw new ApiError("InvalidSnapshotStatus", 400, `The snapshot ${snapshotId} is still being created.`);
    if ([...this.images.values()].some((i) => i.snapshots.some((x) => x.SnapshotId === snapshotId))) throw new ApiError("OperationDenied.SnapshotInUse", 400, `The snapshot ${snapshotId} is used by an image.`);
    this.snapshots.delete(snapshotId);
  }

  deleteSnapshotGroup(groupId: string): void {
    const g = this.getGroup(groupId);
    if (this.groupStatus(g) === "creating") throw new ApiError("InvalidSnapshotGroupStatus", 400, `The snapshot group ${groupId} is still being created.`);
    for (const s of g.snapshotIds) {
      if ([...this.images.values()].some((i) => i.snapshots.some((x) => x.SnapshotId === s))) throw new ApiError("OperationDenied.SnapshotInUse", 400, `The snapshot ${s} of group ${groupId} is used by an image: delete the image first.`);
    }
    for (const s of g.snapshotIds) this.snapshots.delete(s);
    this.groups.delete(groupId);
  }

  // ---- automatic snapshot policies (storage_ebs) ---------------------------------------------

  getPolicy(policyId: string): AutoSnapshotPolicy {
    const p = this.policies.get(policyId);
    if (!p) throw new ApiError("InvalidAutoSnapshotPolicy.NotFound", 404, `The specified auto snapshot policy ${policyId} does not exist.`);
    return p;
  }

  /** The volumes a policy is applied to (DescribeAutoSnapshotPolicy VolumeNums counts them). */
  policyVolumes(policyId: string): Volume[] {
    return [...this.volumes.values()].filter((v) => v.autoSnapshotPolicyId === policyId);
  }

  createPolicy(req: { AutoSnapshotPolicyName: string; ProjectName?: string; TimePoints: number[]; RepeatWeekdays: number[]; RepeatDays?: number; RetentionDays: number; Tags: Tag[] }): AutoSnapshotPolicy {
    this.checkTagsToCreate(req.Tags, 0);
    const now = this.clock.now();
    const policy: AutoSnapshotPolicy = {
      AutoSnapshotPolicyId: id("asp"),
      AutoSnapshotPolicyName: req.AutoSnapshotPolicyName,
      ProjectName: req.ProjectName ?? "default",
      timePoints: req.TimePoints,
      repeatWeekdays: req.RepeatWeekdays,
      repeatDays: req.RepeatDays,
      anchor: now,
      RetentionDays: req.RetentionDays,
      Tags: req.Tags,
      createdAt: now,
      updatedAt: now,
      evaluatedUpTo: now,
    };
    this.policies.set(policy.AutoSnapshotPolicyId, policy);
    return policy;
  }

  /** ModifyAutoSnapshotPolicy: only the fields sent change; a new schedule counts its days from now. */
  modifyPolicy(policyId: string, req: { AutoSnapshotPolicyName?: string; TimePoints?: number[]; RepeatWeekdays?: number[]; RepeatDays?: number; RetentionDays?: number }): void {
    const p = this.getPolicy(policyId);
    const now = this.clock.now();
    if (req.AutoSnapshotPolicyName !== undefined) p.AutoSnapshotPolicyName = req.AutoSnapshotPolicyName;
    if (req.TimePoints !== undefined) p.timePoints = req.TimePoints;
    // One of weekdays or days (terraform's ExactlyOneOf): sending one replaces the other.
    if (req.RepeatWeekdays !== undefined && req.RepeatWeekdays.length) {
      p.repeatWeekdays = req.RepeatWeekdays;
      p.repeatDays = undefined;
    }
    if (req.RepeatDays !== undefined) {
      p.repeatDays = req.RepeatDays;
      p.repeatWeekdays = [];
      p.anchor = now;
    }
    if (req.RetentionDays !== undefined) p.RetentionDays = req.RetentionDays;
    p.updatedAt = now;
  }

  applyPolicy(policyId: string, volumeIds: string[]): void {
    this.getPolicy(policyId);
    const vols = volumeIds.map((v) => this.getVolume(v));
    // All or nothing: a refusal leaves every volume as it was.
    if (this.opts.applyToVolumeWithPolicy === "refuses") {
      const taken = vols.find((v) => v.autoSnapshotPolicyId && v.autoSnapshotPolicyId !== policyId);
      if (taken) throw new ApiError(this.opts.volumeHasPolicyCode, 400, `The volume ${taken.VolumeId} already has the auto snapshot policy ${taken.autoSnapshotPolicyId}.`);
    }
    for (const v of vols) v.autoSnapshotPolicyId = policyId;
  }

  cancelPolicy(policyId: string, volumeIds: string[]): void {
    this.getPolicy(policyId);
    const vols = volumeIds.map((v) => this.getVolume(v));
    for (const v of vols) if (v.autoSnapshotPolicyId === policyId) v.autoSnapshotPolicyId = undefined;
  }

  deletePolicy(policyId: string): void {
    this.getPolicy(policyId);
    const applied = this.policyVolumes(policyId);
    if (applied.length && this.opts.deleteAppliedPolicy === "refuses") throw new ApiError(this.opts.autoSnapshotPolicyInUseCode, 400, `The auto snapshot policy ${policyId} is still applied to ${applied.length} volume(s): cancel it first.`);
    for (const v of applied) v.autoSnapshotPolicyId = undefined;
    this.policies.delete(policyId);
    // Snapshots already taken are kept, with their retention (Alibaba's DeleteAutoSnapshotPolicy does the
    // same; Volcengine does not say).
  }

  /**
   * Every policy's time points passed since the last settle: a snapshot of each applied volume as of that
   * time (skipped while the volume's previous snapshot is still being made — FileNAS documents this for
   * its policies, BytePlus NAS CreateAutoSnapshotPolicy; EBS does not say), then expiry of policy
   * snapshots past their RetentionDays (-1: kept forever; terraform's retention_days doc).
   */
  private runAutoSnapshots(now: number): void {
    const due: { at: number; policy: AutoSnapshotPolicy }[] = [];
    for (const p of this.policies.values()) {
      for (const at of firings(p, p.evaluatedUpTo, now, { utcOffsetHours: this.opts.autoSnapshotUtcOffsetHours, delaySeconds: this.opts.autoSnapshotDelaySeconds })) due.push({ at, policy: p });
      p.evaluatedUpTo = now;
    }
    due.sort((a, b) => a.at - b.at);
    for (const { at, policy } of due) {
      this.expireAutoSnapshots(at);
      for (const vol of this.policyVolumes(policy.AutoSnapshotPolicyId)) {
        const inst = vol.InstanceId ? this.instances.get(vol.InstanceId) : undefined;
        // Gone by then (released, deleted), or not yet running: nothing to snapshot.
        if (inst && ((inst.releaseAt !== undefined && inst.releaseAt <= at) || (inst.goneAt !== undefined && inst.goneAt <= at) || inst.readyAt > at)) continue;
        const busy = [...this.snapshots.values()].some((s) => s.VolumeId === vol.VolumeId && s.createdAt <= at && s.readyAt > at && !s.failed);
        if (busy) continue;
        try {
          const snap = this.createSnapshot({ VolumeId: vol.VolumeId, SnapshotName: `auto-${policy.AutoSnapshotPolicyName}-${new Date(at).toISOString().slice(0, 13)}`, Tags: [], at, auto: { policyId: policy.AutoSnapshotPolicyId, retentionDays: policy.RetentionDays } });
          if (inst && vol.Kind === "system") this.snapshotCredential.set(snap.SnapshotId, inst.credential);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e; // a volume type without snapshots, an instance mid-transition: skipped
        }
      }
    }
    this.expireAutoSnapshots(now);
  }

  /** Policy snapshots past their retention go; one an image still uses stays (not documented). */
  private expireAutoSnapshots(at: number): void {
    for (const s of [...this.snapshots.values()]) {
      if (!s.auto || s.auto.retentionDays < 0 || s.createdAt + s.auto.retentionDays * 86_400_000 > at) continue;
      if ([...this.images.values()].some((i) => i.snapshots.some((x) => x.SnapshotId === s.SnapshotId))) continue;
      this.snapshots.delete(s.SnapshotId);
    }
  }

  // ---- copies to other regions ---------------------------------------------------------------

  /**
   * CopyImage (volcenginesdkecs CopyImageRequest: ImageId, ImageName, DestinationRegion, CopyImageTags,
   * Description, ProjectName, Tags): a new image in the destination region's state, `creating` until the
   * copy time passes (settings), with a copy of each snapshot it carries (the system disk only unless
   * `copyImageIncludesDataVolumes`).
   */
  copyImage(req: { ImageId: string; ImageName: string; DestinationRegion: string; Description?: string; CopyImageTags: boolean; Tags: Tag[] }): Image {
    const src = this.images.get(req.ImageId);
    if (!src || src.Visibility === "public") throw imageNotFound(req.ImageId);
    if (this.imageStatus(src) !== "available") throw imageStatus(req.ImageId, this.imageStatus(src));
    const dest = this.peer(req.DestinationRegion);
    if (!dest) throw invalidParameter("DestinationRegion", `${req.DestinationRegion} is not a region of this account`);
    dest.settle();
    const tags = [...req.Tags, ...(req.CopyImageTags ? src.Tags.filter((t) => !req.Tags.some((x) => x.Key === t.Key)) : [])];
    dest.checkTagsToCreate(tags, 0);
    dest.checkImageQuota();
    const now = this.clock.now();
    const carried = src.snapshots.filter((s) => s.VolumeKind === "system" || this.opts.copyImageIncludesDataVolumes);
    const readyAt = now + (this.opts.copyImageBaseSeconds + carried.reduce((n, s) => n + s.Size, 0) * this.opts.copyImageSecondsPerGiB) * 1000;
    const failsAt = this.opts.copyImageFails ? readyAt : undefined;
    let dataIndex = 0;
    const snapshots = carried.map((s) => {
      const from = this.snapshots.get(s.SnapshotId);
      const files = s.VolumeKind === "system" ? src.files : src.dataFiles[dataIndex++] ?? {};
      const copy: Snapshot = {
        SnapshotId: id("snap"),
        SnapshotName: `copy-of-${s.SnapshotId}`,
        Description: `Copied from ${s.SnapshotId} in ${this.opts.region} with image ${src.ImageId}`,
        VolumeId: "",
        VolumeKind: s.VolumeKind,
        VolumeSize: s.Size,
        VolumeType: from?.VolumeType ?? "ESSD_PL0",
        ZoneId: "",
        Tags: [],
        createdAt: now,
        readyAt,
        failed: false,
        failsAt,
        files: { ...files },
      };
      dest.snapshots.set(copy.SnapshotId, copy);
      return { SnapshotId: copy.SnapshotId, VolumeKind: s.VolumeKind, Size: s.Size };
    });
    const img: Image = {
      ImageId: id("image"),
      ImageName: req.ImageName,
      Description: req.Description ?? src.Description,
      Visibility: "private",
      OsType: src.OsType,
      Platform: src.Platform,
      Size: src.Size,
      Tags: tags,
      createdAt: now,
      readyAt,
      failed: false,
      failsAt,
      sourceInstanceId: src.sourceInstanceId,
      credential: src.credential,
      snapshots,
      files: { ...src.files },
      dataFiles: this.opts.copyImageIncludesDataVolumes ? src.dataFiles.map((f) => ({ ...f })) : [],
    };
    dest.images.set(img.ImageId, img);
    src.copyingUntil = Math.max(src.copyingUntil ?? 0, readyAt);
    return img;
  }

  // ---- events and tags -------------------------------------------------------------------------

  eventStatus(e: SystemEvent): string {
    return this.clock.now() < e.releaseAt ? "Scheduled" : "Succeeded";
  }

  /** Admin: the cloud schedules this spot instance's release and posts the notice. */
  scheduleInterruption(instanceId: string, noticeSeconds: number): SystemEvent {
    const inst = this.getInstance(instanceId);
    if (inst.SpotStrategy === "NoSpot") throw invalidParameter("instanceId", `${instanceId} is not a spot instance`);
    const now = this.clock.now();
    const releaseAt = now + noticeSeconds * 1000;
    inst.releaseAt = releaseAt;
    const ev: SystemEvent = {
      Id: id("event"),
      ResourceId: instanceId,
      Type: SPOT_EVENT_TYPE,
      // Category: ResourceEvent | TaskEvent; ExtraInfo: an object of strings (API-NOTES "Corrections").
      Category: "ResourceEvent",
      ImpactLevel: "Critical",
      createdAt: now,
      releaseAt,
      ExtraInfo: { SpotInstanceInterruptionTime: new Date(releaseAt).toISOString().replace(/\.\d{3}Z$/, "Z") },
    };
    this.events.set(ev.Id, ev);
    return ev;
  }

  /** Tags of a taggable resource (CreateTags ResourceType: instance | image). */
  tags(resourceType: string, resourceId: string): Tag[] {
    if (resourceType === "instance") return this.getInstance(resourceId).Tags;
    if (resourceType === "image") {
      const img = this.images.get(resourceId);
      if (!img || img.Visibility === "public") throw imageNotFound(resourceId);
      return img.Tags;
    }
    throw invalidParameter("ResourceType", `${resourceType} is not supported here (instance, image)`);
  }

  /** ≤ 20 tags per resource, and never a key of the cloud's own (API-NOTES "Corrections": Tags). */
  checkTagsToCreate(tags: Tag[], existing: number): void {
    for (const t of tags) if (/^(volc|sys):/i.test(t.Key)) throw reservedTagKey(t.Key);
    if (existing + tags.length > 20) throw tooManyTags(existing + tags.length);
  }

  /** Same ClientToken: same answer; different parameters: IdempotentParameterMismatch. */
  readonly tokens = new ClientTokens((kind) =>
    kind === "malformed" ? new ApiError("InvalidClientToken.Malformed", 400, "The ClientToken must be at most 64 ASCII characters.") : new ApiError("IdempotentParameterMismatch", 400, "The same ClientToken was used with different parameters."),
  );
}
