// Volcengine ECS 2020-04-01 actions: parse the flattened GET parameters, validate as the API does, call
// the model, render the Result. Errors are ApiError; the service wraps them in ResponseMetadata.Error.
// Shapes follow volcengine-go-sdk service/ecs (…Input / …Output) and API-NOTES ("Corrections" win).
import type { Clock } from "../clock";
import { dryRun, invalidParameter, missingParameter } from "./errors";
import { SYSTEM_TAG, type Image, type Instance, type VolcengineModel } from "./models";
import { bool, int, iso, list, matchesTagFilters, objects, page, required, subList, tagsParam, type Flat } from "./params";

export type Handler = (p: Flat, m: VolcengineModel, clock: Clock) => unknown;

export function renderInstance(m: VolcengineModel, i: Instance) {
  const type = m.opts.instanceTypes[i.InstanceTypeId];
  return {
    InstanceId: i.InstanceId,
    InstanceName: i.InstanceName,
    Description: i.Description,
    Hostname: i.Hostname,
    Status: m.instanceStatus(i),
    ZoneId: i.ZoneId,
    VpcId: i.VpcId,
    ImageId: i.ImageId,
    InstanceTypeId: i.InstanceTypeId,
    InstanceChargeType: i.InstanceChargeType,
    SpotStrategy: i.SpotStrategy,
    SpotPriceLimit: i.SpotPriceLimit,
    Cpus: type?.cpus ?? 2,
    MemorySize: type?.memoryMiB ?? 4096,
    KeyPairName: i.credential.kind === "keypair" ? i.credential.name : "",
    ProjectName: i.ProjectName,
    OsType: "Linux",
    StoppedMode: "",
    CreatedAt: iso(i.createdAt),
    UpdatedAt: iso(i.updatedAt),
    NetworkInterfaces: [{ NetworkInterfaceId: `eni-${i.InstanceId.slice(2)}`, Type: "primary", SubnetId: i.SubnetId, PrimaryIpAddress: i.PrimaryIpAddress, SecurityGroupIds: i.SecurityGroupIds }],
    // Only VolumeId: kind, type and size come from storage_ebs DescribeVolumes (VolumeForDescribeInstancesOutput).
    Volumes: i.volumeIds.map((VolumeId) => ({ VolumeId })),
    Tags: i.Tags,
  };
}

export function renderImage(m: VolcengineModel, img: Image) {
  return {
    ImageId: img.ImageId,
    ImageName: img.ImageName,
    Description: img.Description,
    Status: m.imageStatus(img),
    Visibility: img.Visibility,
    OsType: img.OsType,
    Platform: img.Platform,
    Size: img.Size,
    CreatedAt: iso(img.createdAt),
    // SnapshotForDescribeImagesOutput: SnapshotId, VolumeKind, Size.
    Snapshots: img.snapshots,
    Tags: img.Tags,
  };
}

const SPOT_STRATEGIES = ["NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit"];
/** RunInstances Volumes.N.VolumeType: ESSD_PL0 (default) and ESSD_FlexPL documented; PTSSD per the CreateImage doc. */
const VOLUME_TYPES = ["ESSD_PL0", "ESSD_FlexPL", "PTSSD"];
const IMAGE_STATUSES = ["available", "creating", "error"];
const RESOURCE_TYPES = ["instance", "image", "reservedinstance", "scheduledinstance", "keypair"];

