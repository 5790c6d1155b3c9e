// ECS state: instances with their disks, guest file system and instance RAM role; snapshot groups and
// their snapshots. A group's status derives from the emulated clock (progressing until its ready time,
// then accomplished, or failed when the emulator is told to fail groups). Rules and error codes of
// CreateSnapshotGroup from the ECS 2014-05-26 API reference (AlibabaCloudDocs/ecs,
// API参考/快照/CreateSnapshotGroup.md).
import { randomBytes } from "node:crypto";
import type { Clock } from "../../clock";
import { AcsError } from "../errors";

export interface EcsSettings {
  region: string;
  /** Emulated seconds from CreateSnapshotGroup to accomplished. */
  snapshotGroupSeconds: number;
  /** Snapshots that may exist at once in the region (QuotaExceed.Snapshot, plugin exit code 14). */
  snapshotQuota: number;
  /** New snapshot groups end in failed instead of accomplished. */
  failSnapshotGroups: boolean;
}

export const DISK_CATEGORIES = ["cloud_essd", "cloud_essd_entry", "cloud_auto", "cloud_regional_disk_auto", "cloud_ssd", "cloud_efficiency", "cloud"];
/**
 * The ESSD family, which snapshot groups and the app-snapshot plugin take: ESSD, ESSD AutoPL, ESSD Entry
 * and regional (zone-redundant) ESSD — category names from the DescribeDisks model (@alicloud/ecs20140526
 * DescribeDisksRequest.category), the family from the API notes' Corrections (a field log of a group on a
 * cloud_auto disk).
 */
export const ESSD_FAMILY = ["cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_regional_disk_auto"];
export const FILE_SYSTEMS = ["ext3", "ext4", "xfs", "ntfs", "btrfs", "nfs", "cifs", "smb", "nas", "cpfs"];
export const INSTANCE_STATUSES = ["Pending", "Running", "Starting", "Stopping", "Stopped"];

export interface Disk {
  DiskId: string;
  InstanceId: string;
  Category: string;
  /** The guest file system on it (not an API field: the plugin checks it). */
  FileSystem: string;
  Size: number;
  Type: "system" | "data";
  Device: string;
  // ---- spot recovery (issue 15): what RunInstances and DescribeDisks carry --------------------------
  /** Released with the instance (RunInstances DataDisk.N.DeleteWithInstance, default true). */
  DeleteWithInstance: boolean;
  PerformanceLevel?: string;
  /** The snapshot the disk was created from (an image's, on a relaunch). */
  SourceSnapshotId?: string;
  /** What is written on the disk (path → content): images and snapshots copy it, drills check it. */
  data: Record<string, string>;
  /** When its previous snapshot was taken (snapshots are incremental), and its own change rate (GiB/h). */
  lastSnapshotAt?: number;
  changeGiBPerHour?: number;
}

export interface FileEntry {
  content: string;
  owner: string;
  /** Permission bits, octal digits, e.g. "700". */
  mode: string;
  /** For scripts: the exit code they end with when run. */
  exitCode: number;
}

