// ECS 2014-05-26 actions (instances, disks, instance RAM roles, snapshot groups, snapshots): parse the
// flat parameters, validate as the API does, call the models, render the body (the service adds
// RequestId). Response shapes follow the @alicloud/ecs20140526 7.x models. Required parameters and
// types are checked before these run, from the models (../validation.ts); what is left here are the
// API's own rules (limits, cross-field rules, codes the references document).
import { AcsError } from "../errors";
import type { AlicloudModel } from "../models";
import { bool, int, jsonList, list, paginate, required, tags, type Handler, type Query } from "../params";
import { parsePolicyDocument } from "../ram/model";
import type { AutoSnapshot } from "./autoSnapshotPolicies";
import type { Disk, Instance, Snapshot, SnapshotGroup, Tag } from "./model";

const malformedIds = (name: string) => new AcsError(`Invalid${name}.Malformed`, 400, `The specified ${name} is not valid: a JSON array of strings is expected, e.g. ["id-1"].`);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function renderDisk(m: AlicloudModel, i: Pick<Instance, "RegionId" | "ZoneId" | "CreationTime">, d: Disk) {
  const policies = m.autoSnapshots.policiesOf(d.DiskId);
  return {
    // The automatic snapshot policy applied (the first, when several are: autoSnapshotPolicies.ts).
    AutoSnapshotPolicyId: policies[0]?.AutoSnapshotPolicyId ?? "",
    EnableAutoSnapshot: true,
    EnableAutomatedSnapshotPolicy: policies.length > 0,
    DiskId: d.DiskId,
    DiskName: "",
    InstanceId: d.InstanceId,
    RegionId: i.RegionId,
    ZoneId: i.ZoneId,
    Type: d.Type,
    Category: d.Category,
    PerformanceLevel: d.PerformanceLevel ?? "",
    // A disk kept after its instance went is Available (DeleteInstance: "converted to a pay-as-you-go disk and retained").
    Status: d.InstanceId ? "In_use" : "Available",
    Size: d.Size,
    Device: d.InstanceId ? d.Device : "",
    Portable: d.Type === "data",
    DeleteWithInstance: d.DeleteWithInstance,
    SourceSnapshotId: d.SourceSnapshotId ?? "",
    Encrypted: false,
    CreationTime: i.CreationTime,
    Tags: { Tag: [] },
  };
}

const tagsKV = (t: Tag[]) => ({ Tag: t.map(({ Key, Value }) => ({ Key, Value })) });
const tagsTK = (t: Tag[]) => ({ Tag: t.map(({ Key, Value }) => ({ TagKey: Key, TagValue: Value })) });
const hasTags = (have: Tag[], want: Tag[]) => want.every((w) => have.some((h) => h.Key === w.Key && (w.Value === "" || h.Value === w.Value)));

function renderGroup(m: AlicloudModel, g: SnapshotGroup) {
  return {
    SnapshotGroupId: g.SnapshotGroupId,
    Name: g.Name,
    Description: g.Description,
    InstanceId: g.InstanceId,
    Status: m.ecs.groupStatus(g),
    // "Not open for use yet" in the reference; the cloud sends it empty.
    ProgressStatus: "",
    CreationTime: iso(g.createdAt),
    ResourceGroupId: "",
    Tags: tagsKV(g.tags),
    Snapshots: {
      Snapshot: g.snapshots.map((s) => ({
        SnapshotId: s.SnapshotId,
        SourceDiskId: s.SourceDiskId,
        SourceDiskType: s.SourceDiskType,
        Progress: m.ecs.progress(g),
        Available: m.ecs.available(g, s),
        InstantAccess: s.InstantAccess,
        InstantAccessRetentionDays: s.InstantAccessRetentionDays,
        Tags: tagsKV(s.tags),
      })),
    },
  };
}

function renderAutoSnapshot(m: AlicloudModel, s: AutoSnapshot) {
  const status = m.autoSnapshots.status(s);
  return {
    SnapshotId: s.SnapshotId,
    SnapshotName: s.SnapshotName,
    Description: "",
    SourceDiskId: s.SourceDiskId,
    SourceDiskType: s.SourceDiskType,
    SourceDiskSize: String(s.SourceDiskSize),
    Status: status,
    Progress: status === "accomplished" ? "100%" : `${Math.min(99, Math.floor((100 * (m.clock.now() - s.createdAt)) / Math.max(1, s.readyAt - s.createdAt)))}%`,
    Available: status === "accomplished",
    InstantAccess: false,
    Category: "standard",
    SnapshotType: "auto",
    Usage: "none",
    Encrypted: false,
    RegionId: s.RegionId,
    CreationTime: iso(s.createdAt),
    // Days left of its retention (RetentionDays is the policy's; absent when kept until deleted).
    ...(s.expiresAt !== undefined ? { RetentionDays: Math.round((s.expiresAt - s.createdAt) / 86_400_000), RemainTime: Math.max(0, Math.round((s.expiresAt - m.clock.now()) / 1000)) } : {}),
    Tags: tagsTK(s.tags),
  };
}

