// Adoption (bring an existing instance under management: `pulumi import` cannot for dynamic resources)
// and following a recovery (the controller relaunched the instance: the stack adopts the replacement).
import { orUndefined } from "../../core/errors";
import { originOf, TAGS, userTags } from "../../recovery/policy";
import type { VolcengineClient } from "../client";
import { findInstance, listInstances, type Instance } from "../instances";
import { syncTags, tagMap } from "../tags";
import type { SpotInstanceInputs } from "./schema";
import { instanceTags } from "./spec";

/**
 * The instance must exist and match what the program declares about its placement and shape (a
 * mismatch is an error, not a silent replacement); name, description, tags and the recovery policy are
 * then set as declared, exactly as an update would.
 */
export async function adoptInstance(client: VolcengineClient, inputs: SpotInstanceInputs, id: string, instanceName: string, hookCommandId?: string): Promise<Instance> {
  const inst = await orUndefined(findInstance(client, id));
  if (!inst) throw new Error(`adoptInstanceId ${id}: no such instance in region ${client.region}`);
  const nic = inst.NetworkInterfaces?.[0];
  const mismatches = (
    [
      ["zoneId", inputs.zoneId, inst.ZoneId],
      ["instanceTypeId", inputs.instanceTypeId, inst.InstanceTypeId],
      ["imageId", inputs.imageId, inst.ImageId],
      ["subnetId", inputs.subnetId, nic?.SubnetId],
      ["spotStrategy", inputs.spotStrategy, inst.SpotStrategy],
    ] as const
  ).filter(([, declared, actual]) => actual !== undefined && declared !== actual);
  if (mismatches.length) {
    throw new Error(`adoptInstanceId ${id}: the instance differs from the declared inputs (${mismatches.map(([k, d, a]) => `${k}: declared ${d}, actual ${a}`).join("; ")}); set the inputs to the instance's values`);
  }
  const modify: Record<string, string> = {};
  if (instanceName !== inst.InstanceName) modify.InstanceName = instanceName;
  if (inputs.description !== undefined && inputs.description !== inst.Description) modify.Description = inputs.description;
  if (Object.keys(modify).length) await client.ecs("ModifyInstanceAttribute", { InstanceId: id, ...modify }, { safe: true });
  const current = tagMap(inst.Tags);
  const ours = Object.fromEntries(Object.entries(current).filter(([k]) => k in userTags(current) || k === TAGS.policy));
  await syncTags(client, "instance", id, ours, instanceTags(inputs, hookCommandId));
  return findInstance(client, id);
}

/**
 * The newest live instance of `id`'s line: the controller tags every replacement with the first
 * instance of its line (`origin`), so however many recoveries the state missed, one query finds it.
 */
export async function findReplacement(client: VolcengineClient, id: string, origin: string | undefined): Promise<Instance | undefined> {
  const found = await listInstances(client, { tagKey: TAGS.origin, tagValues: [origin ?? id] });
  return found.filter((i) => i.InstanceId !== id).sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
}

export { originOf };

/**
 * Members of `id`'s line launched after it: replacements the stack has not refreshed into yet (the
 * controller relaunched the instance during its notice). The stack owns the line — `read` follows it — so
 * a delete removes them too; otherwise they would run on, owned by no stack.
 */
export async function laterInLine(client: VolcengineClient, id: string, props: { origin?: string; createdAt?: string }): Promise<Instance[]> {
  const line = await listInstances(client, { tagKey: TAGS.origin, tagValues: [props.origin ?? id] });
  return line.filter((i) => i.InstanceId !== id && (i.CreatedAt ?? "") > (props.createdAt ?? ""));
}
