// ECS automatic snapshot policies (2014-05-26 CreateAutoSnapshotPolicy, ApplyAutoSnapshotPolicy,
// CancelAutoSnapshotPolicy, ModifyAutoSnapshotPolicyEx, DeleteAutoSnapshotPolicy, DescribeAutoSnapshotPolicyEx,
// DescribeAutoSnapshotPolicyAssociations) and the automatic snapshots they take, on the emulator's clock.
// Time-driven and lazy: `settle(now)` takes, in time order, every snapshot whose time point has come since
// the last request, and drops every automatic snapshot whose retention has run out.
//
// Sources (one per rule, beside it): the request models of @alicloud/ecs20140526 7.x (their field docs:
// lower-camel wire names; timePoints 0-23 "in UTC+8", up to 24; repeatWeekdays 1-7, 1 = Monday, up to 7;
// retentionDays -1 or 1-65535 on create, "1 to 65536" on ModifyAutoSnapshotPolicyEx; the name rule), the
// CreateAutoSnapshotPolicy and ApplyAutoSnapshotPolicy API references (100 policies per region; a snapshot
// time that comes while the disk's previous automatic snapshot is still being made is skipped; no snapshot
// while the instance is stopping or restarting; ApplyAutoSnapshotPolicy's error table), Alibaba Cloud's
// 2026 notice "A Single Disk Can Be Associated with Up to 10 Automatic Snapshot Policies" (Apply adds a
// policy instead of replacing it, QuotaExceed.AppliedAutoSnapshotPolicyQuota past 10, Cancel without an id
// fails with OperationDenied.TooManyAutoSnapshotPolicies when a disk has several), and
// terraform-provider-alicloud's alicloud_ecs_auto_snapshot_policy (status "Normal"; JSON-array strings read
// back; DeleteAutoSnapshotPolicy of an unknown id answers ParameterInvalid).
// Not confirmed by any source, so settings or guesses named here: how long an automatic snapshot takes
// (`autoSnapshotSeconds`), the "auto_<yyyyMMdd>_<n>" names, that a modified retention applies to snapshots
// taken afterwards only, the codes for a bad time point / weekday / retention / name (ParameterInvalid, as
// ApplyAutoSnapshotPolicy's table words invalid values) and for the 100-policy quota.
import type { Clock } from "../../clock";
import { AcsError, missing } from "../errors";
import type { AlicloudModel } from "../models";
import { int, jsonList, paginate, tags, type Handler, type Query } from "../params";
import { newId, type EcsModel, type Tag } from "./model";

export interface AutoSnapshotSettings {
  region: string;
  autoSnapshotSeconds: number;
  autoSnapshotPoliciesPerDisk: number;
}

export interface AutoSnapshotPolicy {
  AutoSnapshotPolicyId: string;
  RegionId: string;
  Name: string;
  timePoints: number[];
  repeatWeekdays: number[];
  retentionDays: number;
  createdAt: number;
  tags: Tag[];
  diskIds: string[];
  /** How far its time points have been taken into account. */
  scheduledUpTo: number;
}

export interface AutoSnapshot {
  SnapshotId: string;
  SnapshotName: string;
  RegionId: string;
  SourceDiskId: string;
  SourceDiskType: "system" | "data";
  SourceDiskSize: number;
  policyId: string;
  createdAt: number;
  readyAt: number;
  /** When the retention ends (undefined: kept until deleted). */
  expiresAt?: number;
  tags: Tag[];
}

/** The policies' clock: time points and weekdays are read in UTC+8 (CreateAutoSnapshotPolicyRequest.timePoints). */
const UTC8_MS = 8 * 3_600_000;
const HOUR_MS = 3_600_000;
const MAX_POLICIES = 100; // CreateAutoSnapshotPolicy reference: "up to 100 automatic snapshot policies per region"
const NAME = /^[A-Za-z\u4e00-\u9fa5][\w\u4e00-\u9fa5.:-]{1,127}$/; // 2-128, starts with a letter; digits, ":", "_", "-" (and "." per DescribeAutoSnapshotPolicyExRequest)
const BUSY_STATUSES = ["Stopping", "Starting", "Pending"]; // "being stopped or restarted": no automatic snapshot

const paramInvalid = (name: string) => new AcsError("ParameterInvalid", 403, `The specified ${name} parameter is invalid.`);
const policyNotFound = () => new AcsError("InvalidAutoSnapshotPolicyId.NotFound", 404, "Specified parameter AutoSnapshotPolicyId not found.");

