// Finders, status and waiters for ECS snapshot-consistent groups (2014-05-26 DescribeSnapshotGroups,
// DeleteSnapshotGroup). The app-snapshot plugin creates them from inside the instance; we find, wait for
// and delete them.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil, type PollInterval } from "../core/waiter";
import type { AlicloudClient } from "./client";

export type GroupStatus = "progressing" | "accomplished" | "failed";

/** DescribeSnapshotGroups `SnapshotGroup` (the fields we use). */
export interface SnapshotGroup {
  SnapshotGroupId: string;
  Name?: string;
  InstanceId?: string;
  Status: GroupStatus;
  CreationTime?: string;
  Snapshots?: { Snapshot?: { SnapshotId: string; SourceDiskId?: string; Tags?: { Tag?: { TagKey?: string; Key?: string; TagValue?: string; Value?: string }[] } }[] };
}

/** The group, or NotFoundError. */
export async function findSnapshotGroup(client: AlicloudClient, id: string): Promise<SnapshotGroup> {
  const res = await client.call<{ SnapshotGroups?: { SnapshotGroup?: SnapshotGroup[] } }>("ecs", "DescribeSnapshotGroups", { SnapshotGroupId: [id] });
  const group = res.SnapshotGroups?.SnapshotGroup?.find((g) => g.SnapshotGroupId === id);
  if (!group) throw new NotFoundError("snapshot group", id);
  return group;
}

/** Waits until `accomplished`; fails at once on `failed` or when the group disappears. */
export function waitSnapshotGroupAccomplished(client: AlicloudClient, id: string, o: { timeoutMs: number; clock?: Clock; interval?: PollInterval }): Promise<SnapshotGroup> {
  return waitUntil<SnapshotGroup | undefined>({
    what: `snapshot group ${id} to be accomplished`,
    poll: () => orUndefined(findSnapshotGroup(client, id)),
    done: (g) => g?.Status === "accomplished",
    failed: (g) => (g === undefined ? "it disappeared" : g.Status === "failed" ? "the cloud reports status failed" : undefined),
    state: (g) => g?.Status ?? "gone",
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    interval: o.interval,
  }) as Promise<SnapshotGroup>;
}

/** The consistency the app-snapshot plugin tagged the snapshots with (`APPConsistent` / `FsConsistent`). */
export function consistencyOf(group: SnapshotGroup): "application" | "filesystem" | "crash" {
  const keys = (group.Snapshots?.Snapshot ?? []).flatMap((s) => s.Tags?.Tag ?? []).map((t) => t.TagKey ?? t.Key);
  if (keys.includes("APPConsistent")) return "application";
  if (keys.includes("FsConsistent")) return "filesystem";
  return "crash";
}

/** A snapshot DeleteSnapshotGroup left in place, and why (e.g. SnapshotCreatedImage: an image uses it). */
export interface KeptSnapshot {
  snapshotId: string;
  code: string;
  message: string;
}

/** DeleteSnapshotGroup kept some snapshots: the group is not gone. */
export class SnapshotsKeptError extends Error {
  constructor(
    readonly groupId: string,
    readonly kept: KeptSnapshot[],
  ) {
    super(
      `deleting snapshot group ${groupId} left ${kept.length} snapshot(s) in place: ${kept.map((k) => `${k.snapshotId} (${k.code}: ${k.message})`).join("; ")}. What to do: delete what uses them (a custom image made from a snapshot keeps it: DeleteImage), then run the command again`,
    );
    this.name = "SnapshotsKeptError";
  }
}

/**
 * DeleteSnapshotGroup, checking its per-snapshot OperationProgressSet (the call answers HTTP 200 even when
 * it keeps a snapshot an image was made from: API notes, Corrections). A group already gone is deleted.
 */
export async function deleteSnapshotGroup(client: AlicloudClient, id: string): Promise<void> {
  type Progress = { OperationStatus?: string; ErrorCode?: string; ErrorMsg?: string; RelatedItemSet?: { RelatedItem?: { Name?: string; Value?: string }[] } };
  let res: { OperationProgressSet?: { OperationProgress?: Progress[] } };
  try {
    res = await client.call("ecs", "DeleteSnapshotGroup", { SnapshotGroupId: id }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && /NotFound/.test(err.code)) return;
    throw err;
  }
  const kept = (res.OperationProgressSet?.OperationProgress ?? [])
    .filter((p) => p.OperationStatus !== "Success")
    .map((p) => ({
      snapshotId: p.RelatedItemSet?.RelatedItem?.find((r) => r.Name === "SnapshotId")?.Value ?? "(unnamed)",
      code: p.ErrorCode || p.OperationStatus || "Failed",
      message: p.ErrorMsg ?? "",
    }));
  if (kept.length) throw new SnapshotsKeptError(id, kept);
}
