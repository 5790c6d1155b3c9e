// Volcengine storage_ebs 2020-04-01 actions (its own service name in the signature's credential scope):
// volumes, snapshots and snapshot groups, automatic snapshot policies, and tags on them. Shapes follow
// volcengine-go-sdk service/storageebs and volcenginesdkstorageebs 5.0.54 (DescribeVolumes,
// CreateSnapshot, CreateSnapshotGroup, DescribeSnapshots, DescribeSnapshotGroups, DeleteSnapshot,
// DeleteSnapshotGroup, Create/Modify/Apply/Cancel/Delete/DescribeAutoSnapshotPolicy, CreateTags,
// DeleteTags); paging by PageNumber/PageSize ≤ 100.
import type { Handler } from "./ecs";
import { ApiError, invalidParameter, missingParameter } from "./errors";
import type { AutoSnapshotPolicy, Snapshot, SnapshotGroup, Tag, Volume, VolcengineModel } from "./models";
import { int, iso, list, matchesTagFilters, pageByNumber, required, tagsParam, type Flat } from "./params";

function renderVolume(m: VolcengineModel, v: Volume) {
  const inst = v.InstanceId ? m.instances.get(v.InstanceId) : undefined;
  return {
    VolumeId: v.VolumeId,
    VolumeName: v.VolumeName,
    Kind: v.Kind,
    VolumeType: v.VolumeType,
    Size: String(v.Size), // a string in VolumeForDescribeVolumesOutput
    DeleteWithInstance: v.DeleteWithInstance,
    InstanceId: v.InstanceId ?? "",
    ZoneId: v.ZoneId,
    Status: inst ? "attached" : "available",
    ImageId: v.ImageId ?? "",
    SourceSnapshotId: v.SourceSnapshotId ?? "",
    CreatedAt: iso(v.createdAt),
    // VolumeForDescribeVolumesOutput carries one policy per volume (AutoSnapshotPolicyId/Name).
    AutoSnapshotPolicyId: v.autoSnapshotPolicyId ?? "",
    AutoSnapshotPolicyName: (v.autoSnapshotPolicyId && m.policies.get(v.autoSnapshotPolicyId)?.AutoSnapshotPolicyName) || "",
  };
}

function renderSnapshot(m: VolcengineModel, s: Snapshot) {
  const status = m.snapshotStatus(s);
  const total = Math.max(1, s.readyAt - s.createdAt);
  return {
    SnapshotId: s.SnapshotId,
    SnapshotName: s.SnapshotName,
    Description: s.Description,
    VolumeId: s.VolumeId,
    VolumeKind: s.VolumeKind,
    VolumeSize: s.VolumeSize,
    VolumeType: s.VolumeType,
    ZoneId: s.ZoneId,
    SnapshotGroupId: s.groupId ?? "",
    Status: status,
    Progress: status === "available" ? 100 : status === "failed" ? 0 : Math.min(99, Math.floor(((Date.now() - s.createdAt) / total) * 100)),
    CreationTime: iso(s.createdAt),
    // SnapshotForDescribeSnapshotsOutput: SnapshotType and RetentionDays (values of the type: settings).
    SnapshotType: s.auto ? m.opts.autoSnapshotType : m.opts.userSnapshotType,
    RetentionDays: s.auto ? s.auto.retentionDays : -1,
    Tags: s.Tags,
  };
}

function renderGroup(m: VolcengineModel, g: SnapshotGroup) {
  return {
    SnapshotGroupId: g.SnapshotGroupId,
    Name: g.Name,
    Description: g.Description,
    InstanceId: g.InstanceId,
    Status: m.groupStatus(g),
    CreationTime: iso(g.createdAt),
    Snapshots: g.snapshotIds.map((s) => m.snapshots.get(s)).filter((s): s is Snapshot => s !== undefined).map((s) => renderSnapshot(m, s)),
    Tags: g.Tags,
  };
}