export class AutoSnapshotModel {
  readonly policies = new Map<string, AutoSnapshotPolicy>();
  readonly snapshots = new Map<string, AutoSnapshot>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: AutoSnapshotSettings,
    private readonly ecs: EcsModel,
  ) {}

  reset(): void {
    this.policies.clear();
    this.snapshots.clear();
  }

  policy(id: string, region: string): AutoSnapshotPolicy {
    const p = this.policies.get(id);
    if (!p || p.RegionId !== region) throw policyNotFound();
    return p;
  }

  policiesOf(diskId: string): AutoSnapshotPolicy[] {
    return [...this.policies.values()].filter((p) => p.diskIds.includes(diskId));
  }

  /** Takes every automatic snapshot due by `now`, in time order, then drops the expired ones. */
  settle(now = this.clock.now()): void {
    const due: { at: number; p: AutoSnapshotPolicy }[] = [];
    for (const p of this.policies.values()) {
      for (const at of slots(p, p.scheduledUpTo, now)) due.push({ at, p });
      p.scheduledUpTo = now;
    }
    due.sort((a, b) => a.at - b.at);
    for (const { at, p } of due) for (const diskId of p.diskIds) this.take(p, diskId, at);
    for (const s of this.snapshots.values()) if (s.expiresAt !== undefined && s.expiresAt <= now) this.snapshots.delete(s.SnapshotId);
  }

  private take(p: AutoSnapshotPolicy, diskId: string, at: number): void {
    const disk = this.ecs.findDisk(diskId);
    if (!disk) return;
    const inst = this.ecs.instances.get(disk.InstanceId);
    if (!inst || BUSY_STATUSES.includes(inst.Status)) return;
    // The disk's previous automatic snapshot still being made: this time point is skipped.
    if ([...this.snapshots.values()].some((s) => s.SourceDiskId === diskId && s.readyAt > at)) return;
    const day = new Date(at + UTC8_MS).toISOString().slice(0, 10).replace(/-/g, "");
    const n = [...this.snapshots.values()].filter((s) => s.SourceDiskId === diskId && s.SnapshotName.startsWith(`auto_${day}_`)).length + 1;
    const s: AutoSnapshot = {
      SnapshotId: newId("s"),
      SnapshotName: `auto_${day}_${n}`,
      RegionId: p.RegionId,
      SourceDiskId: diskId,
      SourceDiskType: disk.Type,
      SourceDiskSize: disk.Size,
      policyId: p.AutoSnapshotPolicyId,
      createdAt: at,
      readyAt: at + this.settings.autoSnapshotSeconds * 1000,
      expiresAt: p.retentionDays === -1 ? undefined : at + p.retentionDays * 86_400_000,
      tags: [],
    };
    this.snapshots.set(s.SnapshotId, s);
  }

  status(s: AutoSnapshot, now = this.clock.now()): "progressing" | "accomplished" {
    return now < s.readyAt ? "progressing" : "accomplished";
  }
}

/** The time points of a policy in (after, upTo], on its weekdays, read in UTC+8. */
function slots(p: AutoSnapshotPolicy, after: number, upTo: number): number[] {
  const out: number[] = [];
  for (let t = (Math.floor((after + UTC8_MS) / HOUR_MS) + 1) * HOUR_MS - UTC8_MS; t <= upTo; t += HOUR_MS) {
    const local = new Date(t + UTC8_MS);
    const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay(); // 1 = Monday … 7 = Sunday
    if (p.timePoints.includes(local.getUTCHours()) && p.repeatWeekdays.includes(weekday)) out.push(t);
    if (out.length >= 10_000) break; // a jump of years over an hourly policy: enough
  }
  return out;
}

/** A JSON array of whole numbers as strings (or numbers) within [min, max], at most `maxItems`, no duplicates. */
function numberList(q: Query, name: string, min: number, max: number, maxItems: number): number[] | undefined {
  if (q[name] === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(q[name]);
  } catch {
    throw paramInvalid(name);
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > maxItems) throw paramInvalid(name);
  const nums = v.map((x) => (typeof x === "string" && /^\d+$/.test(x.trim()) ? Number(x) : typeof x === "number" ? x : NaN));
  if (nums.some((n) => !Number.isInteger(n) || n < min || n > max) || new Set(nums).size < nums.length) throw paramInvalid(name);
  return nums.sort((a, b) => a - b);
}

function retention(q: Query, max: number): number | undefined {
  const days = int(q, "retentionDays", { min: -1, max, error: paramInvalid("retentionDays") });
  if (days === 0) throw paramInvalid("retentionDays");
  return days;
}

