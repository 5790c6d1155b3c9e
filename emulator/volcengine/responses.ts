// Volcengine ECS actions: parse the flattened GET parameters, validate them as the API does, call the
// model, render the Result. Errors are ApiError; the service wraps them in ResponseMetadata.Error.
// Required parameters, types and the models' limits are checked before these run (./validation.ts,
// from the SDK models in spec.json); what is left here are the API's own rules the models do not carry
// (limits from the docs, cross-field rules, state). Result shapes follow the volcenginesdkecs
// *Response models (spec.json "output"; test/conformance checks them).
import type { Clock } from "../clock";
import { ApiError, type Image, type Instance, type Tag, type VolcengineModel } from "./models";
import { list, objects, type Flat } from "./params";

type Handler = (p: Flat, m: VolcengineModel, clock: Clock) => unknown;

function required(p: Flat, name: string): string {
  const v = p[name];
  if (v === undefined || v === "") throw new ApiError("MissingParameter", 400, `The required parameter ${name} is missing.`);
  return v;
}

function int(p: Flat, name: string, min: number, max: number, dflt?: number): number | undefined {
  const raw = p[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError("InvalidParameter", 400, `${name} must be an integer from ${min} to ${max}, got ${raw}.`);
  return n;
}

function bool(p: Flat, name: string, dflt: boolean): boolean {
  const raw = p[name];
  if (raw === undefined || raw === "") return dflt;
  if (raw !== "true" && raw !== "false") throw new ApiError("InvalidParameter", 400, `${name} must be true or false, got ${raw}.`);
  return raw === "true";
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function tagsParam(p: Flat, name = "Tags"): Tag[] {
  const tags = objects(p, name).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
  for (const t of tags) if (!t.Key) throw new ApiError("InvalidParameter", 400, `${name}.N.Key must not be empty.`);
  if (tags.length > 20) throw new ApiError("InvalidParameter", 400, `At most 20 tags, got ${tags.length}.`);
  return tags;
}

/** NextToken is an opaque offset. */
function page<T>(items: T[], p: Flat, max = 100, dflt = 20): { items: T[]; NextToken: string } {
  const size = int(p, "MaxResults", 1, max, dflt)!;
  const offset = p.NextToken ? Number(Buffer.from(p.NextToken, "base64url").toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ApiError("InvalidParameter", 400, "NextToken is not valid.");
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString("base64url") : "";
  return { items: slice, NextToken: next };
}

function matchesTagFilters(tags: Tag[], p: Flat): boolean {
  return objects(p, "TagFilters").every((f) => {
    const values = Object.entries(f)
      .filter(([k]) => /^Values\.\d+$/.test(k))
      .map(([, v]) => v);
    return tags.some((t) => t.Key === f.Key && (values.length === 0 || values.includes(t.Value)));
  });
}

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
    KeyPairName: i.KeyPairName,
    OsType: "Linux",
    StoppedMode: "",
    CreatedAt: iso(i.createdAt),
    UpdatedAt: iso(i.updatedAt),
    NetworkInterfaces: [{ NetworkInterfaceId: `eni-${i.InstanceId.slice(2)}`, Type: "primary", SubnetId: i.SubnetId, PrimaryIpAddress: i.PrimaryIpAddress, SecurityGroupIds: i.SecurityGroupIds }],
    // VolumeForDescribeInstancesOutput has VolumeId only: kind, type, size come from storage_ebs DescribeVolumes.
    Volumes: i.Volumes.map((v) => ({ VolumeId: v.VolumeId })),
    Tags: i.Tags,
  };
}

/** Runs `act` on each resource; a failure is that resource's Error, not the request's. */
function perResource(ids: string[], act: (rid: string) => void): { ResourceId: string; Error?: { Code: string; Message: string } }[] {
  return ids.map((ResourceId) => {
    try {
      act(ResourceId);
      return { ResourceId };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return { ResourceId, Error: { Code: e.code, Message: e.message } };
    }
  });
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
    // ImageForDescribeImagesOutput has no InstanceId (the source instance is the admin API's).
    Snapshots: img.Visibility === "private" ? [{ SnapshotId: `snap-${img.ImageId.slice(6)}`, Size: img.Size }] : [],
    Tags: img.Tags,
  };
}

