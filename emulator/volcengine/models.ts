// Volcengine ECS state and state machines, apart from the wire format (responses.ts).
// Time-driven transitions are derived from the emulated clock on every request (`settle`), so there
// are no timers: an instance is CREATING until its ready time, a spot instance is released at its
// interruption's release time, an image is creating until its size-based finish time.
import { randomBytes } from "node:crypto";
import { ClientTokens } from "../idempotency";
import type { Clock } from "../clock";

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface VolcengineOptions {
  region: string;
  zones: string[];
  /** Emulated seconds from RunInstances to RUNNING. */
  instanceCreateSeconds: number;
  /** Emulated seconds from DeleteInstance to gone. */
  instanceDeleteSeconds: number;
  /** Emulated seconds per GiB of disk for CreateImage. */
  imageSecondsPerGiB: number;
  /** What happens to an image still being made when its instance is released. */
  imageWhenInstanceReleased: "completes" | "fails";
  /** The event type of spot interruptions (the API's spelling by default; the console's is selectable). */
  spotEventType: "SpotInstanceInterruption_Delete" | "SpotInstanceInterruption.Delete";
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
  /** Codes of missing required parameters other than `MissingParameter`, by `Action.Parameter`. */
  missingParameterCodes: Record<string, string>;
}

export function defaultOptions(): VolcengineOptions {
  return {
    region: "cn-beijing",
    zones: ["cn-beijing-a", "cn-beijing-b", "cn-beijing-c"],
    instanceCreateSeconds: 30,
    instanceDeleteSeconds: 10,
    imageSecondsPerGiB: 3,
    imageWhenInstanceReleased: "fails",
    spotEventType: "SpotInstanceInterruption_Delete",
    stockOutCode: "InsufficientInstanceStock",
    stockOut: [],
    spotPrices: { "ecs.g3il.large": 0.12, "ecs.g3il.xlarge": 0.24, "ecs.g3il.2xlarge": 0.48 },
    instanceTypes: {
      "ecs.g3il.large": { cpus: 2, memoryMiB: 8192 },
      "ecs.g3il.xlarge": { cpus: 4, memoryMiB: 16384 },
      "ecs.g3il.2xlarge": { cpus: 8, memoryMiB: 32768 },
    },
    invalidParameterCode: "InvalidParameter",
    // CreateImage's documented error for a missing name (API notes, CreateImage: "MissingParameter.ImageName").
    missingParameterCodes: { "CreateImage.ImageName": "MissingParameter.ImageName" },
  };
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface Volume {
  VolumeId: string;
  Kind: "system" | "data";
  VolumeType: string;
  Size: number;
  DeleteWithInstance: boolean;
}

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
  KeyPairName: string;
  UserData: string;
  hasPassword: boolean;
  SubnetId: string;
  SecurityGroupIds: string[];
  PrimaryIpAddress: string;
  Volumes: Volume[];
  Tags: Tag[];
  createdAt: number;
  updatedAt: number;
  readyAt: number;
  deleteAt?: number; // DeleteInstance called: DELETING until goneAt
  goneAt?: number;
  releaseAt?: number; // spot interruption: released at this time
  /** The simulated file system of the system volume: path → content. */
  files: Record<string, string>;
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
  sourceInstanceId?: string;
  files: Record<string, string>;
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

export class VolcengineModel {
  opts: VolcengineOptions;
  instances = new Map<string, Instance>();
  images = new Map<string, Image>();
  events = new Map<string, SystemEvent>();
  subnets = new Map<string, Subnet>();
  securityGroups = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly initial: Partial<VolcengineOptions> = {},
  ) {
    this.opts = { ...defaultOptions(), ...initial };
    this.seed();
  }

  reset(): void {
    this.opts = { ...defaultOptions(), ...this.initial };
    this.instances.clear();
    this.images.clear();
    this.events.clear();
    this.subnets.clear();
    this.securityGroups.clear();
    this.tokens.clear();
    this.seed();
  }

  private seed(): void {
    const now = this.clock.now();
    for (const [ImageId, Platform] of [
      ["image-ubuntu2204-emu", "Ubuntu"],
      ["image-debian12-emu", "Debian"],
      ["image-centos7-emu", "CentOS"],
    ]) {
      this.images.set(ImageId, { ImageId, ImageName: `${Platform} public`, Description: "", Visibility: "public", OsType: "Linux", Platform, Size: 20, Tags: [], createdAt: now, readyAt: now, failed: false, files: {} });
    }
    this.opts.zones.forEach((zone, i) => this.addSubnet({ SubnetId: `subnet-emu-${zone}`, ZoneId: zone, cidrPrefix: `172.16.${i + 1}` }));
    this.securityGroups.add("sg-emu-default");
  }

  addSubnet(s: { SubnetId: string; ZoneId: string; cidrPrefix?: string; VpcId?: string }): void {
    this.subnets.set(s.SubnetId, { SubnetId: s.SubnetId, ZoneId: s.ZoneId, VpcId: s.VpcId ?? "vpc-emu-default", cidrPrefix: s.cidrPrefix ?? `172.17.${this.subnets.size + 1}`, nextHost: 10 });
  }

  /** Applies every transition due by now. Called before each request and admin read. */
  settle(): void {
    const now = this.clock.now();
    for (const inst of [...this.instances.values()]) {
      if (inst.releaseAt !== undefined && now >= inst.releaseAt) this.release(inst.InstanceId, inst.releaseAt);
      else if (inst.goneAt !== undefined && now >= inst.goneAt) this.instances.delete(inst.InstanceId);
    }
  }

  instanceStatus(inst: Instance): string {
    const now = this.clock.now();
    if (inst.deleteAt !== undefined) return "DELETING";
    return now < inst.readyAt ? "CREATING" : "RUNNING";
  }

  imageStatus(img: Image): "creating" | "available" | "error" {
    if (img.failed) return "error";
    return this.clock.now() < img.readyAt ? "creating" : "available";
  }

  eventStatus(e: SystemEvent): string {
    return this.clock.now() < e.releaseAt ? "Scheduled" : "Succeeded";
  }

  /** The instance vanishes (spot release, or removed behind Pulumi's back); its disk is lost. */
  release(instanceId: string, at = this.clock.now()): void {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new ApiError("InvalidInstance.NotFound", 404, `The instance ${instanceId} does not exist.`);
    for (const img of this.images.values()) {
      if (img.sourceInstanceId === instanceId && at < img.readyAt && this.opts.imageWhenInstanceReleased === "fails") img.failed = true;
    }
    this.instances.delete(instanceId);
  }

  /** Same ClientToken: same answer; different parameters: IdempotentParameterMismatch. */
  readonly tokens = new ClientTokens((kind) =>
    kind === "malformed"
      ? new ApiError("InvalidClientToken.Malformed", 400, "The ClientToken must be at most 64 ASCII characters.")
      : new ApiError("IdempotentParameterMismatch", 400, "The same ClientToken was used with different parameters."),
  );

  runInstance(req: {
    ZoneId: string;
    ImageId: string;
    InstanceTypeId: string;
    InstanceName: string;
    Description?: string;
    HostName?: string;
    SpotStrategy: string;
    SpotPriceLimit?: number;
    KeyPairName?: string;
    Password?: string;
    UserData?: string;
    SubnetId: string;
    SecurityGroupIds: string[];
    PrimaryIpAddress?: string;
    Volumes: { VolumeType: string; Size: number; DeleteWithInstance: boolean }[];
    Tags: Tag[];
    InstanceChargeType: string;
  }): Instance {
    if (!this.opts.zones.includes(req.ZoneId)) throw new ApiError("InvalidZone.NotFound", 404, `The zone ${req.ZoneId} does not exist in region ${this.opts.region}.`);
    const image = this.images.get(req.ImageId);
    if (!image) throw new ApiError("InvalidImage.NotFound", 404, `The image ${req.ImageId} does not exist.`);
    if (this.imageStatus(image) !== "available") throw new ApiError("InvalidImageStatus", 400, `The image ${req.ImageId} is ${this.imageStatus(image)}, not available.`);
    const type = this.opts.instanceTypes[req.InstanceTypeId];
    if (!type) throw new ApiError("InvalidInstanceType.NotFound", 404, `The instance type ${req.InstanceTypeId} does not exist.`);
    const subnet = this.subnets.get(req.SubnetId);
    if (!subnet) throw new ApiError("InvalidSubnet.NotFound", 404, `The subnet ${req.SubnetId} does not exist.`);
    if (subnet.ZoneId !== req.ZoneId) throw new ApiError("InvalidParameter", 400, `The subnet ${req.SubnetId} is in ${subnet.ZoneId}, not in ${req.ZoneId}.`);
    for (const sg of req.SecurityGroupIds) if (!this.securityGroups.has(sg)) throw new ApiError("InvalidSecurityGroup.NotFound", 404, `The security group ${sg} does not exist.`);
    const system = req.Volumes[0];
    if (system && system.Size < image.Size) throw new ApiError("InvalidParameter", 400, `The system volume (${system.Size} GiB) is smaller than the image (${image.Size} GiB).`);
    if (req.SpotStrategy !== "NoSpot") {
      const out = this.opts.stockOut.some((s) => s.zoneId === req.ZoneId && (!s.instanceTypeId || s.instanceTypeId === req.InstanceTypeId));
      const price = this.opts.spotPrices[req.InstanceTypeId] ?? 0.1;
      if (out) throw new ApiError(this.opts.stockOutCode, 400, `There is no spot stock of ${req.InstanceTypeId} in ${req.ZoneId}.`);
      if (req.SpotStrategy === "SpotWithPriceLimit" && (req.SpotPriceLimit ?? 0) < price)
        throw new ApiError(this.opts.stockOutCode, 400, `The spot price of ${req.InstanceTypeId} in ${req.ZoneId} is ${price}, above the limit ${req.SpotPriceLimit}.`);
    }
    const now = this.clock.now();
    const InstanceId = id("i");
    const ip = req.PrimaryIpAddress ?? `${subnet.cidrPrefix}.${subnet.nextHost++}`;
    const inst: Instance = {
      InstanceId,
      InstanceName: req.InstanceName,
      Description: req.Description ?? "",
      Hostname: req.HostName ?? `iv-${InstanceId.slice(2, 12)}`,
      ZoneId: req.ZoneId,
      VpcId: subnet.VpcId,
      ImageId: req.ImageId,
      InstanceTypeId: req.InstanceTypeId,
      InstanceChargeType: req.InstanceChargeType,
      SpotStrategy: req.SpotStrategy,
      SpotPriceLimit: req.SpotPriceLimit ?? 0,
      KeyPairName: req.KeyPairName ?? "",
      UserData: req.UserData ?? "",
      hasPassword: Boolean(req.Password),
      SubnetId: req.SubnetId,
      SecurityGroupIds: req.SecurityGroupIds,
      PrimaryIpAddress: ip,
      Volumes: (req.Volumes.length ? req.Volumes : [{ VolumeType: "ESSD_PL0", Size: 40, DeleteWithInstance: true }]).map((v, i) => ({
        VolumeId: id("vol"),
        Kind: i === 0 ? "system" : "data",
        VolumeType: v.VolumeType,
        Size: v.Size,
        DeleteWithInstance: v.DeleteWithInstance,
      })),
      Tags: req.Tags,
      createdAt: now,
      updatedAt: now,
      readyAt: now + this.opts.instanceCreateSeconds * 1000,
      files: { ...image.files },
    };
    this.instances.set(InstanceId, inst);
    return inst;
  }

  getInstance(instanceId: string): Instance {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new ApiError("InvalidInstance.NotFound", 404, `The instance ${instanceId} does not exist.`);
    return inst;
  }

  deleteInstance(instanceId: string): void {
    const inst = this.getInstance(instanceId);
    const status = this.instanceStatus(inst);
    if (status === "CREATING") throw new ApiError("InvalidInstanceStatus", 400, `The instance ${instanceId} is CREATING and cannot be deleted yet.`);
    if (status === "DELETING") return;
    const now = this.clock.now();
    inst.deleteAt = now;
    inst.goneAt = now + this.opts.instanceDeleteSeconds * 1000;
    inst.updatedAt = now;
  }

  createImage(req: { InstanceId: string; ImageName: string; Description?: string; Tags: Tag[] }): Image {
    const inst = this.getInstance(req.InstanceId);
    const status = this.instanceStatus(inst);
    if (status !== "RUNNING" && status !== "STOPPED") throw new ApiError("InvalidInstanceStatus", 400, `The instance ${req.InstanceId} is ${status}; CreateImage needs RUNNING or STOPPED.`);
    const size = inst.Volumes.reduce((s, v) => s + v.Size, 0);
    const now = this.clock.now();
    const src = this.images.get(inst.ImageId);
    const img: Image = {
      ImageId: id("image"),
      ImageName: req.ImageName,
      Description: req.Description ?? "",
      Visibility: "private",
      OsType: src?.OsType ?? "Linux",
      Platform: src?.Platform ?? "Ubuntu",
      Size: size,
      Tags: req.Tags,
      createdAt: now,
      readyAt: now + size * this.opts.imageSecondsPerGiB * 1000,
      failed: false,
      sourceInstanceId: inst.InstanceId,
      files: { ...inst.files }, // the disk as it is at the moment of the call
    };
    this.images.set(img.ImageId, img);
    return img;
  }

  deleteImage(imageId: string): void {
    const img = this.images.get(imageId);
    if (!img || img.Visibility === "public") throw new ApiError("InvalidImage.NotFound", 404, `The image ${imageId} does not exist.`);
    if (this.imageStatus(img) === "creating") throw new ApiError("InvalidImageStatus", 400, `The image ${imageId} is still being created.`);
    this.images.delete(imageId);
  }

  /** Admin: the cloud schedules this spot instance's release and posts the notice. */
  scheduleInterruption(instanceId: string, noticeSeconds: number): SystemEvent {
    const inst = this.getInstance(instanceId);
    if (inst.SpotStrategy === "NoSpot") throw new ApiError("InvalidParameter", 400, `${instanceId} is not a spot instance.`);
    const now = this.clock.now();
    const releaseAt = now + noticeSeconds * 1000;
    inst.releaseAt = releaseAt;
    const ev: SystemEvent = {
      Id: id("event"),
      ResourceId: instanceId,
      Type: this.opts.spotEventType,
      Category: "Scheduled",
      ImpactLevel: "Critical",
      createdAt: now,
      releaseAt,
      ExtraInfo: { SpotInstanceInterruptionTime: new Date(releaseAt).toISOString() },
    };
    this.events.set(ev.Id, ev);
    return ev;
  }

  tags(resourceType: string, resourceId: string): Tag[] {
    if (resourceType === "instance") return this.getInstance(resourceId).Tags;
    if (resourceType === "image") {
      const img = this.images.get(resourceId);
      if (!img || img.Visibility === "public") throw new ApiError("InvalidImage.NotFound", 404, `The image ${resourceId} does not exist.`);
      return img.Tags;
    }
    throw new ApiError("InvalidParameter", 400, `ResourceType ${resourceType} is not supported (instance, image).`);
  }
}
