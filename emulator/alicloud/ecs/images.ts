// Custom images (ECS 2014-05-26 CreateImage, DescribeImages, DeleteImage) and the snapshots they are
// made of (DeleteSnapshot). From the SDK models' documentation (@alicloud/ecs20140526 client.ts and
// *Request.ts):
// - CreateImage with InstanceId: "the instance must be Running or Stopped"; "a new snapshot is created for
//   each disk of the instance" — system and data disks, so one image holds every disk (DiskDeviceMappings);
//   the image is Creating until those snapshots are done, then Available.
// - DescribeImages Status: "Default value: Available" — a Creating image is found only when asked for by
//   status (several comma-separated, or ALL).
// - DeleteImage: "If the specified custom image does not exist, the request is ignored"; without Force an
//   image instances use is refused. Its snapshots stay: "If the snapshot has been used to create a custom
//   image, the snapshot cannot be deleted. You must first delete the custom image" (DeleteSnapshot).
// - DeleteSnapshot: an unknown id "is ignored"; a snapshot disks were created from needs Force.
import type { Clock } from "../../clock";
import { AcsError } from "../errors";
import { newId, type EcsModel, type Instance, type Tag } from "./model";
import type { InstanceOptions } from "./instances";

export type ImageStatus = "Creating" | "Available" | "CreateFailed";

export interface ImageSnapshot {
  SnapshotId: string;
  Device: string;
  Type: "system" | "data";
  Size: number;
  SourceDiskId?: string;
  /** The disk's content when the snapshot was taken. */
  data: Record<string, string>;
}

export interface Image {
  ImageId: string;
  ImageName: string;
  Description: string;
  RegionId: string;
  OwnerAlias: "system" | "self";
  OSType: "linux" | "windows";
  Platform: string;
  OSName: string;
  /** GiB: the system disk's. */
  Size: number;
  createdAt: number;
  readyAt: number;
  failed: boolean;
  sourceInstanceId?: string;
  /** What the image carries for RunInstances PasswordInherit. */
  credential: Instance["credential"];
  snapshots: ImageSnapshot[];
  tags: Tag[];
}

/** Public images of the seed (ImageOwnerAlias system). */
const PUBLIC: { id: string; os: "linux" | "windows"; platform: string; name: string }[] = [
  { id: "aliyun_3_x64_20G_alibase_20240819.vhd", os: "linux", platform: "Aliyun", name: "Alibaba Cloud Linux 3.2104 LTS 64-bit" },
  { id: "ubuntu_22_04_x64_20G_alibase_20240710.vhd", os: "linux", platform: "Ubuntu", name: "Ubuntu 22.04 64-bit" },
  { id: "win2022_21H2_x64_dtc_en-us_40G_alibase_20240315.vhd", os: "windows", platform: "Windows Server 2022", name: "Windows Server 2022 Datacenter 64-bit" },
];

export const IMAGE_STATUSES: ImageStatus[] = ["Creating", "Available", "CreateFailed"];

export class ImageModel {
  readonly images = new Map<string, Image>();
  /** Snapshots of images, kept after their image is deleted until DeleteSnapshot. */
  readonly snapshots = new Map<string, ImageSnapshot & { RegionId: string; createdAt: number; readyAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ecs: EcsModel,
    private readonly opts: InstanceOptions & { region: string },
  ) {
    this.seed();
  }

  reset(): void {
    this.images.clear();
    this.snapshots.clear();
    this.seed();
  }

  private seed(): void {
    for (const p of PUBLIC) {
      const size = p.os === "windows" ? 40 : 20;
      this.images.set(p.id, {
        ImageId: p.id,
        ImageName: p.id,
        Description: p.name,
        RegionId: this.opts.region,
        OwnerAlias: "system",
        OSType: p.os,
        Platform: p.platform,
        OSName: p.name,
        Size: size,
        createdAt: 0,
        readyAt: 0,
        failed: false,
        credential: "none",
        snapshots: [{ SnapshotId: `s-public-${p.platform.toLowerCase().replace(/\W+/g, "")}`, Device: "/dev/xvda", Type: "system", Size: size, data: {} }],
        tags: [],
      });
    }
  }

  image(id: string, region: string): Image | undefined {
    const img = this.images.get(id);
    return img && img.RegionId === region ? img : undefined;
  }

  snapshot(id: string): ImageSnapshot | undefined {
    return this.snapshots.get(id);
  }

  status(img: Image, at = this.clock.now()): ImageStatus {
    if (img.failed) return "CreateFailed";
    return at < img.readyAt ? "Creating" : "Available";
  }

  /** Percent done, as DescribeImages prints it ("37%"). */
  progress(img: Image, at = this.clock.now()): string {
    if (this.status(img, at) !== "Creating") return "100%";
    return `${Math.min(99, Math.floor((100 * (at - img.createdAt)) / Math.max(1, img.readyAt - img.createdAt)))}%`;
  }

  /** Custom images a region holds. */
  custom(region: string): Image[] {
    return [...this.images.values()].filter((i) => i.OwnerAlias === "self" && i.RegionId === region);
  }

