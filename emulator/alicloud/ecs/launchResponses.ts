// ECS 2014-05-26 actions of spot recovery: RunInstances, DescribeInstances (with OperationLocks and both
// paging styles), DeleteInstances / DeleteInstance, DescribeUserData, CreateImage, DescribeImages (Status
// defaults to Available), DeleteImage (DeleteSnapshot is in responses.ts, tags in tags.ts). Parse the flat parameters, call the models (instances.ts,
// images.ts, preemption.ts), render the shapes of the @alicloud/ecs20140526 7.x response models; required
// parameters and types are checked before these run, from the models (../validation.ts).
import { AcsError } from "../errors";
import type { AlicloudModel } from "../models";
import { bool, jsonList, list, tags, type Handler, type Query } from "../params";
import type { Image } from "./images";
import { INSTANCE_TYPES, type DataDiskRequest } from "./instances";
import type { Instance, Tag } from "./model";
import { operationLocks } from "./preemption";

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** DescribeInstances prints times to the minute (`2017-12-10T04:04Z`). */
const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16) + "Z";
const malformedIds = (name: string) => new AcsError(`Invalid${name}.Malformed`, 400, `The specified ${name} is not valid: a JSON array of strings is expected, e.g. ["id-1"].`);

/** `Name.N.Field` → [{Field: value}] in index order (DataDisk.N.Category, …). */
function objects(q: Query, name: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const re = new RegExp(`^${name}\\.(\\d+)\\.(\\w+)$`);
  for (const [k, v] of Object.entries(q)) {
    const m = re.exec(k);
    if (!m) continue;
    const item = byIndex.get(Number(m[1])) ?? {};
    item[m[2]] = v;
    byIndex.set(Number(m[1]), item);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => o);
}

const num = (v: string | undefined) => (v === undefined || v === "" ? undefined : Number(v));

/**
 * Paging of DescribeInstances: NextToken/MaxResults, or the deprecated PageNumber/PageSize. MaxResults
 * "less than 10 → 10, greater than 100 → 100" (DescribeInstancesRequest.maxResults) is clamped, not refused.
 */
function page<T>(q: Query, items: T[], max: number): { items: T[]; TotalCount: number; PageNumber: number; PageSize: number; NextToken: string } {
  const useToken = q.NextToken !== undefined || q.MaxResults !== undefined;
  const clamp = (n: number | undefined, dflt: number) => (n === undefined || !Number.isFinite(n) || n < 1 ? dflt : Math.min(max, Math.max(1, Math.floor(n))));
  if (useToken) {
    const size = Math.max(10, clamp(num(q.MaxResults), 10));
    const start = q.NextToken ? Number.parseInt(Buffer.from(q.NextToken, "base64url").toString("utf8"), 10) : 0;
    if (!Number.isInteger(start) || start < 0) throw new AcsError("InvalidParameter.NextToken", 400, "The specified NextToken is not valid.");
    const end = start + size;
    return { items: items.slice(start, end), TotalCount: items.length, PageNumber: Math.floor(start / size) + 1, PageSize: size, NextToken: end < items.length ? Buffer.from(String(end)).toString("base64url") : "" };
  }
  const size = clamp(num(q.PageSize), 10);
  const pageNumber = Math.max(1, Math.floor(num(q.PageNumber) ?? 1));
  const start = (pageNumber - 1) * size;
  return { items: items.slice(start, start + size), TotalCount: items.length, PageNumber: pageNumber, PageSize: size, NextToken: "" };
}

const tagsTK = (t: Tag[]) => ({ Tag: t.map(({ Key, Value }) => ({ TagKey: Key, TagValue: Value })) });
/** Tag.N filters: every key must be there; a value, when given, must match ("Tag.N.Key only: every resource with the key"). */
const hasTags = (have: Tag[], want: Tag[]) => want.every((w) => have.some((h) => h.Key === w.Key && (w.Value === "" || h.Value === w.Value)));

function filterTags(q: Query): Tag[] {
  // A filter may name a key only (Tag.N.Value absent), unlike tags to set.
  return tags(q);
}