export interface Instance {
  InstanceId: string;
  InstanceName: string;
  RegionId: string;
  ZoneId: string;
  OSType: "linux" | "windows";
  Status: string;
  CreationTime: string;
  agentInstalled: boolean;
  disks: Disk[];
  files: Record<string, FileEntry>;
  ramRoleName?: string;
  /** The policy given to AttachInstanceRamRole, narrowing the role on this instance. */
  ramRolePolicy?: string;
  /** Drills: the app-snapshot plugin ends with this exit code. */
  forcedExitCode?: number;
  /** Drills: acs-plugin-manager itself fails with this code (232-247): the plugin never runs. */
  pluginManagerExitCode?: number;
  /** Drills: commands hang until their Timeout (a freeze that never returns). */
  hangInvocations?: boolean;
  // ---- spot recovery (issue 15): launch configuration, lifecycle and preemption (ecs/instances.ts) ---
  InstanceType: string;
  ImageId: string;
  VSwitchId: string;
  VpcId: string;
  PrivateIpAddress: string;
  SecurityGroupIds: string[];
  HostName: string;
  Description: string;
  KeyPairName?: string;
  /** The login credential it was launched with (what an image of it carries for PasswordInherit). */
  credential: "password" | "keypair" | "none";
  /** Base64, as RunInstances takes it and DescribeUserData answers it. */
  UserData?: string;
  SpotStrategy: string;
  SpotPriceLimit: number;
  SpotDuration?: number;
  SpotInterruptionBehavior: string;
  tags: Tag[];
  /** Pending until then (RunInstances). */
  readyAt?: number;
  /** DeleteInstances: Stopping until then, then gone. */
  goneAt?: number;
  /** A preemptible interruption: OperationLocks Recycling from `lockedAt`, released at `releaseAt` (preemption.ts). */
  recycling?: { lockedAt: number; releaseAt: number };
  /** Metadata access mode (RunInstances HttpTokens): `required` is hardened mode only. */
  HttpTokens: "optional" | "required";
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface Snapshot {
  SnapshotId: string;
  SourceDiskId: string;
  SourceDiskType: "system" | "data";
  SourceDiskSize: number;
  InstantAccess: boolean;
  InstantAccessRetentionDays?: number;
  tags: Tag[];
  /** A custom image was made from it (drills): deleting its group keeps it. */
  usedByImage?: string;
}

export interface SnapshotGroup {
  SnapshotGroupId: string;
  Name: string;
  Description: string;
  InstanceId: string;
  RegionId: string;
  createdAt: number;
  readyAt: number;
  failed: boolean;
  snapshots: Snapshot[];
  tags: Tag[];
}

export type GroupStatus = "progressing" | "accomplished" | "failed";

export const newId = (prefix: string) => `${prefix}-${randomBytes(10).toString("hex")}`;

/** Spot recovery (issue 15): the launch configuration of an instance added by admin or seed (not RunInstances). */
function seedLaunch(region: string, spec: InstanceSpec, n: number): Omit<Instance, "InstanceId" | "InstanceName" | "RegionId" | "ZoneId" | "OSType" | "Status" | "CreationTime" | "agentInstalled" | "disks" | "files"> {
  const zone = `${region}-h`;
  return {
    InstanceType: "ecs.g7.large",
    ImageId: spec.OSType === "windows" ? "win2022_21H2_x64_dtc_en-us_40G_alibase_20240315.vhd" : "aliyun_3_x64_20G_alibase_20240819.vhd",
    VSwitchId: `vsw-emu-${zone}`,
    VpcId: "vpc-emu-default",
    PrivateIpAddress: `172.16.0.${10 + (n % 240)}`,
    SecurityGroupIds: ["sg-emu-default"],
    HostName: spec.InstanceName ?? "host",
    Description: "",
    credential: "password",
    SpotStrategy: spec.SpotStrategy ?? "NoSpot",
    SpotPriceLimit: 0,
    SpotInterruptionBehavior: "Terminate",
    tags: [...(spec.tags ?? [])],
    HttpTokens: "optional",
  };
}

export interface InstanceSpec {
  InstanceId?: string;
  InstanceName?: string;
  OSType?: string;
  Status?: string;
  RegionId?: string;
  agentInstalled?: boolean;
  disks?: { DiskId?: string; Category?: string; FileSystem?: string; Size?: number }[];
  /** Spot recovery (issue 15): a preemptible instance for drills (SpotAsPriceGo); default a pay-as-you-go one. */
  SpotStrategy?: string;
  tags?: Tag[];
}

/** DiskId.N / ExcludeDiskId.N take 1-128: a group holds at most 128 disks (CreateSnapshotGroupRequest). */
const MAX_GROUP_DISKS = 128;
const NAME = /^[A-Za-z\u4e00-\u9fa5][\w\u4e00-\u9fa5.:-]{1,127}$/;
const badText = (s: string) => /^https?:\/\//i.test(s);

export class EcsModel {
  readonly instances = new Map<string, Instance>();
  readonly groups = new Map<string, SnapshotGroup>();
  /** Spot recovery (issue 15): disks kept after their instance went (DeleteWithInstance false). */
  readonly looseDisks = new Map<string, Disk>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: EcsSettings,
  ) {}

  reset(): void {
    this.instances.clear();
    this.groups.clear();
    this.looseDisks.clear();
  }

