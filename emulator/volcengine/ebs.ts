// Volcengine storage_ebs 2020-04-01 actions (its own service name in the signature's credential scope):
// volumes, snapshots and snapshot groups. Shapes follow volcengine-go-sdk service/storageebs
// (DescribeVolumes, CreateSnapshot, CreateSnapshotGroup, DescribeSnapshots, DescribeSnapshotGroups,
// DeleteSnapshot, DeleteSnapshotGroup); paging by PageNumber/PageSize ≤ 100.
import type { Handler } from "./ecs";
import { invalidParameter, missingParameter } from "./errors";
import type { Snapshot, SnapshotGroup, Volume, VolcengineModel } from "./models";
import { iso, list, matchesTagFilters, pageByNumber, required, tagsParam } from "./params";

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
};