function renderSnapshot(m: AlicloudModel, g: SnapshotGroup, s: Snapshot) {
  return {
    SnapshotId: s.SnapshotId,
    SnapshotName: g.Name ? `${g.Name}-${s.SourceDiskType}` : "",
    Description: g.Description,
    SourceDiskId: s.SourceDiskId,
    SourceDiskType: s.SourceDiskType,
    SourceDiskSize: String(s.SourceDiskSize),
    Status: m.ecs.groupStatus(g),
    Progress: m.ecs.progress(g),
    Available: m.ecs.available(g, s),
    InstantAccess: s.InstantAccess,
    InstantAccessRetentionDays: s.InstantAccessRetentionDays,
    Category: s.InstantAccess ? "flash" : "standard",
    SnapshotType: "user",
    Usage: "none",
    Encrypted: false,
    RegionId: g.RegionId,
    CreationTime: iso(g.createdAt),
    Tags: tagsTK(s.tags),
  };
}

/** The instances of a JSON-array parameter, reported per instance (AttachInstanceRamRole style). */
function instanceIdsParam(q: Query): string[] {
  const ids = jsonList(q, "InstanceIds", malformedIds("InstanceIds"));
  if (ids.length === 0) throw new AcsError("MissingParameter", 400, 'The input parameter "InstanceIds" that is mandatory for processing this request is not supplied.');
  if (ids.length > 100) throw malformedIds("InstanceIds");
  return ids;
}

