// Finders and calls for storage_ebs automatic snapshot policies (volcenginesdkstorageebs 5.0.54 models:
// CreateAutoSnapshotPolicy {AutoSnapshotPolicyName, ProjectName, RepeatDays, RepeatWeekdays, RetentionDays,
// Tags, TimePoints} → AutoSnapshotPolicyId; Modify/Apply/Cancel/Delete take AutoSnapshotPolicyId;
// DescribeAutoSnapshotPolicy pages by PageNumber/PageSize ≤ 100 and filters by TagFilters).
import { CloudError, NotFoundError } from "../core/errors";
import type { VolcengineClient } from "./client";
import { tagList, type Tag } from "./tags";
import type { Volume } from "./volumes";

/** AutoSnapshotPolicyForDescribeAutoSnapshotPolicyOutput. */
export interface SnapshotPolicy {
  AutoSnapshotPolicyId: string;
  AutoSnapshotPolicyName: string;
  ProjectName?: string;
  TimePoints?: string[];
  RepeatWeekdays?: string[];
  RepeatDays?: number;
  RetentionDays: number;
  Status?: string;
  VolumeNums?: number;
  CreatedAt?: string;
  UpdatedAt?: string;
  Tags?: Tag[];
}

export interface PolicySchedule {
  timePoints: number[];
  repeatWeekdays?: number[];
  repeatDays?: number;
  retentionDays: number;
}

const PAGE = 100;

async function describe(client: VolcengineClient, filter: { ids?: string[]; tag?: { Key: string; Values?: string[] } }): Promise<SnapshotPolicy[]> {
  const out: SnapshotPolicy[] = [];
  for (let page = 1; ; page++) {
    const res = await client.ebs<{ AutoSnapshotPolicies?: SnapshotPolicy[]; TotalCount?: number }>("DescribeAutoSnapshotPolicy", {
      AutoSnapshotPolicyIds: filter.ids,
      TagFilters: filter.tag ? [filter.tag] : undefined,
      PageNumber: page,
      PageSize: PAGE,
    });
    const got = res.AutoSnapshotPolicies ?? [];
    out.push(...got);
    if (got.length < PAGE || out.length >= (res.TotalCount ?? 0)) break;
  }
  return out;
}

export async function findSnapshotPolicy(client: VolcengineClient, id: string): Promise<SnapshotPolicy> {
  const found = (await describe(client, { ids: [id] })).find((p) => p.AutoSnapshotPolicyId === id);
  if (!found) throw new NotFoundError("auto snapshot policy", id);
  return found;
}

export function listSnapshotPoliciesByTag(client: VolcengineClient, key: string, values?: string[]): Promise<SnapshotPolicy[]> {
  return describe(client, { tag: { Key: key, Values: values } });
}

/** The schedule as the API takes it: hours and weekdays as strings (TimePoints.N, RepeatWeekdays.N are list[str] in the model). */
export function scheduleParams(s: Partial<PolicySchedule>): Record<string, unknown> {
  return {
    TimePoints: s.timePoints?.map(String),
    RepeatWeekdays: s.repeatWeekdays?.map(String),
    RepeatDays: s.repeatDays,
    RetentionDays: s.retentionDays,
  };
}

/** The schedule as the API reports it (strings back to numbers; RepeatDays 0 or absent = weekdays). */
export function scheduleOf(p: SnapshotPolicy): PolicySchedule {
  const days = p.RepeatDays && p.RepeatDays > 0 ? p.RepeatDays : undefined;
  return {
    timePoints: (p.TimePoints ?? []).map(Number).sort((a, b) => a - b),
    ...(days ? { repeatDays: days } : { repeatWeekdays: (p.RepeatWeekdays ?? []).map(Number).sort((a, b) => a - b) }),
    retentionDays: p.RetentionDays,
  };
}

/** CreateAutoSnapshotPolicy takes no ClientToken: the caller goes through findOrCreate with a token tag. */
export async function createSnapshotPolicy(client: VolcengineClient, req: { name: string; projectName?: string; schedule: PolicySchedule; tags: Record<string, string> }): Promise<string> {
  const res = await client.ebs<{ AutoSnapshotPolicyId: string }>(
    "CreateAutoSnapshotPolicy",
    { AutoSnapshotPolicyName: req.name, ProjectName: req.projectName, ...scheduleParams(req.schedule), Tags: tagList(req.tags) },
    { safe: false },
  );
  return res.AutoSnapshotPolicyId;
}

const chunks = <T>(items: T[], n: number): T[][] => Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, (i + 1) * n));

/** Apply or Cancel for a set of volumes (no documented maximum per call: 100 at a time, DescribeVolumes' page). */
export async function setPolicyOnVolumes(client: VolcengineClient, action: "ApplyAutoSnapshotPolicy" | "CancelAutoSnapshotPolicy", policyId: string, volumeIds: string[]): Promise<void> {
  // Applying or cancelling again leaves the volume as it is: safe to repeat.
  for (const batch of chunks(volumeIds, 100)) await client.ebs(action, { AutoSnapshotPolicyId: policyId, VolumeIds: batch }, { safe: true });
}

/** DeleteAutoSnapshotPolicy; a policy already gone is deleted. */
export async function deleteSnapshotPolicy(client: VolcengineClient, id: string): Promise<void> {
  try {
    await client.ebs("DeleteAutoSnapshotPolicy", { AutoSnapshotPolicyId: id }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && /NotFound/.test(err.code)) return;
    throw err;
  }
}

/** Volumes by id (those that no longer exist are simply absent), DescribeVolumes VolumeIds.N ≤ 100 per page. */
export async function volumesById(client: VolcengineClient, ids: string[]): Promise<Volume[]> {
  const out: Volume[] = [];
  for (const batch of chunks([...new Set(ids)], 100)) {
    const res = await client.ebs<{ Volumes?: Volume[] }>("DescribeVolumes", { VolumeIds: batch, PageNumber: 1, PageSize: 100 });
    out.push(...(res.Volumes ?? []));
  }
  return out;
}

/** storage_ebs's own tag actions on a policy (ResourceType "snapshotpolicy", as terraform-provider-volcengine's ve.SetResourceTags sends it). */
export async function syncPolicyTags(client: VolcengineClient, id: string, olds: Record<string, string>, news: Record<string, string>): Promise<void> {
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = Object.entries(news).filter(([k, v]) => olds[k] !== v);
  if (removed.length) await client.ebs("DeleteTags", { ResourceType: "snapshotpolicy", ResourceIds: [id], TagKeys: removed }, { safe: true });
  if (changed.length) {
    const res = await client.ebs<{ OperationDetails?: { ResourceId?: string; Error?: { Code?: string; Message?: string } }[] }>("CreateTags", { ResourceType: "snapshotpolicy", ResourceIds: [id], Tags: tagList(Object.fromEntries(changed)) }, { safe: true });
    const failed = (res.OperationDetails ?? []).find((d) => d.Error?.Code);
    if (failed) throw new CloudError({ cloud: "volcengine", action: "CreateTags", code: failed.Error!.Code!, message: failed.Error!.Message ?? "" });
  }
}
