// Finders, status and waiters for ECS instances (the terraform-provider-aws split): resources call
// these, never DescribeInstances directly.
import { pollInterval } from "../config";
import { waitUntil } from "../core/waiter";
import type { EcsClient } from "./client";

export interface Instance {
  InstanceId: string;
  InstanceName?: string;
  Description?: string;
  Status: string;
  ZoneId: string;
  VpcId?: string;
  ImageId?: string;
  InstanceTypeId?: string;
  InstanceChargeType?: string;
  SpotStrategy?: string;
  SpotPriceLimit?: number;
  Hostname?: string;
  KeyPairName?: string;
  CreatedAt?: string;
  NetworkInterfaces?: { SubnetId?: string; PrimaryIpAddress?: string; SecurityGroupIds?: string[] }[];
  Volumes?: { VolumeId: string; VolumeType?: string; Size?: number | string; Kind?: string }[];
  Tags?: { Key: string; Value: string }[];
}

/** Statuses from which an instance never comes back: it reads as gone. */
const GONE = new Set(["DELETING", "DELETED", "RELEASED"]);

export async function findInstance(client: EcsClient, instanceId: string): Promise<Instance | undefined> {
  // An unknown id is an empty list, not an error.
  const res = await client.call<{ Instances?: Instance[] }>("DescribeInstances", { InstanceIds: [instanceId] });
  const inst = res.Instances?.find((i) => i.InstanceId === instanceId);
  return inst && !GONE.has(inst.Status) ? inst : undefined;
}

/** All instances matching the filters, every page (100 a page, the API's maximum). */
export async function listInstances(client: EcsClient, filter: { instanceIds?: string[]; tagKey?: string; tagValues?: string[] }): Promise<Instance[]> {
  const out: Instance[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ Instances?: Instance[]; NextToken?: string }>("DescribeInstances", {
      InstanceIds: filter.instanceIds,
      TagFilters: filter.tagKey ? [{ Key: filter.tagKey, Values: filter.tagValues }] : undefined,
      MaxResults: 100,
      NextToken: nextToken,
    });
    out.push(...(res.Instances ?? []).filter((i) => !GONE.has(i.Status)));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

export function waitInstanceRunning(client: EcsClient, instanceId: string, timeoutMs: number): Promise<Instance> {
  return waitUntil({
    what: `instance ${instanceId} to be RUNNING`,
    poll: () => findInstance(client, instanceId),
    done: (i) => i?.Status === "RUNNING",
    failed: (i) => (i === undefined ? "it disappeared while starting (released, or spot capacity reclaimed)" : i.Status === "ERROR" ? "it went to ERROR" : undefined),
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    interval: pollInterval(),
  }) as Promise<Instance>;
}

export async function waitInstanceGone(client: EcsClient, instanceId: string, timeoutMs: number): Promise<void> {
  await waitUntil({
    what: `instance ${instanceId} to be deleted`,
    poll: () => findInstanceRaw(client, instanceId),
    done: (i) => i === undefined,
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    interval: pollInterval(),
  });
}

/** Like findInstance but DELETING still counts as present (for waiting until it is really gone). */
async function findInstanceRaw(client: EcsClient, instanceId: string): Promise<Instance | undefined> {
  const res = await client.call<{ Instances?: Instance[] }>("DescribeInstances", { InstanceIds: [instanceId] });
  return res.Instances?.find((i) => i.InstanceId === instanceId);
}

export function tagMap(tags: { Key: string; Value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
}
