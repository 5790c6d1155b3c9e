// Tags on Alibaba Cloud ECS resources: reading them back (the cloud's own `acs:`/`aliyun` keys are never
// ours to copy or report), changing them in place (TagResources / UntagResources: ResourceType `instance`
// or `image`, 1-50 resources, at most 20 tags a call and a resource), and finding resources by a tag key
// (ListTagResources Tag.N: "only Tag.N.Key: every resource with that key"; TagResources and
// ListTagResources references, AlibabaCloudDocs/ecs API参考/标签).
import type { AlicloudClient } from "./client";

/** At most 20 tags per resource (TagResources: "OperationDenied.QuotaExceed"); ours count too. */
export const TAG_LIMIT = 20;
/** A tag value holds at most 128 characters (TagResourcesRequest.tag.value). */
export const TAG_VALUE_MAX = 128;

export type AcsTags = { Tag?: { TagKey?: string; TagValue?: string; Key?: string; Value?: string }[] } | undefined;

/** `Tags.Tag[]` as DescribeInstances / DescribeImages answer them → key → value. */
export function tagMap(tags: AcsTags): Record<string, string> {
  return Object.fromEntries((tags?.Tag ?? []).map((t) => [t.TagKey ?? t.Key ?? "", t.TagValue ?? t.Value ?? ""]));
}

/** `Tag.N.Key` / `Tag.N.Value` request parameters. */
export function tagParams(tags: Record<string, string>, prefix = "Tag"): Record<string, string> {
  const out: Record<string, string> = {};
  Object.entries(tags).forEach(([k, v], i) => {
    out[`${prefix}.${i + 1}.Key`] = k;
    out[`${prefix}.${i + 1}.Value`] = v;
  });
  return out;
}

/** Makes a resource's tags go from `olds` to `news` (only the keys given are touched). Idempotent. */
export async function syncTags(client: AlicloudClient, resourceType: "instance" | "image", id: string, olds: Record<string, string>, news: Record<string, string>): Promise<void> {
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = Object.fromEntries(Object.entries(news).filter(([k, v]) => olds[k] !== v));
  // Remove first: a resource at its 20-tag limit must make room before new keys arrive.
  if (removed.length) await client.call("ecs", "UntagResources", { ResourceType: resourceType, ResourceId: [id], TagKey: removed }, { safe: true });
  if (Object.keys(changed).length) await client.call("ecs", "TagResources", { ResourceType: resourceType, ResourceId: [id], ...tagParams(changed) }, { safe: true });
}

/** Every resource of `resourceType` carrying tag `key` (any value), every page; ids in the order listed. */
export async function listTaggedIds(client: AlicloudClient, resourceType: "instance" | "image", key: string, value?: string): Promise<string[]> {
  const ids = new Set<string>();
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ TagResources?: { TagResource?: { ResourceId: string; TagKey: string; TagValue: string }[] }; NextToken?: string }>("ecs", "ListTagResources", {
      ResourceType: resourceType,
      "Tag.1.Key": key,
      ...(value !== undefined ? { "Tag.1.Value": value } : {}),
      NextToken: nextToken,
    });
    for (const r of res.TagResources?.TagResource ?? []) if (r.TagKey === key && (value === undefined || r.TagValue === value)) ids.add(r.ResourceId);
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return [...ids];
}
