// Finders, status and waiters for ECS instances and their disks (2014-05-26 DescribeInstances,
// DescribeDisks, DescribeUserData, DescribeInstanceRamRole, DeleteInstances): resources and the recovery
// controller call these, never the API directly.
// - DescribeInstances InstanceIds: "a JSON array that consists of up to 100 instance IDs"; MaxResults ≤100
//   with NextToken (PageNumber/PageSize "about to be deprecated").
// - A Tag.N filter on DescribeInstances "cannot exceed 1,000" resources ("use ListTagResources"): fleets
//   are found with ListTagResources (tags.ts), then read 100 at a time.
// - A preempted instance carries OperationLocks LockReason "Recycling" until it is released (API notes).
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { AlicloudClient } from "./client";
import { listTaggedIds, tagMap, type AcsTags } from "./tags";

/** DescribeInstancesResponseBodyInstancesInstance (the fields we use). */
export interface Instance {
  InstanceId: string;
  InstanceName?: string;
  Description?: string;
  HostName?: string;
  Status: string;
  RegionId?: string;
  ZoneId: string;
  InstanceType: string;
  ImageId?: string;
  OSType?: string;
  KeyPairName?: string;
  SpotStrategy?: string;
  SpotPriceLimit?: number;
  SpotDuration?: number;
  SpotInterruptionBehavior?: string;
  CreationTime?: string;
  VpcAttributes?: { VpcId?: string; VSwitchId?: string; PrivateIpAddress?: { IpAddress?: string[] } };
  SecurityGroupIds?: { SecurityGroupId?: string[] };
  MetadataOptions?: { HttpTokens?: string };
  OperationLocks?: { LockReason?: { LockReason?: string; LockMsg?: string }[] };
  Tags?: AcsTags;
}

/** DescribeDisksResponseBodyDisksDisk (the fields we use). */
export interface Disk {
  DiskId: string;
  InstanceId?: string;
  Type: "system" | "data";
  Category: string;
  Size: number;
  PerformanceLevel?: string;
  DeleteWithInstance?: boolean;
  Device?: string;
}

/** The status of a running instance. */
export const RUNNING = "Running";

export const tagsOf = (inst: Pick<Instance, "Tags">) => tagMap(inst.Tags);

/** Whether the instance is being reclaimed (a preemptible interruption: OperationLocks Recycling). */
export const isRecycling = (inst: Instance) => (inst.OperationLocks?.LockReason ?? []).some((l) => l.LockReason === "Recycling");

const batches = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** The instances of `ids` that exist (100 a call, every page). An unknown id is simply absent. */
export async function listInstances(client: AlicloudClient, ids: string[]): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const batch of batches(ids, 100)) {
    let nextToken: string | undefined;
    do {
      const res = await client.call<{ Instances?: { Instance?: Instance[] }; NextToken?: string }>("ecs", "DescribeInstances", { InstanceIds: JSON.stringify(batch), MaxResults: 100, NextToken: nextToken });
      out.push(...(res.Instances?.Instance ?? []));
      nextToken = res.NextToken || undefined;
    } while (nextToken);
  }
  return out;
}

/** Every instance carrying tag `key` (optionally with `value`): ListTagResources, then DescribeInstances by id. */
export async function listInstancesByTag(client: AlicloudClient, key: string, value?: string): Promise<Instance[]> {
  const ids = await listTaggedIds(client, "instance", key, value);
  return ids.length ? listInstances(client, ids) : [];
}

/** The instance, or NotFoundError when it does not exist (released, deleted). */
export async function findInstance(client: AlicloudClient, instanceId: string): Promise<Instance> {
  const [inst] = (await listInstances(client, [instanceId])).filter((i) => i.InstanceId === instanceId);
  if (!inst) throw new NotFoundError("instance", instanceId, "no such instance");
  return inst;
}

/** Every disk of an instance, system first then data disks in device order (DescribeDisks, every page). */
export async function disksOf(client: AlicloudClient, instanceId: string): Promise<Disk[]> {
  const out: Disk[] = [];
  let nextToken: string | undefined;
  do {
    // MaxResults: 10-500 (DescribeDisksRequest.maxResults).
    const res = await client.call<{ Disks?: { Disk?: Disk[] }; NextToken?: string }>("ecs", "DescribeDisks", { InstanceId: instanceId, MaxResults: 100, NextToken: nextToken });
    out.push(...(res.Disks?.Disk ?? []).filter((d) => d.InstanceId === instanceId));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out.sort((a, b) => (a.Type === b.Type ? (a.Device ?? "").localeCompare(b.Device ?? "") : a.Type === "system" ? -1 : 1));
}

/** Base64 user data (DescribeUserData), or undefined when it has none. */
export async function findUserData(client: AlicloudClient, instanceId: string): Promise<string | undefined> {
  const res = await client.call<{ UserData?: string }>("ecs", "DescribeUserData", { InstanceId: instanceId });
  return res.UserData || undefined;
}

/** The instance's RAM role name (DescribeInstanceRamRole), or undefined. */
export async function findRamRole(client: AlicloudClient, instanceId: string): Promise<string | undefined> {
  const res = await client.call<{ InstanceRamRoleSets?: { InstanceRamRoleSet?: { InstanceId: string; RamRoleName: string }[] } }>("ecs", "DescribeInstanceRamRole", { InstanceIds: JSON.stringify([instanceId]) });
  return res.InstanceRamRoleSets?.InstanceRamRoleSet?.find((s) => s.InstanceId === instanceId)?.RamRoleName || undefined;
}

export function waitInstanceStatus(client: AlicloudClient, instanceId: string, target: "Running" | "Stopped", timeoutMs: number, clock?: Clock, signal?: AbortSignal): Promise<Instance> {
  return waitUntil<Instance | undefined>({
    what: `instance ${instanceId} to be ${target}`,
    poll: () => orUndefined(findInstance(client, instanceId)),
    done: (i) => i?.Status === target,
    failed: (i) => (i === undefined ? "it disappeared (released, or its preemptible capacity reclaimed)" : undefined),
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    clock,
    signal,
  }) as Promise<Instance>;
}

/**
 * DeleteInstances with Force ("true: forcefully releases ECS instance in the Running state"), then waits
 * until it is gone. A missing instance is already deleted; a Pending one is awaited first.
 */
export async function removeInstance(client: AlicloudClient, id: string, timeoutMs: number, clock?: Clock): Promise<void> {
  const inst = await orUndefined(findInstance(client, id));
  if (!inst) return;
  if (inst.Status === "Pending" || inst.Status === "Starting") await waitInstanceStatus(client, id, RUNNING, timeoutMs, clock).catch(() => undefined);
  try {
    await client.call("ecs", "DeleteInstances", { InstanceId: [id], Force: true, ClientToken: `del-${id}`.slice(0, 64) });
  } catch (err) {
    if (err instanceof CloudError && err.code === "InvalidInstanceId.NotFound") return;
    throw err;
  }
  await waitUntil({
    what: `instance ${id} to be released`,
    poll: () => orUndefined(findInstance(client, id)),
    done: (i) => i === undefined,
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    clock,
  });
}