export const EBS_ACTIONS: Record<string, Handler> = {
  DescribeVolumes(p, m) {
    const ids = list(p, "VolumeIds", 100);
    if (p.Kind && !["system", "data"].includes(p.Kind)) throw invalidParameter("Kind", "system or data");
    const all = [...m.volumes.values()]
      .filter((v) => ids.length === 0 || ids.includes(v.VolumeId))
      .filter((v) => !p.InstanceId || v.InstanceId === p.InstanceId)
      .filter((v) => !p.Kind || v.Kind === p.Kind)
      .filter((v) => !p.ZoneId || v.ZoneId === p.ZoneId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.Kind === "system" ? -1 : 1));
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return { Volumes: items.map((v) => renderVolume(m, v)), ...paging };
  },

  CreateSnapshot(p, m) {
    const VolumeId = required(p, "VolumeId");
    const SnapshotName = required(p, "SnapshotName");
    return m.tokens.run("CreateSnapshot", p.ClientToken, p, () => ({ SnapshotId: m.createSnapshot({ VolumeId, SnapshotName, Description: p.Description, Tags: tagsParam(p) }).SnapshotId }));
  },

  CreateSnapshotGroup(p, m) {
    const VolumeIds = list(p, "VolumeIds");
    if (VolumeIds.length === 0) throw missingParameter("VolumeIds.1");
    return m.tokens.run("CreateSnapshotGroup", p.ClientToken, p, () => ({
      SnapshotGroupId: m.createSnapshotGroup({ VolumeIds, InstanceId: p.InstanceId || undefined, Name: p.Name ?? "", Description: p.Description, Tags: tagsParam(p) }).SnapshotGroupId,
    }));
  },

  DescribeSnapshots(p, m) {
    const ids = list(p, "SnapshotIds", 100);
    const statuses = list(p, "SnapshotStatus");
    const all = [...m.snapshots.values()]
      .filter((s) => ids.length === 0 || ids.includes(s.SnapshotId))
      .filter((s) => !p.VolumeId || s.VolumeId === p.VolumeId)
      .filter((s) => statuses.length === 0 || statuses.includes(m.snapshotStatus(s)))
      .filter((s) => matchesTagFilters(s.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return { Snapshots: items.map((s) => renderSnapshot(m, s)), ...paging };
  },

  DescribeSnapshotGroups(p, m) {
    const ids = list(p, "SnapshotGroupIds", 100);
    const statuses = list(p, "Status");
    const all = [...m.groups.values()]
      .filter((g) => ids.length === 0 || ids.includes(g.SnapshotGroupId))
      .filter((g) => !p.InstanceId || g.InstanceId === p.InstanceId)
      .filter((g) => !p.Name || g.Name === p.Name)
      .filter((g) => statuses.length === 0 || statuses.includes(m.groupStatus(g)))
      .filter((g) => matchesTagFilters(g.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return { SnapshotGroups: items.map((g) => renderGroup(m, g)), ...paging };
  },

  DeleteSnapshot(p, m) {
    m.deleteSnapshot(required(p, "SnapshotId"));
    return {};
  },

  DeleteSnapshotGroup(p, m) {
    m.deleteSnapshotGroup(required(p, "SnapshotGroupId"));
    return {};
  },

  CreateAutoSnapshotPolicy(p, m) {
    const name = required(p, "AutoSnapshotPolicyName");
    if (name.length > 128) throw invalidParameter("AutoSnapshotPolicyName", "at most 128 characters");
    const schedule = scheduleParams(p, true);
    const policy = m.createPolicy({ AutoSnapshotPolicyName: name, ProjectName: p.ProjectName || undefined, TimePoints: schedule.TimePoints!, RepeatWeekdays: schedule.RepeatWeekdays ?? [], RepeatDays: schedule.RepeatDays, RetentionDays: retentionParam(p, true)!, Tags: tagsParam(p) });
    return { AutoSnapshotPolicyId: policy.AutoSnapshotPolicyId };
  },

  ModifyAutoSnapshotPolicy(p, m) {
    const policyId = required(p, "AutoSnapshotPolicyId");
    if (p.AutoSnapshotPolicyName !== undefined && (!p.AutoSnapshotPolicyName || p.AutoSnapshotPolicyName.length > 128)) throw invalidParameter("AutoSnapshotPolicyName", "1 to 128 characters");
    m.modifyPolicy(policyId, { AutoSnapshotPolicyName: p.AutoSnapshotPolicyName, ...scheduleParams(p, false), RetentionDays: retentionParam(p, false) });
    return {};
  },

  ApplyAutoSnapshotPolicy(p, m) {
    const ids = list(p, "VolumeIds");
    if (ids.length === 0) throw missingParameter("VolumeIds.1");
    m.applyPolicy(required(p, "AutoSnapshotPolicyId"), ids);
    return {};
  },

  CancelAutoSnapshotPolicy(p, m) {
    const ids = list(p, "VolumeIds");
    if (ids.length === 0) throw missingParameter("VolumeIds.1");
    m.cancelPolicy(required(p, "AutoSnapshotPolicyId"), ids);
    return {};
  },

  DeleteAutoSnapshotPolicy(p, m) {
    m.deletePolicy(required(p, "AutoSnapshotPolicyId"));
    return {};
  },

  DescribeAutoSnapshotPolicy(p, m) {
    const ids = list(p, "AutoSnapshotPolicyIds", 100);
    const all = [...m.policies.values()]
      .filter((x) => ids.length === 0 || ids.includes(x.AutoSnapshotPolicyId))
      .filter((x) => !p.ProjectName || x.ProjectName === p.ProjectName)
      .filter((x) => matchesTagFilters(x.Tags, p))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return { AutoSnapshotPolicies: items.map((x) => renderPolicy(m, x)), ...paging };
  },

  // storage_ebs's own tag actions; terraform-provider-volcengine tags snapshots (ResourceType "snapshot")
  // and auto snapshot policies ("snapshotpolicy") through them (ve.SetResourceTags).
  CreateTags(p, m) {
    const type = ebsResourceType(p);
    const ids = list(p, "ResourceIds", 50);
    if (ids.length === 0) throw missingParameter("ResourceIds.1");
    const tags = tagsParam(p);
    return {
      OperationDetails: ids.map((ResourceId) => {
        try {
          const current = ebsTags(m, type, ResourceId);
          m.checkTagsToCreate(tags.filter((t) => !current.some((c) => c.Key === t.Key)), current.length);
          for (const t of tags) {
            const existing = current.find((c) => c.Key === t.Key);
            if (existing) existing.Value = t.Value;
            else current.push({ ...t });
          }
          return { ResourceId };
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          return { ResourceId, Error: { Code: e.code, Message: e.message } };
        }
      }),
    };
  },

  // storage_ebs DeleteTags answers an empty Result (its model has no OperationDetails, unlike ecs's).
  DeleteTags(p, m) {
    const type = ebsResourceType(p);
    const ids = list(p, "ResourceIds", 50);
    if (ids.length === 0) throw missingParameter("ResourceIds.1");
    const keys = list(p, "TagKeys");
    for (const rid of ids) {
      const current = ebsTags(m, type, rid);
      current.splice(0, current.length, ...current.filter((t) => !keys.includes(t.Key)));
    }
    return {};
  },
};

/** TimePoints.N (hours 0-23), RepeatWeekdays.N (1-7, 1 = Monday) xor RepeatDays (1-30): terraform's ebs_auto_snapshot_policy doc. */
function scheduleParams(p: Flat, creating: boolean): { TimePoints?: number[]; RepeatWeekdays?: number[]; RepeatDays?: number } {
  const numbers = (name: string, min: number, max: number) =>
    list(p, name).map((v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) throw invalidParameter(`${name}.N`, `whole numbers from ${min} to ${max}`);
      return n;
    });
  const TimePoints = numbers("TimePoints", 0, 23);
  const RepeatWeekdays = numbers("RepeatWeekdays", 1, 7);
  const RepeatDays = int(p, "RepeatDays", 1, 30);
  if (RepeatWeekdays.length && RepeatDays !== undefined) throw invalidParameter("RepeatDays", "only one of RepeatWeekdays and RepeatDays may be set");
  if (creating && TimePoints.length === 0) throw missingParameter("TimePoints.1");
  if (creating && !RepeatWeekdays.length && RepeatDays === undefined) throw missingParameter("RepeatWeekdays.1");
  return { TimePoints: TimePoints.length ? [...new Set(TimePoints)].sort((a, b) => a - b) : undefined, RepeatWeekdays: RepeatWeekdays.length ? [...new Set(RepeatWeekdays)].sort((a, b) => a - b) : undefined, RepeatDays };
}

/** RetentionDays: -1 (forever) or 1-65536 (terraform's ebs_auto_snapshot_policy doc). */
function retentionParam(p: Flat, creating: boolean): number | undefined {
  if (p.RetentionDays === undefined || p.RetentionDays === "") {
    if (creating) throw missingParameter("RetentionDays");
    return undefined;
  }
  const n = Number(p.RetentionDays);
  if (!Number.isInteger(n) || !(n === -1 || (n >= 1 && n <= 65536))) throw invalidParameter("RetentionDays", "-1 (keep forever) or 1 to 65536 days");
  return n;
}

function renderPolicy(m: VolcengineModel, x: AutoSnapshotPolicy) {
  return {
    AutoSnapshotPolicyId: x.AutoSnapshotPolicyId,
    AutoSnapshotPolicyName: x.AutoSnapshotPolicyName,
    ProjectName: x.ProjectName,
    TimePoints: x.timePoints.map(String),
    RepeatWeekdays: x.repeatWeekdays.map(String),
    ...(x.repeatDays !== undefined ? { RepeatDays: x.repeatDays } : {}),
    RetentionDays: x.RetentionDays,
    // The model types Status as a string; its values are not documented.
    Status: "available",
    VolumeNums: m.policyVolumes(x.AutoSnapshotPolicyId).length,
    CreatedAt: iso(x.createdAt),
    UpdatedAt: iso(x.updatedAt),
    Tags: x.Tags,
  };
}

const EBS_RESOURCE_TYPES = ["snapshot", "snapshotpolicy"];

function ebsResourceType(p: Flat): string {
  const type = required(p, "ResourceType");
  if (!EBS_RESOURCE_TYPES.includes(type)) throw invalidParameter("ResourceType", `one of ${EBS_RESOURCE_TYPES.join(", ")}`);
  return type;
}

function ebsTags(m: VolcengineModel, type: string, id: string): Tag[] {
  return type === "snapshot" ? m.getSnapshot(id).Tags : m.getPolicy(id).Tags;
}
