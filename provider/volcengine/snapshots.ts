// Finders, status and waiters for storage_ebs snapshot groups: one consistent snapshot of every volume
// of an instance (CreateSnapshotGroup: VolumeIds.N, InstanceId, Name, Description, ClientToken, Tags.N;
// volcengine-go-sdk service/storageebs, docs 6396/1214844). A recovery point is a snapshot group.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { VolcengineClient } from "./client";
import { tagList, type Tag } from "./tags";

/** SnapshotForDescribeSnapshotGroupsOutput (the fields we use). */
export interface Snapshot {
  SnapshotId: string;
  VolumeId: string;
  VolumeKind: "system" | "data";
  VolumeSize: number;
  VolumeType: string;
  Status: string;
  Progress?: number;
  CreationTime?: string;
}

/** SnapshotGroupForDescribeSnapshotGroupsOutput. */
export interface SnapshotGroup {
  SnapshotGroupId: string;
  Name?: string;
  InstanceId?: string;
  Status: string;
  CreationTime?: string;
  Snapshots?: Snapshot[];
  Tags?: Tag[];
}

/**
 * The group statuses. The SDK model types Status as a plain string; these are the snapshot statuses the
 * storage_ebs docs list (available, creating, failed), which the group takes on.
 */
export const GROUP_DONE = "available";
export const GROUP_FAILED = "failed";

export async function findSnapshotGroup(client: VolcengineClient, id: string): Promise<SnapshotGroup> {
  const res = await client.ebs<{ SnapshotGroups?: SnapshotGroup[] }>("DescribeSnapshotGroups", { SnapshotGroupIds: [id], PageNumber: 1, PageSize: 10 });
  const group = res.SnapshotGroups?.find((g) => g.SnapshotGroupId === id);
  if (!group) throw new NotFoundError("snapshot group", id);
  return group;
}

/** Groups carrying a tag, every page (PageNumber/PageSize ≤ 100). */
export async function listSnapshotGroups(client: VolcengineClient, filter: { tagKey: string; tagValues?: string[]; instanceId?: string }): Promise<SnapshotGroup[]> {
  const out: SnapshotGroup[] = [];
  for (let page = 1; ; page++) {
    const res = await client.ebs<{ SnapshotGroups?: SnapshotGroup[]; TotalCount?: number }>("DescribeSnapshotGroups", {
      InstanceId: filter.instanceId,
      TagFilters: [{ Key: filter.tagKey, Values: filter.tagValues }],
      PageNumber: page,
      PageSize: 100,
    });
    const got = res.SnapshotGroups ?? [];
    out.push(...got);
    if (got.length < 100 || out.length >= (res.TotalCount ?? 0)) break;
  }
  return out;
}

export async function createSnapshotGroup(
  client: VolcengineClient,
  req: { instanceId: string; volumeIds: string[]; name: string; description?: string; tags: Record<string, string>; clientToken: string },
): Promise<string> {
  const res = await client.ebs<{ SnapshotGroupId: string }>(
    "CreateSnapshotGroup",
    { InstanceId: req.instanceId, VolumeIds: req.volumeIds, Name: req.name, Description: req.description, Tags: tagList(req.tags), ClientToken: req.clientToken },
    { safe: false }, // findOrCreate retries it, looking first
  );
  return res.SnapshotGroupId;
}

export function waitSnapshotGroup(client: VolcengineClient, id: string, o: { timeoutMs: number; clock?: Clock; signal?: AbortSignal; done?: (g: SnapshotGroup | undefined) => boolean }): Promise<SnapshotGroup> {
  return waitUntil<SnapshotGroup | undefined>({
    what: `snapshot group ${id} to be available`,
    poll: () => orUndefined(findSnapshotGroup(client, id)),
    done: (g) => g?.Status === GROUP_DONE || Boolean(o.done?.(g)),
    failed: (g) => (g === undefined ? "it disappeared" : g.Status === GROUP_FAILED ? "the cloud reports status failed" : undefined),
    state: (g) => g?.Status ?? "gone",
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    signal: o.signal,
  }) as Promise<SnapshotGroup>;
}

/** Until the group is no longer being made (DeleteSnapshotGroup refuses one that is: InvalidSnapshotGroupStatus). */
export async function waitSnapshotGroupSettled(client: VolcengineClient, id: string, timeoutMs: number): Promise<void> {
  await waitUntil({
    what: `snapshot group ${id} to finish being made`,
    poll: () => orUndefined(findSnapshotGroup(client, id)),
    done: (g) => g === undefined || g.Status === GROUP_DONE || g.Status === GROUP_FAILED,
    state: (g) => g?.Status,
    timeoutMs,
  });
}

/** DeleteSnapshotGroup; a group that is already gone is deleted. */
export async function deleteSnapshotGroup(client: VolcengineClient, id: string): Promise<void> {
  try {
    await client.ebs("DeleteSnapshotGroup", { SnapshotGroupId: id }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && /NotFound/.test(err.code)) return;
    throw err;
  }
}