function policyName(q: Query): string | undefined {
  const name = q.autoSnapshotPolicyName;
  if (name === undefined || name === "") return undefined;
  if (!NAME.test(name) || /^https?:\/\//i.test(name)) throw paramInvalid("autoSnapshotPolicyName");
  return name;
}

/** diskIds as a JSON array of disk ids in the region. */
function disks(q: Query, m: AlicloudModel, region: string): string[] {
  const ids = jsonList(q, "diskIds", paramInvalid("DiskIds"));
  if (ids.length === 0) throw missing("diskIds");
  for (const id of ids) {
    const d = m.ecs.findDisk(id);
    if (!d || m.ecs.instances.get(d.InstanceId)?.RegionId !== region) throw new AcsError("InvalidDiskId.NotFound", 404, "The specified disk does not exist in the region.");
  }
  return [...new Set(ids)];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const tagsTK = (t: Tag[]) => ({ Tag: t.map(({ Key, Value }) => ({ TagKey: Key, TagValue: Value })) });

function render(p: AutoSnapshotPolicy) {
  return {
    AutoSnapshotPolicyId: p.AutoSnapshotPolicyId,
    AutoSnapshotPolicyName: p.Name,
    RegionId: p.RegionId,
    // Read back as JSON-array strings (terraform-provider-alicloud convertJsonStringToList).
    TimePoints: JSON.stringify(p.timePoints.map(String)),
    RepeatWeekdays: JSON.stringify(p.repeatWeekdays.map(String)),
    RetentionDays: p.retentionDays,
    DiskNums: p.diskIds.length,
    VolumeNums: 0,
    Status: "Normal",
    CreationTime: iso(p.createdAt),
    EnableCrossRegionCopy: false,
    TargetCopyRegions: "[]",
    CopiedSnapshotsRetentionDays: -1,
    AssociationType: "AssociatedWithDisk",
    ResourceGroupId: "",
    Tags: tagsTK(p.tags),
  };
}

export const AUTO_SNAPSHOT_ACTIONS: Record<string, Handler> = {
  CreateAutoSnapshotPolicy(q, m) {
    const region = q.regionId; // required by the model (spec.json), lower-camel on the wire
    const timePoints = numberList(q, "timePoints", 0, 23, 24)!; // required by the model
    const repeatWeekdays = numberList(q, "repeatWeekdays", 1, 7, 7)!; // required by the model
    const retentionDays = retention(q, 65535)!; // required by the model; -1 or 1-65535
    const name = policyName(q);
    const policyTags = tags(q);
    if ([...m.autoSnapshots.policies.values()].filter((p) => p.RegionId === region).length >= MAX_POLICIES) {
      throw new AcsError("QuotaExceed.AutoSnapshotPolicy", 403, "The number of automatic snapshot policies in the region exceeds the quota of 100.");
    }
    const now = m.clock.now();
    const p: AutoSnapshotPolicy = { AutoSnapshotPolicyId: newId("sp"), RegionId: region, Name: name ?? "", timePoints, repeatWeekdays, retentionDays, createdAt: now, tags: policyTags, diskIds: [], scheduledUpTo: now };
    m.autoSnapshots.policies.set(p.AutoSnapshotPolicyId, p);
    return { AutoSnapshotPolicyId: p.AutoSnapshotPolicyId };
  },

  ModifyAutoSnapshotPolicyEx(q, m) {
    const p = m.autoSnapshots.policy(q.autoSnapshotPolicyId, q.regionId); // both required by the model
    const timePoints = numberList(q, "timePoints", 0, 23, 24);
    const repeatWeekdays = numberList(q, "repeatWeekdays", 1, 7, 7);
    const retentionDays = retention(q, 65536); // ModifyAutoSnapshotPolicyExRequest: "1 to 65536"
    const name = policyName(q);
    if (timePoints) p.timePoints = timePoints;
    if (repeatWeekdays) p.repeatWeekdays = repeatWeekdays;
    if (retentionDays !== undefined) p.retentionDays = retentionDays;
    if (name !== undefined) p.Name = name; // "If this parameter is left empty, the name is not modified."
    return {};
  },

  ApplyAutoSnapshotPolicy(q, m) {
    const region = q.regionId; // required by the model
    const p = m.autoSnapshots.policy(q.autoSnapshotPolicyId, region);
    const ids = disks(q, m, region);
    const perDisk = m.opts.autoSnapshotPoliciesPerDisk;
    for (const id of ids) {
      const others = m.autoSnapshots.policiesOf(id).filter((o) => o !== p);
      if (perDisk > 1 && others.length + 1 > perDisk) throw new AcsError("QuotaExceed.AppliedAutoSnapshotPolicyQuota", 403, `The number of auto snapshot policies applied to the specified disk ${id} has exceeded the quota ${perDisk}. Please cancel any unused policies and try again.`);
    }
    for (const id of ids) {
      // One policy per disk (before the upgrade): applying another replaces it.
      if (perDisk === 1) for (const o of m.autoSnapshots.policiesOf(id)) if (o !== p) o.diskIds = o.diskIds.filter((d) => d !== id);
      if (!p.diskIds.includes(id)) p.diskIds.push(id);
    }
    return {};
  },

  CancelAutoSnapshotPolicy(q, m) {
    const region = q.regionId; // required by the model
    const ids = disks(q, m, region);
    const p = q.autoSnapshotPolicyId ? m.autoSnapshots.policy(q.autoSnapshotPolicyId, region) : undefined;
    for (const id of ids) {
      const applied = m.autoSnapshots.policiesOf(id);
      if (!p && applied.length > 1) throw new AcsError("OperationDenied.TooManyAutoSnapshotPolicies", 403, `The disk ${id} has more than one automatic snapshot policy: specify autoSnapshotPolicyId.`);
    }
    for (const id of ids) for (const o of p ? [p] : m.autoSnapshots.policiesOf(id)) o.diskIds = o.diskIds.filter((d) => d !== id);
    return {};
  },

  DeleteAutoSnapshotPolicy(q, m) {
    const p = m.autoSnapshots.policies.get(q.autoSnapshotPolicyId); // required by the model
    // terraform-provider-alicloud treats ParameterInvalid from this call as "already gone".
    if (!p || p.RegionId !== q.regionId) throw new AcsError("ParameterInvalid", 404, "The specified automatic snapshot policy does not exist.");
    // Its disks lose it; the automatic snapshots it took stay until their retention ends.
    m.autoSnapshots.policies.delete(p.AutoSnapshotPolicyId);
    return {};
  },

  DescribeAutoSnapshotPolicyEx(q, m) {
    const region = q.RegionId; // required by the model (PascalCase here)
    const want = tags(q);
    const items = [...m.autoSnapshots.policies.values()].filter(
      (p) =>
        p.RegionId === region &&
        (!q.AutoSnapshotPolicyId || p.AutoSnapshotPolicyId === q.AutoSnapshotPolicyId) &&
        (!q.AutoSnapshotPolicyName || p.Name === q.AutoSnapshotPolicyName) &&
        want.every((t) => p.tags.some((x) => x.Key === t.Key && (t.Value === "" || x.Value === t.Value))),
    );
    // PageSize: at most 100, default 10 (DescribeAutoSnapshotPolicyExRequest).
    const page = paginate(q, items, { maxPageSize: 100, defaultPageSize: 10 });
    return { AutoSnapshotPolicies: { AutoSnapshotPolicy: page.items.map(render) }, TotalCount: page.TotalCount, PageNumber: page.PageNumber, PageSize: page.PageSize };
  },

  DescribeAutoSnapshotPolicyAssociations(q, m) {
    const region = q.RegionId; // required by the model
    // Its error table: one of AutoSnapshotPolicyId and DiskId is needed, and not both.
    if (!q.AutoSnapshotPolicyId && !q.DiskId) throw new AcsError("MissingParameter.AutoSnapshotPolicyIdOrDiskId", 400, "The AutoSnapshotPolicyId and DiskId parameters cannot both be empty. Please specify one of them.");
    if (q.AutoSnapshotPolicyId && q.DiskId) throw new AcsError("ParameterConflict.AutoSnapshotPolicyIdAndDiskId", 403, "The AutoSnapshotPolicyId and DiskId parameters cannot be specified at the same time. You may specify only one of them.");
    const policies = q.AutoSnapshotPolicyId ? [m.autoSnapshots.policy(q.AutoSnapshotPolicyId, region)] : m.autoSnapshots.policiesOf(q.DiskId).filter((p) => p.RegionId === region);
    if (q.DiskId && !m.ecs.findDisk(q.DiskId)) throw new AcsError("InvalidDiskId.NotFound", 404, "The specified disk does not exist.");
    const items = policies.flatMap((p) => p.diskIds.filter((d) => !q.DiskId || d === q.DiskId).map((DiskId) => ({ AutoSnapshotPolicyId: p.AutoSnapshotPolicyId, DiskId })));
    const page = paginate(q, items, { maxPageSize: 100, defaultPageSize: 10 });
    return { AutoSnapshotPolicyAssociations: { AutoSnapshotPolicyAssociation: page.items }, NextToken: page.NextToken };
  },
};
