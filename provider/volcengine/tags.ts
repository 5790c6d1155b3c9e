// Tags on Volcengine resources: reading them back (the cloud's own `volc:`/`sys:` keys are never ours
// to copy or report), and changing them in place. CreateTags/DeleteTags take ResourceType `instance`,
// `image`, … and answer per resource in OperationDetails (API-NOTES "Corrections": check them).
import { CloudError } from "../core/errors";
import type { VolcengineClient } from "./client";

export type Tag = { Key: string; Value: string };
/** At most 20 tags per resource, ours included (RunInstances, CreateImage, CreateTags docs). */
export const TAG_LIMIT = 20;

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

type OperationDetails = { OperationDetails?: { ResourceId?: string; Error?: { Code?: string; Message?: string } }[] };

function checkDetails(action: string, res: OperationDetails): void {
  const failed = (res.OperationDetails ?? []).filter((d) => d.Error?.Code);
  if (failed.length) {
    throw new CloudError({ cloud: "volcengine", action, code: failed[0].Error!.Code!, message: failed.map((f) => `${f.ResourceId}: ${f.Error!.Code} ${f.Error!.Message ?? ""}`.trim()).join("; ") });
  }
}

/** Makes a resource's tags go from `olds` to `news` (only the keys given are touched). Idempotent. */
export async function syncTags(client: VolcengineClient, resourceType: "instance" | "image", id: string, olds: Record<string, string>, news: Record<string, string>): Promise<void> {
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = Object.entries(news).filter(([k, v]) => olds[k] !== v);
  // Delete first: a resource at its 20-tag limit must make room before new keys arrive.
  if (removed.length) checkDetails("DeleteTags", await client.ecs<OperationDetails>("DeleteTags", { ResourceType: resourceType, ResourceIds: [id], TagKeys: removed }, { safe: true }));
  if (changed.length) checkDetails("CreateTags", await client.ecs<OperationDetails>("CreateTags", { ResourceType: resourceType, ResourceIds: [id], Tags: tagList(Object.fromEntries(changed)) }, { safe: true }));
}