  /** Adds an instance (admin, seed); every field is checked so a drill cannot build an impossible one. */
  addInstance(spec: InstanceSpec): Instance {
    const bad = (why: string) => new AcsError("InvalidParameter", 400, why);
    const os = spec.OSType ?? "linux";
    if (os !== "linux" && os !== "windows") throw bad(`OSType is linux or windows, not ${os}.`);
    const status = spec.Status ?? "Running";
    if (!INSTANCE_STATUSES.includes(status)) throw bad(`Status is one of ${INSTANCE_STATUSES.join(", ")}.`);
    const id = spec.InstanceId ?? newId("i");
    if (!/^i-[\w-]+$/.test(id)) throw bad(`InstanceId must look like i-…, not ${id}.`);
    if (this.instances.has(id)) throw new AcsError("InvalidParameter", 409, `Instance ${id} already exists.`);
    const specs = spec.disks?.length ? spec.disks : [{}];
    if (specs.length > 17) throw bad("An instance takes at most 17 disks.");
    const region = spec.RegionId ?? this.settings.region;
    const disks: Disk[] = specs.map((d, i) => {
      const category = d.Category ?? "cloud_essd";
      const fs = d.FileSystem ?? (os === "windows" ? "ntfs" : "ext4");
      if (!DISK_CATEGORIES.includes(category)) throw bad(`Disk category is one of ${DISK_CATEGORIES.join(", ")}, not ${category}.`);
      if (!FILE_SYSTEMS.includes(fs)) throw bad(`File system is one of ${FILE_SYSTEMS.join(", ")}, not ${fs}.`);
      const diskId = d.DiskId ?? newId("d");
      if (this.findDisk(diskId)) throw new AcsError("InvalidParameter", 409, `Disk ${diskId} already exists.`);
      return { DiskId: diskId, InstanceId: id, Category: category, FileSystem: fs, Size: d.Size ?? 40, Type: i === 0 ? "system" : "data", Device: `/dev/xvd${String.fromCharCode(97 + i)}`, DeleteWithInstance: true, PerformanceLevel: category === "cloud_essd" ? "PL1" : undefined, data: {} };
    });
    if (new Set(disks.map((d) => d.DiskId)).size < disks.length) throw bad("Disk ids must be unique.");
    const inst: Instance = {
      InstanceId: id,
      InstanceName: spec.InstanceName ?? id,
      RegionId: region,
      ZoneId: `${region}-h`,
      OSType: os,
      Status: status,
      CreationTime: this.clock.iso(),
      agentInstalled: spec.agentInstalled ?? true,
      disks,
      files: {},
      ...seedLaunch(region, spec, this.instances.size),
    };
    this.instances.set(id, inst);
    return inst;
  }

  instance(id: string, region?: string): Instance {
    const inst = this.instances.get(id);
    if (!inst || (region !== undefined && inst.RegionId !== region)) throw new AcsError("InvalidInstanceId.NotFound", 404, "The specified InstanceId does not exist.");
    return inst;
  }

  findDisk(id: string): Disk | undefined {
    for (const inst of this.instances.values()) for (const d of inst.disks) if (d.DiskId === id) return d;
    return this.looseDisks.get(id);
  }

