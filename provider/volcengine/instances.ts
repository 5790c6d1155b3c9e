// Finders, status and waiters for ECS instances (terraform-provider-aws's find/status/wait split):
// resources and the controller call these, never DescribeInstances directly.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { VolcengineClient } from "./client";
import type { Tag } from "./tags";

/** DescribeInstances `Instances[]` (volcengine-go-sdk service/ecs InstanceForDescribeInstancesOutput). */
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
  ProjectName?: string;
  OsType?: string;
  CreatedAt?: string;
  NetworkInterfaces?: { SubnetId?: string; PrimaryIpAddress?: string; SecurityGroupIds?: string[] }[];
  /** Only ids: kind, type and size come from storage_ebs DescribeVolumes (see volumes.ts). */
  Volumes?: { VolumeId: string }[];
  Tags?: Tag[];
}

/** Statuses from which an instance never comes back: it reads as gone. */
const GONE = new Set(["DELETING", "DELETED", "RELEASED"]);

/** The instance, or NotFoundError when it does not exist or is on its way out. */
export async function findInstance(client: VolcengineClient, instanceId: string): Promise<Instance> {
  const inst = await findInstanceRaw(client, instanceId);
  if (!inst || GONE.has(inst.Status)) throw new NotFoundError("instance", instanceId, inst ? inst.Status : "no such instance");
  return inst;
}

/** Including DELETING (for waiting until it is really gone). An unknown id is an empty list, not an error. */
async function findInstanceRaw(client: VolcengineClient, instanceId: string): Promise<Instance | undefined> {
  const res = await client.ecs<{ Instances?: Instance[] }>("DescribeInstances", { InstanceIds: [instanceId] });
  return res.Instances?.find((i) => i.InstanceId === instanceId);
}

/** All live instances matching the filters, every page (100 a page, the API's maximum). */
export async function listInstances(client: VolcengineClient, filter: { instanceIds?: string[]; tagKey?: string; tagValues?: string[] }): Promise<Instance[]> {
  const out: Instance[] = [];
  const ids = filter.instanceIds;
  // InstanceIds takes at most 100 per call (API-NOTES).
  const batches = ids ? Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100)) : [undefined];
  for (const batch of batches) {
    let nextToken: string | undefined;
    do {
      const res = await client.ecs<{ Instances?: Instance[]; NextToken?: string }>("DescribeInstances", {
        InstanceIds: batch,
        TagFilters: filter.tagKey ? [{ Key: filter.tagKey, Values: filter.tagValues }] : undefined,
        MaxResults: 100,
        NextToken: nextToken,
      });
      out.push(...(res.Instances ?? []).filter((i) => !GONE.has(i.Status)));
      nextToken = res.NextToken || undefined;
    } while (nextToken);
  }
  return out;
}

/** Base64 user data of an instance (DescribeUserData), or undefined when it has none. */
export async function findUserData(client: VolcengineClient, instanceId: string): Promise<string | undefined> {
  const res = await client.ecs<{ UserData?: string }>("DescribeUserData", { InstanceId: instanceId });
  return res.UserData || undefined;
}

export function waitInstanceStatus(client: VolcengineClient, instanceId: string, target: "RUNNING" | "STOPPED", timeoutMs: number, clock?: Clock): Promise<Instance> {
  return waitUntil<Instance | undefined>({
    what: `instance ${instanceId} to be ${target}`,
    poll: () => orUndefined(findInstance(client, instanceId)),
    done: (i) => i?.Status === target,
    failed: (i) => (i === undefined ? "it disappeared (released, or spot capacity reclaimed)" : i.Status === "ERROR" ? "it went to ERROR" : undefined),
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    clock,
  }) as Promise<Instance>;
}

export async function waitInstanceGone(client: VolcengineClient, instanceId: string, timeoutMs: number, clock?: Clock): Promise<void> {
  await waitUntil({
    what: `instance ${instanceId} to be deleted`,
    poll: () => findInstanceRaw(client, instanceId),
    done: (i) => i === undefined,
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    clock,
  });
}

/**
 * DeleteInstance, then wait until it is gone. A missing instance is already deleted; one still
 * CREATING cannot be deleted yet, so wait for it to settle first.
 */
export async function removeInstance(client: VolcengineClient, id: string, timeoutMs: number): Promise<void> {
  const inst = await orUndefined(findInstance(client, id));
  if (!inst) return;
  if (inst.Status === "CREATING") await waitInstanceStatus(client, id, "RUNNING", timeoutMs).catch(() => undefined);
  try {
    await client.ecs("DeleteInstance", { InstanceId: id, ClientToken: `del-${id}`.slice(0, 64) });
  } catch (err) {
    if (err instanceof CloudError && err.code === "InvalidInstance.NotFound") return;
    throw err;
  }
  await waitInstanceGone(client, id, timeoutMs);
}

/** StartInstance and wait RUNNING. */
export async function startInstance(client: VolcengineClient, id: string, timeoutMs: number, clock?: Clock): Promise<void> {
  const inst = await findInstance(client, id);
  if (inst.Status !== "RUNNING") await client.ecs("StartInstance", { InstanceId: id }, { safe: true });
  await waitInstanceStatus(client, id, "RUNNING", timeoutMs, clock);
}

/** StopInstance and wait STOPPED (an instance on PTSSD disks must be stopped before CreateImage). */
export async function stopInstance(client: VolcengineClient, id: string, timeoutMs: number, clock?: Clock): Promise<void> {
  const inst = await findInstance(client, id);
  if (inst.Status !== "STOPPED") await client.ecs("StopInstance", { InstanceId: id, ForceStop: true }, { safe: true });
  await waitInstanceStatus(client, id, "STOPPED", timeoutMs, clock);
}