export const ECS_ACTIONS: Record<string, Handler> = {
  DescribeDisks(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const ids = jsonList(q, "DiskIds", malformedIds("DiskIds"));
    if (ids.length > 100) throw malformedIds("DiskIds");
    if (q.DiskType && !["all", "system", "data"].includes(q.DiskType)) throw new AcsError("InvalidDiskType.ValueNotSupported", 400, "The specified DiskType is not supported.");
    const loose = [...m.ecs.looseDisks.values()].map((d) => ({ i: { RegionId: region, ZoneId: "", CreationTime: "" }, d }));
    const rows = [...[...m.ecs.instances.values()].filter((i) => i.RegionId === region).flatMap((i) => i.disks.map((d) => ({ i, d }))), ...loose];
    const items = rows.filter(
      ({ d }) =>
        (ids.length === 0 || ids.includes(d.DiskId)) &&
        (!q.InstanceId || d.InstanceId === q.InstanceId) &&
        (!q.Category || q.Category === "all" || d.Category === q.Category) &&
        (!q.DiskType || q.DiskType === "all" || d.Type === q.DiskType) &&
        (!q.Status || q.Status === "All" || q.Status === (d.InstanceId ? "In_use" : "Available")) &&
        (!q.AutoSnapshotPolicyId || m.autoSnapshots.policiesOf(d.DiskId).some((p) => p.AutoSnapshotPolicyId === q.AutoSnapshotPolicyId)),
    );
    const page = paginate(q, items, { maxPageSize: 100 });
    return { Disks: { Disk: page.items.map(({ i, d }) => renderDisk(m, i, d)) }, TotalCount: page.TotalCount, PageNumber: page.PageNumber, PageSize: page.PageSize, NextToken: page.NextToken };
  },

  AttachInstanceRamRole(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const roleName = q.RamRoleName; // required by the model (spec.json)
    const ids = instanceIdsParam(q);
    if (!m.ram.roles.has(roleName)) throw new AcsError("InvalidRamRole.NotFound", 404, "The specified RAMRoleName does not exist.");
    if (!m.ram.trusts(roleName, "ecs.aliyuncs.com")) throw new AcsError("InvalidRamRole.NotEcsRole", 404, "The specified ram role is not authorized for ecs, please check your role policy.");
    // An optional policy narrows what the role may do on these instances.
    if (q.Policy !== undefined && q.Policy !== "") {
      if (q.Policy.length > 1024) throw new AcsError("InvalidParameter.Policy", 400, "The specified Policy is longer than 1024 characters.");
      parsePolicyDocument(q.Policy, "permission");
    }
    const results = ids.map((id) => {
      const inst = m.ecs.instances.get(id);
      if (!inst || inst.RegionId !== region) return { InstanceId: id, Success: false, Code: "InvalidInstanceId.NotFound", Message: "The specified instanceId does not exist" };
      // The reference says binding a second role is an error but names no code for it.
      if (inst.ramRoleName && inst.ramRoleName !== roleName) return { InstanceId: id, Success: false, Code: "InvalidInstanceRamRole.AlreadyAttached", Message: `The instance already has the RAM role ${inst.ramRoleName}; detach it first.` };
      inst.ramRoleName = roleName;
      inst.ramRolePolicy = q.Policy || undefined;
      return { InstanceId: id, Success: true, Code: "200", Message: "success" };
    });
    return { RamRoleName: roleName, TotalCount: ids.length, FailCount: results.filter((r) => !r.Success).length, AttachInstanceRamRoleResults: { AttachInstanceRamRoleResult: results } };
  },

  DescribeInstanceRamRole(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const ids = jsonList(q, "InstanceIds", malformedIds("InstanceIds"));
    if (ids.length > 50) throw malformedIds("InstanceIds"); // InstanceIds takes at most 50 (API notes, Corrections)
    const items = [...m.ecs.instances.values()]
      .filter((i) => i.RegionId === region && i.ramRoleName && (ids.length === 0 || ids.includes(i.InstanceId)) && (!q.RamRoleName || i.ramRoleName === q.RamRoleName))
      .map((i) => ({ InstanceId: i.InstanceId, RamRoleName: i.ramRoleName! }));
    // PageSize 1-50, default 10 (API notes, Corrections); the response model carries TotalCount only.
    const page = paginate(q, items, { maxPageSize: 50, defaultPageSize: 10 });
    return { RegionId: region, TotalCount: page.TotalCount, InstanceRamRoleSets: { InstanceRamRoleSet: page.items } };
  },

  DetachInstanceRamRole(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const ids = instanceIdsParam(q);
    const results = ids.map((id) => {
      const inst = m.ecs.instances.get(id);
      if (!inst || inst.RegionId !== region) return { InstanceId: id, Success: false, Code: "InvalidInstanceId.NotFound", Message: "The specified instanceId does not exist", InstanceRamRoleSets: { InstanceRamRoleSet: [] } };
      const current = inst.ramRoleName;
      // No published code for "not attached / another role"; named after AttachInstanceRamRole's.
      if (!current || (q.RamRoleName && current !== q.RamRoleName)) {
        return { InstanceId: id, Success: false, Code: "InvalidRamRole.NotAttached", Message: current ? `The instance's RAM role is ${current}, not ${q.RamRoleName}.` : "The instance has no RAM role attached.", InstanceRamRoleSets: { InstanceRamRoleSet: [] } };
      }
      inst.ramRoleName = undefined;
      inst.ramRolePolicy = undefined;
      return { InstanceId: id, Success: true, Code: "200", Message: "success", InstanceRamRoleSets: { InstanceRamRoleSet: [{ InstanceId: id, RamRoleName: current }] } };
    });
    return { RamRoleName: q.RamRoleName ?? "", TotalCount: ids.length, FailCount: results.filter((r) => !r.Success).length, DetachInstanceRamRoleResults: { DetachInstanceRamRoleResult: results } };
  },

  CreateSnapshotGroup(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const instanceId = required(q, "InstanceId");
    const diskIds = list(q, "DiskId");
    const excluded = list(q, "ExcludeDiskId");
    const instantAccess = bool(q, "InstantAccess", false);
    const days = int(q, "InstantAccessRetentionDays", { min: 1, max: 65535, error: new AcsError("InvalidRetentionDays.Malformed", 400, "The specified RetentionDays is not valid.") });
    const groupTags = tags(q);
    return m.tokens.run("CreateSnapshotGroup", q.ClientToken, q, () => {
      const g = m.ecs.createSnapshotGroup({ RegionId: region, InstanceId: instanceId, DiskIds: diskIds, ExcludeDiskIds: excluded, InstantAccess: instantAccess, InstantAccessRetentionDays: days, Name: q.Name, Description: q.Description, Tags: groupTags });
      return { SnapshotGroupId: g.SnapshotGroupId };
    });
  },

  DescribeSnapshotGroups(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const ids = list(q, "SnapshotGroupId");
    if (ids.length > 10) throw new AcsError("InvalidParameter.SnapshotGroupId", 400, "SnapshotGroupId.N takes at most 10 ids.");
    const statuses = list(q, "Status");
    const bad = statuses.find((s) => !["progressing", "accomplished", "failed"].includes(s));
    if (bad) throw new AcsError("InvalidStatus.ValueNotSupported", 403, `The specified Status ${bad} is not supported.`);
    const want = tags(q);
    const items = [...m.ecs.groups.values()].filter(
      (g) =>
        g.RegionId === region &&
        (ids.length === 0 || ids.includes(g.SnapshotGroupId)) &&
        (!q.InstanceId || g.InstanceId === q.InstanceId) &&
        (!q.Name || g.Name === q.Name) &&
        (statuses.length === 0 || statuses.includes(m.ecs.groupStatus(g))) &&
        hasTags(g.tags, want),
    );
    const page = paginate(q, items, { maxPageSize: 100 });
    return { SnapshotGroups: { SnapshotGroup: page.items.map((g) => renderGroup(m, g)) }, NextToken: page.NextToken };
  },

  DeleteSnapshotGroup(q, m) {
    const { deleted, kept } = m.ecs.deleteSnapshotGroup(q.SnapshotGroupId, q.RegionId); // both required by the model (spec.json)
    const item = (id: string) => ({ RelatedItem: [{ Name: "SnapshotId", Value: id }] });
    return {
      OperationProgressSet: {
        OperationProgress: [
          ...deleted.map((s) => ({ OperationStatus: "Success", ErrorCode: "", ErrorMsg: "", RelatedItemSet: item(s.SnapshotId) })),
          // DeleteSnapshot's documented refusal for a snapshot an image was made from; whether a group delete
          // reports the same code per snapshot is not documented.
          ...kept.map((s) => ({ OperationStatus: "Failed", ErrorCode: "SnapshotCreatedImage", ErrorMsg: "The snapshot has been used to create user defined image(s).", RelatedItemSet: item(s.SnapshotId) })),
        ],
      },
    };
  },

  DescribeSnapshots(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const ids = jsonList(q, "SnapshotIds", malformedIds("SnapshotIds"));
    if (ids.length > 100) throw malformedIds("SnapshotIds");
    if (q.Status && !["progressing", "accomplished", "failed", "all"].includes(q.Status)) throw new AcsError("InvalidStatus.ValueNotSupported", 403, `The specified Status ${q.Status} is not supported.`);
    const want = tags(q);
    // SnapshotType: auto, user or all (default) — DescribeSnapshotsRequest.snapshotType.
    const type = q.SnapshotType || "all";
    if (!["auto", "user", "all"].includes(type)) throw new AcsError("InvalidSnapshotType.ValueNotSupported", 400, `The specified SnapshotType ${type} is not supported.`);
    const user = m.ecs
      .snapshots()
      .filter(
        ({ g, s }) =>
          g.RegionId === region &&
          (ids.length === 0 || ids.includes(s.SnapshotId)) &&
          (!q.InstanceId || g.InstanceId === q.InstanceId) &&
          (!q.DiskId || s.SourceDiskId === q.DiskId) &&
          (!q.Status || q.Status === "all" || m.ecs.groupStatus(g) === q.Status) &&
          hasTags(s.tags, want),
      )
      .map(({ g, s }) => ({ at: g.createdAt, render: () => renderSnapshot(m, g, s) }));
    const auto = [...m.autoSnapshots.snapshots.values()]
      .filter((s) => {
        const disk = m.ecs.findDisk(s.SourceDiskId);
        return (
          s.RegionId === region &&
          (ids.length === 0 || ids.includes(s.SnapshotId)) &&
          (!q.InstanceId || disk?.InstanceId === q.InstanceId) &&
          (!q.DiskId || s.SourceDiskId === q.DiskId) &&
          (!q.Status || q.Status === "all" || m.autoSnapshots.status(s) === q.Status) &&
          hasTags(s.tags, want)
        );
      })
      .map((s) => ({ at: s.createdAt, render: () => renderAutoSnapshot(m, s) }));
    // Newest first, as the console lists them.
    const items = [...(type === "auto" ? [] : user), ...(type === "user" ? [] : auto)].sort((a, b) => b.at - a.at);
    const page = paginate(q, items, { maxPageSize: 100 });
    return { Snapshots: { Snapshot: page.items.map((i) => i.render()) }, TotalCount: page.TotalCount, PageNumber: page.PageNumber, PageSize: page.PageSize, NextToken: page.NextToken };
  },

  /**
   * DeleteSnapshot (no RegionId in its model: ids are global). "If the specified snapshot ID does not exist,
   * the request is ignored." An automatic snapshot goes at once; an image's snapshot (images.ts) only once
   * no image uses it (SnapshotCreatedImage) and, without Force, no disk was made from it
   * (SnapshotCreatedDisk); a snapshot of a snapshot group leaves its group (which goes with its last
   * snapshot), refused while an image was made from it (DeleteSnapshot's documented codes).
   */
  DeleteSnapshot(q, m) {
    const id = q.SnapshotId; // required by the model (spec.json)
    if (m.autoSnapshots.snapshots.delete(id)) return {};
    if (m.images.deleteSnapshot(id, bool(q, "Force", false))) return {};
    const found = m.ecs.snapshots().find(({ s }) => s.SnapshotId === id);
    if (!found) return {};
    if (found.s.usedByImage) throw new AcsError("SnapshotCreatedImage", 403, "The snapshot has been used to create user defined image(s).");
    found.g.snapshots = found.g.snapshots.filter((s) => s !== found.s);
    if (found.g.snapshots.length === 0) m.ecs.groups.delete(found.g.SnapshotGroupId);
    return {};
  },
};