  /** Places a file on the instance's simulated file system (scripts for the app-snapshot plugin). */
  placeFile(instanceId: string, path: string, f: { content?: string; owner?: string; mode?: string | number; exitCode?: number }): FileEntry {
    const inst = this.instance(instanceId);
    const mode = String(f.mode ?? "700").replace(/^0+(?=\d)/, "");
    if (!/^[0-7]{3,4}$/.test(mode)) throw new AcsError("InvalidParameter", 400, `mode is octal permission digits such as "700", not ${f.mode}.`);
    const exitCode = f.exitCode ?? 0;
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) throw new AcsError("InvalidParameter", 400, "exitCode is a whole number from 0 to 255.");
    const absolute = inst.OSType === "windows" ? /^[A-Za-z]:[\\/]/.test(path) : path.startsWith("/");
    if (!absolute) throw new AcsError("InvalidParameter", 400, `path must be absolute on ${inst.OSType}, not ${path}.`);
    const entry = { content: f.content ?? "", owner: f.owner ?? "root", mode, exitCode };
    inst.files[path] = entry;
    return entry;
  }

  groupStatus(g: SnapshotGroup, at = this.clock.now()): GroupStatus {
    if (at < g.readyAt) return "progressing";
    return g.failed ? "failed" : "accomplished";
  }

  /** Percent done, as the API prints it ("37%"). */
  progress(g: SnapshotGroup, at = this.clock.now()): string {
    const status = this.groupStatus(g, at);
    if (status === "accomplished") return "100%";
    const span = Math.max(1, g.readyAt - g.createdAt);
    return `${Math.min(99, Math.floor((100 * (at - g.createdAt)) / span))}%`;
  }

  /**
   * Snapshots of the ESSD family are usable at once ("instant access by default": the
   * CreateSnapshotGroupRequest model marks InstantAccess deprecated for that reason); a group's snapshots
   * are all of that family.
   */
  available(g: SnapshotGroup, _s: Snapshot, at = this.clock.now()): boolean {
    return this.groupStatus(g, at) !== "failed";
  }

  liveSnapshots(region: string): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.RegionId === region) n += g.snapshots.length;
    return n;
  }

  /** CreateSnapshotGroup's rules, whoever calls it (the API or the plugin inside the instance). */
  createSnapshotGroup(req: {
    RegionId: string;
    InstanceId: string;
    DiskIds?: string[];
    ExcludeDiskIds?: string[];
    InstantAccess?: boolean;
    InstantAccessRetentionDays?: number;
    Name?: string;
    Description?: string;
    Tags?: Tag[];
    at?: number;
  }): SnapshotGroup {
    const at = req.at ?? this.clock.now();
    const inst = this.instance(req.InstanceId, req.RegionId);
    if (req.Name !== undefined && req.Name !== "" && (!NAME.test(req.Name) || badText(req.Name))) throw new AcsError("InvalidParameter.Name", 400, "The specified Name is invalid.");
    if (req.Description !== undefined && req.Description !== "" && (req.Description.length < 2 || req.Description.length > 256 || badText(req.Description))) {
      throw new AcsError("InvalidDescription.Malformed", 404, "The specified description is wrongly formed.");
    }
    const days = req.InstantAccessRetentionDays;
    if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 65535)) throw new AcsError("InvalidRetentionDays.Malformed", 400, "The specified RetentionDays is not valid.");
    if (req.DiskIds?.length && req.ExcludeDiskIds?.length) throw new AcsError("InvalidParameter.Conflict", 400, "DiskId.N and ExcludeDiskId.N cannot be specified together.");
    if (!["Running", "Stopped"].includes(inst.Status)) throw new AcsError("IncorrectInstanceStatus", 400, "The current status of the resource does not support this operation.");
    for (const id of [...(req.DiskIds ?? []), ...(req.ExcludeDiskIds ?? [])]) {
      if (!inst.disks.some((d) => d.DiskId === id)) throw new AcsError("InvalidDiskId.NotFound", 404, "The specified DiskId does not exist.");
    }
    const disks = req.DiskIds?.length ? inst.disks.filter((d) => req.DiskIds!.includes(d.DiskId)) : inst.disks.filter((d) => !req.ExcludeDiskIds?.includes(d.DiskId));
    if (disks.length === 0) throw new AcsError("InvalidParameter.DiskId", 400, "No disk is left to snapshot: every disk of the instance is excluded.");
    if (disks.length > MAX_GROUP_DISKS) throw new AcsError("InvalidParameter.DiskId", 400, `A snapshot group takes at most ${MAX_GROUP_DISKS} disks.`);
    if (disks.some((d) => !ESSD_FAMILY.includes(d.Category))) throw new AcsError("DiskCategory.OperationNotSupported", 400, "The operation is not supported to the specified disk due to its disk category");
    if (this.liveSnapshots(inst.RegionId) + disks.length > this.settings.snapshotQuota) throw new AcsError("QuotaExceed.Snapshot", 403, "The snapshot quota exceeds.");

    const g: SnapshotGroup = {
      SnapshotGroupId: newId("ssg"),
      Name: req.Name ?? "",
      Description: req.Description ?? "",
      InstanceId: inst.InstanceId,
      RegionId: inst.RegionId,
      createdAt: at,
      readyAt: at + this.settings.snapshotGroupSeconds * 1000,
      failed: this.settings.failSnapshotGroups,
      snapshots: disks.map((d) => ({
        SnapshotId: newId("s"),
        SourceDiskId: d.DiskId,
        SourceDiskType: d.Type,
        SourceDiskSize: d.Size,
        InstantAccess: Boolean(req.InstantAccess),
        InstantAccessRetentionDays: req.InstantAccess ? days : undefined,
        tags: [],
      })),
      tags: [...(req.Tags ?? [])],
    };
    this.groups.set(g.SnapshotGroupId, g);
    return g;
  }

  group(id: string, region: string): SnapshotGroup {
    const g = this.groups.get(id);
    // DeleteSnapshotGroup's published table lists no not-found code; named by ECS's InvalidXId.NotFound pattern.
    if (!g || g.RegionId !== region) throw new AcsError("InvalidSnapshotGroupId.NotFound", 404, "The specified SnapshotGroupId does not exist.");
    return g;
  }

  /**
   * DeleteSnapshotGroup: every snapshot goes except those a custom image was made from, which are kept and
   * reported per snapshot (API notes, Corrections: the answer is HTTP 200 with an OperationProgressSet);
   * the group goes once it holds no snapshot.
   */
  deleteSnapshotGroup(id: string, region: string): { deleted: Snapshot[]; kept: Snapshot[] } {
    const g = this.group(id, region);
    const kept = g.snapshots.filter((s) => s.usedByImage);
    const deleted = g.snapshots.filter((s) => !s.usedByImage);
    g.snapshots = kept;
    if (kept.length === 0) this.groups.delete(id);
    return { deleted, kept };
  }

  /** Adds or replaces tags on snapshots (TagResources, as the plugin does with APPConsistent/FsConsistent). */
  tagSnapshots(g: SnapshotGroup, tags: Tag[]): void {
    for (const s of g.snapshots) {
      for (const t of tags) {
        const existing = s.tags.find((x) => x.Key === t.Key);
        if (existing) existing.Value = t.Value;
        else s.tags.push({ ...t });
      }
    }
  }

  snapshots(): { g: SnapshotGroup; s: Snapshot }[] {
    return [...this.groups.values()].flatMap((g) => g.snapshots.map((s) => ({ g, s })));
  }
}