export const ECS_ACTIONS: Record<string, Handler> = {
  RunInstances(p, m) {
    const ZoneId = required(p, "ZoneId");
    const ImageId = required(p, "ImageId");
    // RunInstancesRequest takes the type as InstanceTypeId or InstanceType and requires neither; one names it.
    const InstanceTypeId = p.InstanceTypeId || p.InstanceType;
    if (!InstanceTypeId) throw missingParameter("InstanceTypeId");
    const InstanceName = required(p, "InstanceName");
    const count = int(p, "Count", 0, 100, 1) || 1; // 0 means 1 (docs 6396/76275)
    const SpotStrategy = p.SpotStrategy || "NoSpot";
    if (!SPOT_STRATEGIES.includes(SpotStrategy)) throw invalidParameter("SpotStrategy", `one of ${SPOT_STRATEGIES.join(", ")}`);
    const chargeType = p.InstanceChargeType || "PostPaid";
    if (!["PostPaid", "PrePaid"].includes(chargeType)) throw invalidParameter("InstanceChargeType", "PostPaid or PrePaid");
    if (SpotStrategy !== "NoSpot" && chargeType !== "PostPaid") throw invalidParameter("InstanceChargeType", "spot instances are PostPaid");
    let SpotPriceLimit: number | undefined;
    if (p.SpotPriceLimit !== undefined && p.SpotPriceLimit !== "") {
      if (SpotStrategy !== "SpotWithPriceLimit") throw invalidParameter("SpotPriceLimit", "only with SpotStrategy SpotWithPriceLimit");
      SpotPriceLimit = Number(p.SpotPriceLimit);
      if (!(SpotPriceLimit > 0) || !/^\d+(\.\d{1,3})?$/.test(p.SpotPriceLimit)) throw invalidParameter("SpotPriceLimit", "a positive number with at most 3 decimals");
    } else if (SpotStrategy === "SpotWithPriceLimit") {
      throw missingParameter("SpotPriceLimit");
    }
    const nics = objects(p, "NetworkInterfaces");
    if (nics.length === 0 || !nics[0].SubnetId) throw missingParameter("NetworkInterfaces.1.SubnetId");
    const sgs = subList(nics[0], "SecurityGroupIds");
    if (sgs.length === 0) throw missingParameter("NetworkInterfaces.1.SecurityGroupIds.1");
    const vols = objects(p, "Volumes");
    if (vols.length > 16) throw invalidParameter("Volumes.N", "1 to 16 volumes"); // API-NOTES "Corrections"
    const volumes = vols.map((v, i) => {
      const type = v.VolumeType || "ESSD_PL0";
      if (!VOLUME_TYPES.includes(type)) throw invalidParameter(`Volumes.${i + 1}.VolumeType`, `one of ${VOLUME_TYPES.join(", ")}`);
      const size = v.Size === undefined || v.Size === "" ? undefined : Number(v.Size);
      if (size === undefined && i > 0 && !v.SnapshotId) throw missingParameter(`Volumes.${i + 1}.Size`);
      if (size !== undefined && (!Number.isInteger(size) || size < (i === 0 ? 20 : 10) || size > (i === 0 ? 2048 : 32768))) throw invalidParameter(`Volumes.${i + 1}.Size`, "out of range");
      if (v.DeleteWithInstance !== undefined && !["true", "false"].includes(v.DeleteWithInstance)) throw invalidParameter(`Volumes.${i + 1}.DeleteWithInstance`, "true or false");
      return { VolumeType: type, Size: size, DeleteWithInstance: v.DeleteWithInstance === undefined ? undefined : v.DeleteWithInstance === "true", SnapshotId: v.SnapshotId || undefined };
    });
    // UserData: base64, at most 16 KB before encoding (API-NOTES "Corrections").
    if (p.UserData && (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.UserData) || Buffer.from(p.UserData, "base64").length > 16 * 1024)) throw invalidParameter("UserData", "base64 of at most 16 KB");
    if (p.Password && p.KeyPairName) throw invalidParameter("Password", "Password and KeyPairName are mutually exclusive");
    const Hostname = p.Hostname || p.HostName || undefined; // both spellings are in the RunInstances model
    const tags = tagsParam(p);
    const dry = bool(p, "DryRun", false);
    return m.tokens.run("RunInstances", p.ClientToken, p, () => {
      if (dry) throw dryRun();
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        ids.push(
          m.runInstance({
            ZoneId,
            ImageId,
            InstanceTypeId,
            InstanceName,
            Description: p.Description,
            Hostname,
            SpotStrategy,
            SpotPriceLimit,
            KeyPairName: p.KeyPairName,
            Password: p.Password,
            KeepImageCredential: bool(p, "KeepImageCredential", false),
            UserData: p.UserData,
            ProjectName: p.ProjectName,
            SubnetId: nics[0].SubnetId,
            SecurityGroupIds: sgs,
            PrimaryIpAddress: nics[0].PrimaryIpAddress,
            Volumes: volumes,
            Tags: tags,
            InstanceChargeType: chargeType,
          }).InstanceId,
        );
      }
      return { InstanceIds: ids };
    });
  },

  DescribeInstances(p, m) {
    const ids = list(p, "InstanceIds", 100);
    const all = [...m.instances.values()]
      .filter((i) => ids.length === 0 || ids.includes(i.InstanceId))
      .filter((i) => !p.ZoneId || i.ZoneId === p.ZoneId)
      .filter((i) => !p.Status || m.instanceStatus(i) === p.Status)
      .filter((i) => !p.InstanceName || i.InstanceName.includes(p.InstanceName)) // fuzzy (API-NOTES "Corrections")
      .filter((i) => matchesTagFilters(i.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, NextToken } = page(all, p, 100, 10); // MaxResults ≤ 100, default 10
    return { Instances: items.map((i) => renderInstance(m, i)), NextToken, TotalCount: all.length };
  },

  DescribeUserData(p, m) {
    const inst = m.getInstance(required(p, "InstanceId"));
    return { InstanceId: inst.InstanceId, UserData: inst.UserData };
  },

  DeleteInstance(p, m) {
    const InstanceId = required(p, "InstanceId");
    const dry = bool(p, "DryRun", false);
    return m.tokens.run("DeleteInstance", p.ClientToken, p, () => {
      m.getInstance(InstanceId);
      if (dry) throw dryRun();
      m.deleteInstance(InstanceId);
      return {};
    });
  },

  StopInstance(p, m) {
    m.stopInstance(required(p, "InstanceId"));
    return {};
  },

  StartInstance(p, m) {
    m.startInstance(required(p, "InstanceId"));
    return {};
  },

  ModifyInstanceAttribute(p, m, clock) {
    const inst = m.getInstance(required(p, "InstanceId"));
    if (p.InstanceName !== undefined) {
      if (!p.InstanceName || p.InstanceName.length > 128) throw invalidParameter("InstanceName", "1 to 128 characters");
      inst.InstanceName = p.InstanceName;
    }
    if (p.Description !== undefined) inst.Description = p.Description;
    if (p.Hostname) inst.Hostname = p.Hostname;
    if (p.Password) inst.credential = { kind: "password" };
    if (p.UserData !== undefined) inst.UserData = p.UserData;
    inst.updatedAt = clock.now();
    return {};
  },

  CreateImage(p, m) {
    const ImageName = p.ImageName;
    if (!ImageName) throw missingParameter("ImageName");
    if (ImageName.length > 128) throw invalidParameter("ImageName", "at most 128 characters");
    const img = m.createImage({
      InstanceId: p.InstanceId || undefined,
      SnapshotId: p.SnapshotId || undefined,
      SnapshotGroupId: p.SnapshotGroupId || undefined,
      CreateWholeImage: bool(p, "CreateWholeImage", false),
      ImageName,
      Description: p.Description,
      Tags: tagsParam(p),
    });
    return { ImageId: img.ImageId };
  },

  CopyImage(p, m) {
    const ImageId = required(p, "ImageId");
    const ImageName = required(p, "ImageName");
    if (ImageName.length > 128) throw invalidParameter("ImageName", "at most 128 characters");
    const img = m.copyImage({ ImageId, ImageName, DestinationRegion: required(p, "DestinationRegion"), Description: p.Description, CopyImageTags: bool(p, "CopyImageTags", false), Tags: tagsParam(p) });
    return { ImageId: img.ImageId };
  },

  DescribeImages(p, m) {
    const ids = list(p, "ImageIds");
    // Without Status.N only `available` images are listed (API-NOTES "Corrections").
    const statuses = list(p, "Status");
    for (const s of statuses) if (!IMAGE_STATUSES.includes(s)) throw invalidParameter("Status.N", `one of ${IMAGE_STATUSES.join(", ")}`);
    const wanted = statuses.length ? statuses : ["available"];
    const all = [...m.images.values()]
      .filter((i) => ids.length === 0 || ids.includes(i.ImageId))
      .filter((i) => wanted.includes(m.imageStatus(i)))
      .filter((i) => !p.ImageName || i.ImageName === p.ImageName)
      .filter((i) => !p.Visibility || i.Visibility === p.Visibility)
      .filter((i) => matchesTagFilters(i.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    // MaxResults ≤ 100; the default is not in the API notes: 10, as DescribeInstances.
    const { items, NextToken } = page(all, p, 100, 10);
    return { Images: items.map((i) => renderImage(m, i)), NextToken };
  },

  DeleteImages(p, m) {
    const ids = list(p, "ImageIds");
    if (ids.length === 0) throw missingParameter("ImageIds.1");
    // DeleteBindedSnapshots defaults to true (docs 6396/120265).
    const deleteSnapshots = bool(p, "DeleteBindedSnapshots", true);
    return {
      OperationDetails: ids.map((ImageId) => {
        try {
          m.deleteImage(ImageId, deleteSnapshots);
          return { ImageId };
        } catch (e) {
          if (!(e instanceof Error) || !("code" in e)) throw e;
          return { ImageId, Error: { Code: (e as any).code, Message: e.message } };
        }
      }),
    };
  },

  DescribeSystemEvents(p, m, clock) {
    // ResourceIds ≤ 100, Types ≤ 100, Status ≤ 10, MaxResults ≤ 100 default 20 (API-NOTES "Corrections").
    const resourceIds = list(p, "ResourceIds", 100);
    const eventIds = list(p, "EventIds");
    const types = list(p, "Types", 100);
    const statuses = list(p, "Status", 10);
    const end = p.CreatedAtEnd ? Date.parse(p.CreatedAtEnd) : clock.now();
    const start = p.CreatedAtStart ? Date.parse(p.CreatedAtStart) : end - 24 * 3600_000;
    if (Number.isNaN(start) || Number.isNaN(end)) throw invalidParameter("CreatedAtStart", "RFC 3339 times");
    if (p.Category && !["ResourceEvent", "TaskEvent"].includes(p.Category)) throw invalidParameter("Category", "ResourceEvent or TaskEvent");
    const all = [...m.events.values()]
      .filter((e) => resourceIds.length === 0 || resourceIds.includes(e.ResourceId))
      .filter((e) => eventIds.length === 0 || eventIds.includes(e.Id))
      .filter((e) => types.length === 0 || types.includes(e.Type))
      .filter((e) => statuses.length === 0 || statuses.includes(m.eventStatus(e)))
      .filter((e) => !p.Category || e.Category === p.Category)
      .filter((e) => e.createdAt >= start && e.createdAt <= end)
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, NextToken } = page(all, p, 100, 20);
    return {
      SystemEvents: items.map((e) => ({
        Id: e.Id,
        ResourceId: e.ResourceId,
        Type: e.Type,
        Status: m.eventStatus(e),
        Category: e.Category,
        ImpactLevel: e.ImpactLevel,
        ExtraInfo: e.ExtraInfo,
        CreatedAt: iso(e.createdAt),
        UpdatedAt: iso(Math.min(clock.now(), e.releaseAt)),
        OperatedStartAt: iso(e.releaseAt),
        OperatedEndAt: clock.now() >= e.releaseAt ? iso(e.releaseAt) : "",
      })),
      NextToken,
    };
  },

  CreateTags(p, m) {
    const type = resourceType(p);
    const ids = list(p, "ResourceIds", 50);
    if (ids.length === 0) throw missingParameter("ResourceIds.1");
    const tags = tagsParam(p);
    // Answers per resource in OperationDetails (ErrorForCreateTagsOutput): one bad id fails only itself.
    return {
      OperationDetails: ids.map((ResourceId) => {
        try {
          const current = m.tags(type, ResourceId);
          const added = tags.filter((t) => !current.some((c) => c.Key === t.Key));
          m.checkTagsToCreate(added, current.filter((t) => t.Key !== SYSTEM_TAG.Key).length);
          for (const t of tags) {
            const existing = current.find((c) => c.Key === t.Key);
            if (existing) existing.Value = t.Value;
            else current.push({ ...t });
          }
          return { ResourceId };
        } catch (e) {
          return { ResourceId, Error: { Code: (e as any).code ?? "InternalError", Message: (e as Error).message } };
        }
      }),
    };
  },

  DeleteTags(p, m) {
    const type = resourceType(p);
    const ids = list(p, "ResourceIds", 50);
    if (ids.length === 0) throw missingParameter("ResourceIds.1");
    const keys = list(p, "TagKeys");
    return {
      OperationDetails: ids.map((ResourceId) => {
        try {
          const current = m.tags(type, ResourceId);
          current.splice(0, current.length, ...current.filter((t) => !keys.includes(t.Key) || /^(volc|sys):/i.test(t.Key)));
          return { ResourceId };
        } catch (e) {
          return { ResourceId, Error: { Code: (e as any).code ?? "InternalError", Message: (e as Error).message } };
        }
      }),
    };
  },

  DescribeTags(p, m) {
    const type = resourceType(p);
    const ids = list(p, "ResourceIds");
    const pool: [string, { Key: string; Value: string }[]][] =
      type === "instance" ? [...m.instances.values()].map((i) => [i.InstanceId, i.Tags]) : type === "image" ? [...m.images.values()].filter((i) => i.Visibility === "private").map((i) => [i.ImageId, i.Tags]) : [];
    const rows = pool
      .filter(([rid, tags]) => (ids.length === 0 || ids.includes(rid)) && matchesTagFilters(tags, p))
      .flatMap(([rid, tags]) => tags.map((t) => ({ ResourceId: rid, ResourceType: type, TagKey: t.Key, TagValue: t.Value })));
    const { items, NextToken } = page(rows, p, 100, 10);
    // TagResourceForDescribeTagsOutput: ResourceId, ResourceType, TagKey, TagValue.
    return { TagResources: items, NextToken };
  },

  DescribeZones(_p, m) {
    return { Zones: m.opts.zones.map((ZoneId) => ({ ZoneId })) };
  },
};

function resourceType(p: Flat): string {
  const type = required(p, "ResourceType");
  if (!RESOURCE_TYPES.includes(type)) throw invalidParameter("ResourceType", `one of ${RESOURCE_TYPES.join(", ")}`);
  return type;
}
