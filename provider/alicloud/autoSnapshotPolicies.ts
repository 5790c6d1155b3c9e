// Finders and calls for ECS automatic snapshot policies (2014-05-26 CreateAutoSnapshotPolicy,
// ModifyAutoSnapshotPolicyEx, ApplyAutoSnapshotPolicy, CancelAutoSnapshotPolicy, DeleteAutoSnapshotPolicy,
// DescribeAutoSnapshotPolicyEx) and the disks they are applied to (DescribeDisks AutoSnapshotPolicyId).
// The policy APIs take lower-camel wire names (`regionId`, `autoSnapshotPolicyId`, `timePoints`,
// `repeatWeekdays`, `retentionDays`, `diskIds`, per the SDK's request models); list values are JSON-array
// strings. DescribeAutoSnapshotPolicyEx and DescribeDisks are PascalCase.
import { CloudError, NotFoundError } from "../core/errors";
import type { AlicloudClient } from "./client";

/** DescribeAutoSnapshotPolicyEx `AutoSnapshotPolicy` (the fields we use). */
export interface AutoSnapshotPolicy {
  AutoSnapshotPolicyId: string;
  AutoSnapshotPolicyName?: string;
  /** JSON-array strings, e.g. `["1","13"]`. */
  TimePoints?: string;
  RepeatWeekdays?: string;
  RetentionDays?: number;
  Status?: string;
  CreationTime?: string;
  DiskNums?: number;
  Tags?: { Tag?: { TagKey: string; TagValue: string }[] };
}

export interface PolicySchedule {
  name?: string;
  timePoints: number[];
  repeatWeekdays: number[];
  retentionDays: number;
}

const LOWER = { regionParam: "regionId" } as const;
const jsonList = (xs: (string | number)[]) => JSON.stringify(xs.map(String));

/** Reads a JSON-array string of numbers ("[\"1\",\"13\"]") back; [] when absent or unreadable. */
export function numbers(json: string | undefined): number[] {
  try {
    const v = JSON.parse(json ?? "[]");
    return Array.isArray(v) ? v.map(Number).filter(Number.isFinite).sort((a, b) => a - b) : [];
  } catch {
    return [];
  }
}

/** CreateAutoSnapshotPolicy, tagged; returns the id. No ClientToken in its model: the caller's token tag finds a retried create. */
export async function createAutoSnapshotPolicy(client: AlicloudClient, s: PolicySchedule, tags: Record<string, string>): Promise<string> {
  const tagParams: Record<string, string> = {};
  Object.entries(tags).forEach(([k, v], i) => {
    tagParams[`Tag.${i + 1}.Key`] = k;
    tagParams[`Tag.${i + 1}.Value`] = v;
  });
  const res = await client.call<{ AutoSnapshotPolicyId: string }>(
    "ecs",
    "CreateAutoSnapshotPolicy",
    { autoSnapshotPolicyName: s.name, timePoints: jsonList(s.timePoints), repeatWeekdays: jsonList(s.repeatWeekdays), retentionDays: s.retentionDays, ...tagParams },
    { safe: false, ...LOWER },
  );
  return res.AutoSnapshotPolicyId;
}

/** The policy, or NotFoundError (an unknown id lists nothing). */
export async function findAutoSnapshotPolicy(client: AlicloudClient, id: string): Promise<AutoSnapshotPolicy> {
  const res = await client.call<{ AutoSnapshotPolicies?: { AutoSnapshotPolicy?: AutoSnapshotPolicy[] } }>("ecs", "DescribeAutoSnapshotPolicyEx", { AutoSnapshotPolicyId: id });
  const p = res.AutoSnapshotPolicies?.AutoSnapshotPolicy?.find((x) => x.AutoSnapshotPolicyId === id);
  if (!p) throw new NotFoundError("automatic snapshot policy", id);
  return p;
}