export function renderInstance(m: AlicloudModel, i: Instance) {
  const type = INSTANCE_TYPES[i.InstanceType] ?? { cpu: 2, memory: 8192 };
  const image = m.images.images.get(i.ImageId);
  return {
    InstanceId: i.InstanceId,
    InstanceName: i.InstanceName,
    HostName: i.HostName,
    Description: i.Description,
    RegionId: i.RegionId,
    ZoneId: i.ZoneId,
    OSType: i.OSType,
    OSName: image?.OSName || (i.OSType === "windows" ? "Windows Server 2022 Datacenter 64-bit" : "Alibaba Cloud Linux 3.2104 LTS 64-bit"),
    Status: i.Status,
    InstanceType: i.InstanceType,
    InstanceTypeFamily: i.InstanceType.split(".").slice(0, 2).join("."),
    Cpu: type.cpu,
    Memory: type.memory,
    ImageId: i.ImageId,
    InstanceChargeType: "PostPaid",
    InternetChargeType: "PayByTraffic",
    InstanceNetworkType: "vpc",
    IoOptimized: true,
    DeviceAvailable: true,
    DeletionProtection: false,
    Recyclable: false,
    StoppedMode: i.Status === "Stopped" ? "KeepCharging" : "Not-applicable",
    CreationTime: isoMinute(Date.parse(i.CreationTime)),
    StartTime: isoMinute(Date.parse(i.CreationTime)),
    ExpiredTime: "2099-12-31T15:59Z",
    KeyPairName: i.KeyPairName ?? "",
    SpotStrategy: i.SpotStrategy,
    SpotPriceLimit: i.SpotPriceLimit,
    ...(i.SpotDuration !== undefined ? { SpotDuration: i.SpotDuration } : {}),
    SpotInterruptionBehavior: i.SpotInterruptionBehavior,
    VpcAttributes: { VpcId: i.VpcId, VSwitchId: i.VSwitchId, NatIpAddress: "", PrivateIpAddress: { IpAddress: [i.PrivateIpAddress] } },
    SecurityGroupIds: { SecurityGroupId: [...i.SecurityGroupIds] },
    InnerIpAddress: { IpAddress: [] },
    PublicIpAddress: { IpAddress: [] },
    MetadataOptions: { HttpEndpoint: "enabled", HttpTokens: i.HttpTokens, HttpPutResponseHopLimit: 1 },
    OperationLocks: { LockReason: operationLocks(i) },
    Tags: tagsTK(i.tags),
  };
}

function renderImage(m: AlicloudModel, img: Image) {
  const status = m.images.status(img);
  const used = [...m.ecs.instances.values()].some((i) => i.ImageId === img.ImageId);
  return {
    ImageId: img.ImageId,
    ImageName: img.ImageName,
    Description: img.Description,
    Status: status,
    Progress: m.images.progress(img),
    Size: img.Size,
    CreationTime: iso(img.createdAt),
    OSType: img.OSType,
    OSName: img.OSName,
    OSNameEn: img.OSName,
    Platform: img.Platform,
    Architecture: "x86_64",
    ImageOwnerAlias: img.OwnerAlias,
    IsPublic: img.OwnerAlias === "system",
    IsSelfShared: "",
    IsSupportCloudinit: true,
    IsSupportIoOptimized: true,
    Usage: used ? "instance" : "none",
    DiskDeviceMappings: {
      DiskDeviceMapping: img.snapshots.map((s) => ({ SnapshotId: s.SnapshotId, Size: String(s.Size), Device: s.Device, Type: s.Type, Format: "", Progress: m.images.progress(img) })),
    },
    Tags: tagsTK(img.tags),
  };
}

