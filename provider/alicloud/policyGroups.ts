// The snapshot groups a ConsistentSnapshotPolicy made, and its retention. The app-snapshot plugin names
// every group it makes after the policy (-Name) and cannot tag a group (TagResources has no snapshot-group
// resource type in @alicloud/ecs20140526 TagResourcesRequest), so a group is the policy's when:
//   - its snapshots carry the tag `pulumi-recovery:policy=<invocation id>` (the controller put it there), or
//   - it has the policy's name, is on the policy's instance, was created after the policy's invocation and
//     has no such tag yet — the controller then tags its snapshots (adopts it).
// So a group of the same name made before the policy existed, or by another policy, is never pruned.
import { CloudError } from "../core/errors";
import type { AlicloudClient } from "./client";
import { tagResources } from "./invocations";
import { consistencyOf, type SnapshotGroup } from "./snapshotGroups";

/** On each snapshot of a group a policy made: the policy's invocation id. */
export const POLICY_TAG = "pulumi-recovery:policy";
/** On the policy's periodic invocation: what it is, the group name it makes, and its retention. */
export const KIND_TAG = "pulumi-recovery:kind";
export const POLICY_KIND = "ConsistentSnapshotPolicy";
export const GROUP_NAME_TAG = "pulumi-recovery:group-name";
export const RETENTION_TAG = "pulumi-recovery:retention";

export interface Retention {
  /** Keep at most this many accomplished groups. */
  keepLast?: number;
  /** Keep accomplished groups younger than this (ms). */
  keepForMs?: number;
}

/** `keepLast=7 keepFor=30d` — the retention as the invocation's tag carries it. */
export function encodeRetention(r: { keepLast?: number; keepFor?: string }): string {
  return [r.keepLast !== undefined ? `keepLast=${r.keepLast}` : "", r.keepFor !== undefined ? `keepFor=${r.keepFor}` : ""].filter(Boolean).join(" ");
}

export function decodeRetention(tag: string | undefined, parseDuration: (s: string) => number | undefined): Retention | undefined {
  if (!tag) return undefined;
  const out: Retention = {};
  for (const part of tag.trim().split(/\s+/)) {
    const [k, v] = part.split("=");
    if (k === "keepLast" && /^\d+$/.test(v ?? "")) out.keepLast = Number(v);
    else if (k === "keepFor" && parseDuration(v ?? "") !== undefined) out.keepForMs = parseDuration(v);
    else return undefined; // unreadable: written by a newer version or by hand
  }
  return out.keepLast === undefined && out.keepForMs === undefined ? undefined : out;
}

export interface PolicyRef {
  invokeId: string;
  instanceId: string;
  groupName: string;
  /** The invocation's CreationTime (epoch ms): no run of the policy predates it. */
  since: number;
}

const tagged = (g: SnapshotGroup, invokeId?: string) =>
  (g.Snapshots?.Snapshot ?? []).some((s) => (s.Tags?.Tag ?? []).some((t) => (t.TagKey ?? t.Key) === POLICY_TAG && (invokeId === undefined || (t.TagValue ?? t.Value) === invokeId)));

/** The groups with the policy's name on its instance, every page (DescribeSnapshotGroups InstanceId, Name). */
async function namedGroups(client: AlicloudClient, p: PolicyRef): Promise<SnapshotGroup[]> {
  const out: SnapshotGroup[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ SnapshotGroups?: { SnapshotGroup?: SnapshotGroup[] }; NextToken?: string }>("ecs", "DescribeSnapshotGroups", { InstanceId: p.instanceId, Name: p.groupName, MaxResults: 100, NextToken: nextToken });
    out.push(...(res.SnapshotGroups?.SnapshotGroup ?? []));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

/**
 * The policy's groups, newest first. With `adopt`, untagged groups it made get their snapshots tagged
 * (TagResources, ResourceType snapshot) and are returned in `adopted`; without, they are returned as the
 * policy's all the same (a read never writes).
 */
export async function policyGroups(client: AlicloudClient, p: PolicyRef, o: { adopt?: boolean } = {}): Promise<{ groups: SnapshotGroup[]; adopted: string[] }> {
  const adopted: string[] = [];
  const groups: SnapshotGroup[] = [];
  for (const g of await namedGroups(client, p)) {
    if (tagged(g, p.invokeId)) groups.push(g);
    else if (!tagged(g) && Date.parse(g.CreationTime ?? "") >= p.since) {
      if (o.adopt) {
        const ids = (g.Snapshots?.Snapshot ?? []).map((s) => s.SnapshotId);
        try {
          await tagResources(client, "snapshot", ids, { [POLICY_TAG]: p.invokeId });
        } catch (err) {
          // A group deleted meanwhile (its snapshots with it) is simply not the policy's any more.
          if (err instanceof CloudError && /NotFound/.test(err.code)) continue;
          throw err;
        }
        adopted.push(g.SnapshotGroupId);
      }
      groups.push(g);
    }
  }
  groups.sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? "") || b.SnapshotGroupId.localeCompare(a.SnapshotGroupId));
  return { groups, adopted };
}

/**
 * What the retention keeps and prunes (pure). Groups still progressing are kept; failed ones are pruned
 * (they hold nothing to restore from); of the accomplished ones, newest first, a group is kept while it is
 * among the newest `keepLast` and younger than `keepFor` — and the newest accomplished group is always kept,
 * so a policy whose runs keep failing never ages its last good group away. `prune` is oldest first.
 */
export function retentionPlan(groups: SnapshotGroup[], r: Retention, now: number): { keep: SnapshotGroup[]; prune: SnapshotGroup[] } {
  const newestFirst = [...groups].sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? "") || b.SnapshotGroupId.localeCompare(a.SnapshotGroupId));
  const keep: SnapshotGroup[] = [];
  const prune: SnapshotGroup[] = [];
  let good = 0;
  for (const g of newestFirst) {
    if (g.Status === "progressing") keep.push(g);
    else if (g.Status === "failed") prune.push(g);
    else {
      const age = now - Date.parse(g.CreationTime ?? "");
      const within = (r.keepLast === undefined || good < r.keepLast) && (r.keepForMs === undefined || !(age > r.keepForMs));
      if (good === 0 || within) keep.push(g);
      else prune.push(g);
      good++;
    }
  }
  return { keep, prune: prune.reverse() };
}

/** The newest accomplished group and how consistent it is, with the count of accomplished groups. */
export function summarize(groups: SnapshotGroup[]): { newest?: SnapshotGroup; consistency?: "application" | "filesystem" | "crash"; count: number } {
  const done = groups.filter((g) => g.Status === "accomplished");
  return { newest: done[0], consistency: done[0] ? consistencyOf(done[0]) : undefined, count: done.length };
}