const SPOT_STRATEGIES = ["NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit"];
const VOLUME_TYPES = ["ESSD_PL0", "ESSD_PL1", "ESSD_PL2", "ESSD_PL3", "ESSD_FlexPL", "PTSSD"];

export const ACTIONS: Record<string, Handler> = {
  RunInstances(p, m) {
    const { ZoneId, ImageId, InstanceName } = p; // required by the model (spec.json)
    // The model (RunInstancesRequest) takes the type as InstanceTypeId or InstanceType and requires
    // neither; one of them names it (API notes: RunInstances).
    const InstanceTypeId = p.InstanceTypeId || p.InstanceType;
    if (!InstanceTypeId) throw new ApiError("MissingParameter", 400, "The required parameter InstanceTypeId is missing.");
    if (InstanceName.length > 128) throw new ApiError("InvalidParameter", 400, "InstanceName is at most 128 characters.");
    const count = int(p, "Count", 1, 100, 1)!;
    const SpotStrategy = p.SpotStrategy || "NoSpot";
    if (!SPOT_STRATEGIES.includes(SpotStrategy)) throw new ApiError("InvalidParameter", 400, `SpotStrategy must be one of ${SPOT_STRATEGIES.join(", ")}.`);
    const chargeType = p.InstanceChargeType || "PostPaid";
    if (!["PostPaid", "PrePaid"].includes(chargeType)) throw new ApiError("InvalidParameter", 400, "InstanceChargeType must be PostPaid or PrePaid.");
    if (SpotStrategy !== "NoSpot" && chargeType !== "PostPaid") throw new ApiError("InvalidParameter", 400, "Spot instances are PostPaid.");
    let SpotPriceLimit: number | undefined;
    if (p.SpotPriceLimit !== undefined && p.SpotPriceLimit !== "") {
      if (SpotStrategy !== "SpotWithPriceLimit") throw new ApiError("InvalidParameter", 400, "SpotPriceLimit is only valid with SpotStrategy SpotWithPriceLimit.");
      SpotPriceLimit = Number(p.SpotPriceLimit);
      if (!(SpotPriceLimit > 0) || !/^\d+(\.\d{1,3})?$/.test(p.SpotPriceLimit)) throw new ApiError("InvalidParameter", 400, "SpotPriceLimit must be a positive number with at most 3 decimals.");
    } else if (SpotStrategy === "SpotWithPriceLimit") {
      throw new ApiError("MissingParameter", 400, "The required parameter SpotPriceLimit is missing.");
    }
    const nics = objects(p, "NetworkInterfaces");
    if (nics.length === 0 || !nics[0].SubnetId) throw new ApiError("MissingParameter", 400, "The required parameter NetworkInterfaces.1.SubnetId is missing.");
    const sgs = Object.entries(nics[0])
      .filter(([k]) => /^SecurityGroupIds\.\d+$/.test(k))
      .sort((a, b) => Number(a[0].split(".")[1]) - Number(b[0].split(".")[1]))
      .map(([, v]) => v);
    if (sgs.length === 0) throw new ApiError("MissingParameter", 400, "The required parameter NetworkInterfaces.1.SecurityGroupIds.1 is missing.");
    const volumes = objects(p, "Volumes").map((v, i) => {
      const type = v.VolumeType || "ESSD_PL0";
      if (!VOLUME_TYPES.includes(type)) throw new ApiError("InvalidParameter", 400, `Volumes.${i + 1}.VolumeType ${type} is not supported.`);
      const size = Number(v.Size ?? (i === 0 ? 40 : NaN));
      if (!Number.isInteger(size) || size < (i === 0 ? 20 : 10) || size > (i === 0 ? 2048 : 32768)) throw new ApiError("InvalidParameter", 400, `Volumes.${i + 1}.Size is out of range.`);
      return { VolumeType: type, Size: size, DeleteWithInstance: v.DeleteWithInstance !== "false" };
    });
    if (p.UserData && !/^[A-Za-z0-9+/]*={0,2}$/.test(p.UserData)) throw new ApiError("InvalidParameter", 400, "UserData must be base64-encoded.");
    if (p.Password && p.KeyPairName) throw new ApiError("InvalidParameter", 400, "Password and KeyPairName are mutually exclusive.");
    const dryRun = bool(p, "DryRun", false);
    return m.tokens.run("RunInstances", p.ClientToken, p, () => {
      if (dryRun) throw new ApiError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        ids.push(
          m.runInstance({
            ZoneId,
            ImageId,
            InstanceTypeId,
            InstanceName,
            Description: p.Description,
            // RunInstancesRequest has both host_name (HostName) and hostname (Hostname); the newer wins.
            HostName: p.Hostname || p.HostName,
            SpotStrategy,
            SpotPriceLimit,
            KeyPairName: p.KeyPairName,
            Password: p.Password,
            UserData: p.UserData,
            SubnetId: nics[0].SubnetId,
            SecurityGroupIds: sgs,
            PrimaryIpAddress: nics[0].PrimaryIpAddress,
            Volumes: volumes,
            Tags: tagsParam(p),
            InstanceChargeType: chargeType,
          }).InstanceId,
        );
      }
      return { InstanceIds: ids };
    });
  },

  DescribeInstances(p, m) {
    const ids = list(p, "InstanceIds");
    if (ids.length > 100) throw new ApiError("InvalidParameter", 400, "InstanceIds takes at most 100 ids.");
    const all = [...m.instances.values()]
      .filter((i) => ids.length === 0 || ids.includes(i.InstanceId))
      .filter((i) => !p.ZoneId || i.ZoneId === p.ZoneId)
      .filter((i) => !p.Status || m.instanceStatus(i) === p.Status)
      .filter((i) => !p.InstanceName || i.InstanceName === p.InstanceName)
      .filter((i) => matchesTagFilters(i.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, NextToken } = page(all, p);
    return { Instances: items.map((i) => renderInstance(m, i)), NextToken, TotalCount: all.length };
  },

  DeleteInstance(p, m) {
    const InstanceId = p.InstanceId; // required by the model (spec.json)
    const dryRun = bool(p, "DryRun", false);
    return m.tokens.run("DeleteInstance", p.ClientToken, p, () => {
      if (dryRun) {
        m.getInstance(InstanceId);
        throw new ApiError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      }
      m.deleteInstance(InstanceId);
      return {};
    });
  },

  ModifyInstanceAttribute(p, m, clock) {
    const inst = m.getInstance(p.InstanceId); // required by the model (spec.json)
    if (p.InstanceName !== undefined) {
      if (!p.InstanceName || p.InstanceName.length > 128) throw new ApiError("InvalidParameter", 400, "InstanceName must be 1 to 128 characters.");
      inst.InstanceName = p.InstanceName;
    }
    if (p.Description !== undefined) inst.Description = p.Description;
    if (p.Password) inst.hasPassword = true;
    if (p.UserData !== undefined) inst.UserData = p.UserData;
    inst.updatedAt = clock.now();
    return {};
  },

  CreateImage(p, m) {
    // ImageName is required by the model (spec.json; its code, MissingParameter.ImageName, in models.ts).
    // The model requires none of InstanceId, SnapshotId, SnapshotGroupId — the API takes exactly one
    // (API notes: CreateImage); the emulator images instances only.
    const InstanceId = required(p, "InstanceId");
    const ImageName = p.ImageName;
    if (ImageName.length > 128) throw new ApiError("InvalidParameter", 400, "ImageName is at most 128 characters.");
    return { ImageId: m.createImage({ InstanceId, ImageName, Description: p.Description, Tags: tagsParam(p) }).ImageId };
  },

  DescribeImages(p, m) {
    const ids = list(p, "ImageIds");
    const statuses = list(p, "Status");
    const all = [...m.images.values()]
      .filter((i) => ids.length === 0 || ids.includes(i.ImageId))
      .filter((i) => statuses.length === 0 || statuses.includes(m.imageStatus(i)))
      .filter((i) => !p.ImageName || i.ImageName === p.ImageName)
      .filter((i) => !p.Visibility || i.Visibility === p.Visibility)
      .filter((i) => matchesTagFilters(i.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, NextToken } = page(all, p);
    return { Images: items.map((i) => renderImage(m, i)), NextToken, TotalCount: all.length };
  },

  DeleteImages(p, m) {
    const ids = list(p, "ImageIds");
    if (ids.length === 0) throw new ApiError("MissingParameter", 400, "The required parameter ImageIds.1 is missing.");
    return {
      OperationDetails: ids.map((ImageId) => {
        try {
          m.deleteImage(ImageId);
          return { ImageId };
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          return { ImageId, Error: { Code: e.code, Message: e.message } };
        }
      }),
    };
  },

  DescribeSystemEvents(p, m, clock) {
    const resourceIds = list(p, "ResourceIds");
    if (resourceIds.length > 100) throw new ApiError("InvalidParameter", 400, "ResourceIds takes at most 100 ids.");
    const eventIds = list(p, "EventIds");
    const types = list(p, "Types");
    const statuses = list(p, "Status");
    const end = p.CreatedAtEnd ? Date.parse(p.CreatedAtEnd) : clock.now();
    const start = p.CreatedAtStart ? Date.parse(p.CreatedAtStart) : end - 24 * 3600_000;
    if (Number.isNaN(start) || Number.isNaN(end)) throw new ApiError("InvalidParameter", 400, "CreatedAtStart and CreatedAtEnd are RFC 3339 times.");
    const all = [...m.events.values()]
      .filter((e) => resourceIds.length === 0 || resourceIds.includes(e.ResourceId))
      .filter((e) => eventIds.length === 0 || eventIds.includes(e.Id))
      .filter((e) => types.length === 0 || types.includes(e.Type))
      .filter((e) => statuses.length === 0 || statuses.includes(m.eventStatus(e)))
      .filter((e) => !p.Category || e.Category === p.Category)
      .filter((e) => e.createdAt >= start && e.createdAt <= end)
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, NextToken } = page(all, p, 100, 10);
    return {
      SystemEvents: items.map((e) => ({
        Id: e.Id,
        ResourceId: e.ResourceId,
        Type: e.Type,
        Status: m.eventStatus(e),
        Category: e.Category,
        ImpactLevel: e.ImpactLevel,
        // SystemEventForDescribeSystemEventsOutput.extra_info is dict(str, str): an object, not a JSON string.
        ExtraInfo: e.ExtraInfo,
        CreatedAt: iso(e.createdAt),
        UpdatedAt: iso(Math.min(clock.now(), e.releaseAt)),
        OperatedStartAt: iso(e.releaseAt),
        OperatedEndAt: clock.now() >= e.releaseAt ? iso(e.releaseAt) : "",
      })),
      NextToken,
    };
  },

  // CreateTags / DeleteTags answer per resource in OperationDetails (CreateTagsResponse /
  // DeleteTagsResponse models; API notes, Tags: "answer per resource in OperationDetails").
  CreateTags(p, m) {
    const type = p.ResourceType; // required by the model (spec.json)
    const ids = list(p, "ResourceIds");
    if (ids.length === 0) throw new ApiError("MissingParameter", 400, "The required parameter ResourceIds.1 is missing.");
    const tags = tagsParam(p);
    return {
      OperationDetails: perResource(ids, (rid) => {
        const current = m.tags(type, rid);
        const merged = [...current.filter((c) => !tags.some((t) => t.Key === c.Key)), ...tags.map((t) => ({ ...t }))];
        if (merged.length > 50) throw new ApiError("InvalidParameter", 400, "A resource takes at most 50 tags.");
        current.splice(0, current.length, ...merged);
      }),
    };
  },

  DeleteTags(p, m) {
    const type = p.ResourceType; // required by the model (spec.json)
    const ids = list(p, "ResourceIds");
    const keys = list(p, "TagKeys");
    return {
      OperationDetails: perResource(ids, (rid) => {
        const current = m.tags(type, rid);
        const kept = current.filter((t) => !keys.includes(t.Key));
        current.splice(0, current.length, ...kept);
      }),
    };
  },

  DescribeTags(p, m) {
    const type = p.ResourceType; // required by the model (spec.json)
    const ids = list(p, "ResourceIds");
    const pool: [string, Tag[]][] =
      type === "instance" ? [...m.instances.values()].map((i) => [i.InstanceId, i.Tags]) : type === "image" ? [...m.images.values()].map((i) => [i.ImageId, i.Tags]) : [];
    // TagResourceForDescribeTagsOutput: ResourceId, ResourceType, TagKey, TagValue under TagResources.
    const rows = pool.filter(([rid]) => ids.length === 0 || ids.includes(rid)).flatMap(([rid, tags]) => tags.map((t) => ({ ResourceId: rid, ResourceType: type, TagKey: t.Key, TagValue: t.Value })));
    const { items, NextToken } = page(rows, p);
    return { TagResources: items, NextToken };
  },

  DescribeZones(_p, m) {
    return { Zones: m.opts.zones.map((ZoneId) => ({ ZoneId })) };
  },
};