export const LAUNCH_ACTIONS: Record<string, Handler> = {
  RunInstances(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    // Without a launch template these are required (RunInstancesRequest.imageId / instanceType / securityGroupId).
    for (const p of ["ImageId", "InstanceType"]) if (!q[p]) throw new AcsError("MissingParameter", 400, `The input parameter "${p}" that is mandatory for processing this request is not supplied.`);
    const single = q.SecurityGroupId ? [q.SecurityGroupId] : [];
    const many = list(q, "SecurityGroupIds");
    // "You cannot specify both SecurityGroupId and SecurityGroupIds.N at the same time."
    if (single.length && many.length) throw new AcsError("InvalidParameter.Conflict", 400, "SecurityGroupId and SecurityGroupIds.N cannot be specified together.");
    if (!q.VSwitchId) throw new AcsError("MissingParameter", 400, 'The input parameter "VSwitchId" that is mandatory for processing this request is not supplied.');
    const dataDisks: DataDiskRequest[] = objects(q, "DataDisk").map((d) => ({
      Category: d.Category,
      Size: num(d.Size),
      SnapshotId: d.SnapshotId,
      Device: d.Device,
      DeleteWithInstance: d.DeleteWithInstance === undefined ? undefined : /^true$/i.test(d.DeleteWithInstance),
      PerformanceLevel: d.PerformanceLevel,
    }));
    if (dataDisks.length > 16) throw new AcsError("InvalidParameter", 400, "DataDisk.N takes 1 to 16 disks.");
    const launchTags = tags(q);
    return m.tokens.run("RunInstances", q.ClientToken, q, () => {
      if (bool(q, "DryRun", false)) throw new AcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      const made = m.lifecycle.run({
        RegionId: region,
        ImageId: q.ImageId,
        InstanceType: q.InstanceType,
        ZoneId: q.ZoneId,
        VSwitchId: q.VSwitchId,
        SecurityGroupIds: single.length ? single : many,
        InstanceName: q.InstanceName,
        HostName: q.HostName,
        Description: q.Description,
        Password: q.Password,
        PasswordInherit: bool(q, "PasswordInherit", false),
        KeyPairName: q.KeyPairName,
        UserData: q.UserData,
        SpotStrategy: q.SpotStrategy || "NoSpot", // "Default value: NoSpot"
        SpotPriceLimit: num(q.SpotPriceLimit),
        SpotDuration: num(q.SpotDuration),
        SpotInterruptionBehavior: q.SpotInterruptionBehavior,
        SystemDisk: { Category: q["SystemDisk.Category"], Size: num(q["SystemDisk.Size"]), PerformanceLevel: q["SystemDisk.PerformanceLevel"] },
        DataDisks: dataDisks,
        Tags: launchTags,
        Amount: num(q.Amount) ?? 1,
        HttpTokens: q.HttpTokens,
        RamRoleName: q.RamRoleName,
      });
      return { InstanceIdSets: { InstanceIdSet: made.map((i) => i.InstanceId) } };
    });
  },

  DescribeInstances(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    // InstanceIds: "a JSON array that consists of up to 100 instance IDs".
    const ids = jsonList(q, "InstanceIds", malformedIds("InstanceIds"));
    if (ids.length > 100) throw malformedIds("InstanceIds");
    const want = filterTags(q);
    const items = [...m.ecs.instances.values()].filter(
      (i) =>
        i.RegionId === region &&
        (ids.length === 0 || ids.includes(i.InstanceId)) &&
        (!q.Status || i.Status === q.Status) &&
        (!q.InstanceName || i.InstanceName === q.InstanceName) &&
        (!q.ZoneId || i.ZoneId === q.ZoneId) &&
        (!q.VSwitchId || i.VSwitchId === q.VSwitchId) &&
        (!q.VpcId || i.VpcId === q.VpcId) &&
        (!q.InstanceType || i.InstanceType === q.InstanceType) &&
        (!q.ImageId || i.ImageId === q.ImageId) &&
        (!q.KeyPairName || i.KeyPairName === q.KeyPairName) &&
        (!q.LockReason || operationLocks(i).some((l) => l.LockReason === q.LockReason)) &&
        hasTags(i.tags, want),
    );
    const p = page(q, items, 100);
    return { Instances: { Instance: p.items.map((i) => renderInstance(m, i)) }, TotalCount: p.TotalCount, PageNumber: p.PageNumber, PageSize: p.PageSize, NextToken: p.NextToken };
  },

  DescribeUserData(q, m) {
    const inst = m.ecs.instance(q.InstanceId, q.RegionId); // both required by the model (spec.json)
    return { InstanceId: inst.InstanceId, RegionId: inst.RegionId, UserData: inst.UserData ?? "" };
  },

  DeleteInstances(q, m) {
    const ids = list(q, "InstanceId");
    if (ids.length === 0 || ids.length > 100) throw new AcsError("InvalidParameter", 400, "InstanceId.N takes 1 to 100 instances."); // "Array length: 1 to 100"
    return m.tokens.run("DeleteInstances", q.ClientToken, q, () => {
      if (bool(q, "DryRun", false)) throw new AcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      m.lifecycle.delete(ids, q.RegionId, bool(q, "Force", false));
      return {};
    });
  },

  /** The older single-instance form: its model has no RegionId, so the instance is found in any region. */
  DeleteInstance(q, m) {
    const inst = m.ecs.instances.get(q.InstanceId);
    if (!inst) throw new AcsError("InvalidInstanceId.NotFound", 404, "The specified InstanceId does not exist.");
    if (bool(q, "DryRun", false)) throw new AcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
    m.lifecycle.delete([inst.InstanceId], inst.RegionId, bool(q, "Force", false));
    return {};
  },

  CreateImage(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    // "The priority of request parameters is: InstanceId > DiskDeviceMapping > SnapshotId": the emulator makes images of instances only.
    if (!q.InstanceId) throw new AcsError("InvalidParameter", 400, "The emulator makes custom images of instances only: InstanceId is required here.");
    const imageTags = tags(q);
    return m.tokens.run("CreateImage", q.ClientToken, q, () => {
      if (bool(q, "DryRun", false)) throw new AcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      const img = m.images.createFromInstance({ RegionId: region, InstanceId: q.InstanceId, ImageName: q.ImageName, Description: q.Description, Tags: imageTags });
      return { ImageId: img.ImageId };
    });
  },

  DescribeImages(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    // Status: comma-separated; "Default value: Available"; ALL alone means every status.
    const asked = (q.Status || "Available").split(",").map((s) => s.trim()).filter(Boolean);
    if (asked.includes("ALL") && asked.length > 1) throw new AcsError("InvalidStatus.ValueNotSupported", 400, "ALL cannot be used together with other status values.");
    const statuses = asked.includes("ALL") ? undefined : asked;
    const want = filterTags(q);
    const owner = q.ImageOwnerAlias;
    if (owner && !["system", "self", "others", "marketplace"].includes(owner)) throw new AcsError("InvalidImageOwnerAlias.ValueNotSupported", 400, "The specified ImageOwnerAlias value is not supported.");
    const items = [...m.images.images.values()]
      .filter(
        (img) =>
          img.RegionId === region &&
          (!q.ImageId || q.ImageId.split(",").includes(img.ImageId)) &&
          (!statuses || statuses.includes(m.images.status(img))) &&
          (!owner || img.OwnerAlias === owner) &&
          (!q.ImageName || img.ImageName.includes(q.ImageName)) && // "Fuzzy search is supported."
          (!q.SnapshotId || img.snapshots.some((s) => s.SnapshotId === q.SnapshotId)) &&
          hasTags(img.tags, want),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const p = page({ PageSize: q.PageSize, PageNumber: q.PageNumber }, items, 100); // PageSize: "Maximum value: 100. Default value: 10."
    return { RegionId: region, Images: { Image: p.items.map((img) => renderImage(m, img)) }, TotalCount: p.TotalCount, PageNumber: p.PageNumber, PageSize: p.PageSize };
  },

  DeleteImage(q, m) {
    m.images.delete(q.ImageId, q.RegionId, bool(q, "Force", false)); // both required by the model (spec.json)
    return {};
  },
};