/** Policies carrying the tag `key=value`, every page (PageSize at most 100). */
export async function listAutoSnapshotPoliciesByTag(client: AlicloudClient, key: string, value: string): Promise<AutoSnapshotPolicy[]> {
  const out: AutoSnapshotPolicy[] = [];
  for (let page = 1; ; page++) {
    const res = await client.call<{ AutoSnapshotPolicies?: { AutoSnapshotPolicy?: AutoSnapshotPolicy[] }; TotalCount?: number }>("ecs", "DescribeAutoSnapshotPolicyEx", { "Tag.1.Key": key, "Tag.1.Value": value, PageNumber: page, PageSize: 100 });
    const items = res.AutoSnapshotPolicies?.AutoSnapshotPolicy ?? [];
    out.push(...items);
    if (items.length < 100 || out.length >= (res.TotalCount ?? 0)) return out;
  }
}

/** ModifyAutoSnapshotPolicyEx: the schedule, retention and name in place. */
export async function modifyAutoSnapshotPolicy(client: AlicloudClient, id: string, s: PolicySchedule): Promise<void> {
  await client.call("ecs", "ModifyAutoSnapshotPolicyEx", { autoSnapshotPolicyId: id, autoSnapshotPolicyName: s.name, timePoints: jsonList(s.timePoints), repeatWeekdays: jsonList(s.repeatWeekdays), retentionDays: s.retentionDays }, { safe: true, ...LOWER });
}

/** ApplyAutoSnapshotPolicy to disks (a repeat is harmless). */
export async function applyAutoSnapshotPolicy(client: AlicloudClient, id: string, diskIds: string[]): Promise<void> {
  if (diskIds.length) await client.call("ecs", "ApplyAutoSnapshotPolicy", { autoSnapshotPolicyId: id, diskIds: JSON.stringify(diskIds) }, { safe: true, ...LOWER });
}

/** CancelAutoSnapshotPolicy for these disks, naming the policy (a disk may carry several since 2026). */
export async function cancelAutoSnapshotPolicy(client: AlicloudClient, id: string, diskIds: string[]): Promise<void> {
  if (diskIds.length) await client.call("ecs", "CancelAutoSnapshotPolicy", { autoSnapshotPolicyId: id, diskIds: JSON.stringify(diskIds) }, { safe: true, ...LOWER });
}

/** DeleteAutoSnapshotPolicy; one already gone is deleted (ParameterInvalid / NotFound, as Terraform reads it). */
export async function deleteAutoSnapshotPolicy(client: AlicloudClient, id: string): Promise<void> {
  try {
    await client.call("ecs", "DeleteAutoSnapshotPolicy", { autoSnapshotPolicyId: id }, { safe: true, ...LOWER });
  } catch (err) {
    if (err instanceof CloudError && (err.code === "ParameterInvalid" || /NotFound/.test(err.code)) && (err.httpStatus === 404 || /NotFound/.test(err.code))) return;
    throw err;
  }
}

/** The disks the policy is applied to (DescribeDisks AutoSnapshotPolicyId, every page). */
export async function disksWithPolicy(client: AlicloudClient, id: string): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ Disks?: { Disk?: { DiskId: string }[] }; NextToken?: string }>("ecs", "DescribeDisks", { AutoSnapshotPolicyId: id, MaxResults: 100, NextToken: nextToken });
    out.push(...(res.Disks?.Disk ?? []).map((d) => d.DiskId));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out.sort();
}

/** Automatic snapshots of a disk (DescribeSnapshots SnapshotType=auto), newest first. */
export async function autoSnapshotsOf(client: AlicloudClient, diskId: string): Promise<{ SnapshotId: string; CreationTime?: string; Status?: string }[]> {
  const out: { SnapshotId: string; CreationTime?: string; Status?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ Snapshots?: { Snapshot?: { SnapshotId: string; CreationTime?: string; Status?: string }[] }; NextToken?: string }>("ecs", "DescribeSnapshots", { DiskId: diskId, SnapshotType: "auto", MaxResults: 100, NextToken: nextToken });
    out.push(...(res.Snapshots?.Snapshot ?? []));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out.sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? ""));
}