  /** CreateImage from an instance: one snapshot per disk, incremental against each disk's previous one. */
  createFromInstance(req: { RegionId: string; InstanceId: string; ImageName?: string; Description?: string; Tags: Tag[] }): Image {
    const inst = this.ecs.instance(req.InstanceId, req.RegionId);
    if (!["Running", "Stopped"].includes(inst.Status)) throw new AcsError("IncorrectInstanceStatus", 403, "The current status of the resource does not support this operation.");
    // ImageName: 2-128 characters, starting with a letter or a Chinese character, not http(s):// (CreateImageRequest.imageName).
    if (req.ImageName !== undefined && (!/^[A-Za-z\u4e00-\u9fa5][\w\u4e00-\u9fa5.:-]{1,127}$/.test(req.ImageName) || /^https?:\/\//i.test(req.ImageName))) {
      throw new AcsError("InvalidImageName.Malformed", 400, "The specified Image name is wrongly formed.");
    }
    if (req.Description !== undefined && (req.Description.length < 2 || req.Description.length > 256 || /^https?:\/\//i.test(req.Description))) {
      throw new AcsError("InvalidDescription.Malformed", 400, "The specified description is wrongly formed.");
    }
    if (req.Tags.length > 20) throw new AcsError("NumberExceed.Tags", 400, "The Tags parameter's number is exceed , Valid : 20");
    const now = this.clock.now();
    let changedGiB = 0;
    const snapshots = inst.disks.map((d) => {
      const rate = d.changeGiBPerHour ?? this.opts.changeGiBPerHour;
      changedGiB += d.lastSnapshotAt === undefined ? d.Size : Math.min(d.Size, (rate * (now - d.lastSnapshotAt)) / 3_600_000);
      d.lastSnapshotAt = now;
      return { SnapshotId: newId("s"), Device: d.Device, Type: d.Type, Size: d.Size, SourceDiskId: d.DiskId, data: { ...d.data } };
    });
    const readyAt = now + (this.opts.imageBaseSeconds + changedGiB * this.opts.imageSecondsPerGiB) * 1000;
    const source = this.images.get(inst.ImageId);
    const img: Image = {
      ImageId: newId("m"),
      ImageName: req.ImageName ?? "",
      Description: req.Description ?? "",
      RegionId: inst.RegionId,
      OwnerAlias: "self",
      OSType: inst.OSType,
      Platform: source?.Platform ?? (inst.OSType === "windows" ? "Windows Server 2022" : "Aliyun"),
      OSName: source?.OSName ?? "",
      Size: inst.disks.find((d) => d.Type === "system")?.Size ?? 40,
      createdAt: now,
      readyAt,
      failed: false,
      sourceInstanceId: inst.InstanceId,
      credential: inst.credential,
      snapshots,
      tags: req.Tags.map((t) => ({ ...t })),
    };
    for (const s of snapshots) this.snapshots.set(s.SnapshotId, { ...s, RegionId: inst.RegionId, createdAt: now, readyAt });
    this.images.set(img.ImageId, img);
    return img;
  }

  /** An instance is released: what is still being imaged of it completes or fails (setting). */
  instanceReleased(inst: Instance, at: number): void {
    if (this.opts.imageWhenInstanceReleased !== "fails") return;
    for (const img of this.images.values()) if (img.sourceInstanceId === inst.InstanceId && at < img.readyAt) img.failed = true;
  }

  /** DeleteImage: unknown ids are ignored; an image instances use needs Force. */
  delete(id: string, region: string, force: boolean): void {
    const img = this.image(id, region);
    if (!img) return;
    if (img.OwnerAlias !== "self") throw new AcsError("InvalidImageId.NotFound", 404, "The specified ImageId does not exist.");
    const users = [...this.ecs.instances.values()].filter((i) => i.ImageId === id);
    if (users.length && !force) throw new AcsError(this.opts.imageInUseCode, 403, `The image is used by instance(s) ${users.map((u) => u.InstanceId).join(", ")}: set Force to delete it anyway.`);
    this.images.delete(id);
  }

  /** DeleteSnapshot of an image's snapshot; false when the id is not an image snapshot (another model's). */
  deleteSnapshot(id: string, force: boolean): boolean {
    const snap = this.snapshots.get(id);
    if (!snap) return false;
    const image = [...this.images.values()].find((i) => i.snapshots.some((s) => s.SnapshotId === id));
    if (image) throw new AcsError("SnapshotCreatedImage", 403, `The snapshot has been used to create user defined image(s): delete image ${image.ImageId} first.`);
    const disks = [...this.ecs.instances.values()].flatMap((i) => i.disks).concat([...this.ecs.looseDisks.values()]).filter((d) => d.SourceSnapshotId === id);
    if (disks.length && !force) throw new AcsError("SnapshotCreatedDisk", 403, "The snapshot has been used to create disk(s): set Force to delete it anyway.");
    this.snapshots.delete(id);
    return true;
  }
}
