// ECS TagResources / UntagResources / ListTagResources (2014-05-26), one implementation for every resource
// the emulator holds: instances and custom images (spot recovery), snapshots (of snapshot groups, images
// and automatic ones), Cloud Assistant invocations and automatic snapshot policies — ResourceType
// `instance`, `image`, `snapshot`, `invocation`, `snapshotpolicy` in TagResourcesRequest.resourceType.
// Limits from the request models and the TagResources error codes: ResourceId.N 1-50
// (NumberExceed.ResourceIds), Tag.N 1-20 (NumberExceed.Tags), 20 tags a resource
// (OperationDenied.QuotaExceed); UntagResources takes TagKey.N or All ("All: takes effect only when TagKey.N
// is not specified"). A resource type the emulator does not hold is refused as such (an emulator limit).
import { AcsError } from "../errors";
import type { AlicloudModel } from "../models";
import { bool, list, tags, type Handler, type Query } from "../params";
import type { Tag } from "./model";

const TYPES = ["instance", "image", "snapshot", "invocation", "snapshotpolicy"] as const;
type TagType = (typeof TYPES)[number];

function typeOf(q: Query): TagType {
  const type = q.ResourceType; // required by the model (spec.json)
  if (!(TYPES as readonly string[]).includes(type)) throw new AcsError("InvalidResourceType.NotFound", 404, `The ResourceType provided does not exist in our records (the emulator tags ${TYPES.join(", ")}, not ${type}).`);
  return type as TagType;
}

/** Every resource of a type in a region, with its tag list (the lists are the models' own: edits stick). */
function resourcesOf(m: AlicloudModel, type: TagType, region: string): { id: string; tags: Tag[] }[] {
  switch (type) {
    case "instance":
      return [...m.ecs.instances.values()].filter((i) => i.RegionId === region).map((i) => ({ id: i.InstanceId, tags: i.tags }));
    case "image":
      return m.images.custom(region).map((i) => ({ id: i.ImageId, tags: i.tags }));
    case "snapshot":
      return [
        ...m.ecs.snapshots().filter(({ g }) => g.RegionId === region).map(({ s }) => ({ id: s.SnapshotId, tags: s.tags })),
        ...[...m.autoSnapshots.snapshots.values()].filter((s) => s.RegionId === region).map((s) => ({ id: s.SnapshotId, tags: s.tags })),
      ];
    case "invocation":
      return [...m.assistant.invocations.values()].filter((i) => i.RegionId === region).map((i) => ({ id: i.InvokeId, tags: i.tags }));
    case "snapshotpolicy":
      return [...m.autoSnapshots.policies.values()].filter((p) => p.RegionId === region).map((p) => ({ id: p.AutoSnapshotPolicyId, tags: p.tags }));
  }
}

function resourceIds(q: Query): string[] {
  const ids = list(q, "ResourceId");
  if (ids.length === 0) throw new AcsError("MissingParameter", 400, 'The input parameter "ResourceId" that is mandatory for processing this request is not supplied.');
  if (ids.length > 50) throw new AcsError("NumberExceed.ResourceIds", 400, "The ResourceIds parameter's number is exceed , Valid : 50");
  return ids;
}

/** Tag.N filters: every key must be there; a value, when given, must match ("Tag.N.Key only: every resource with the key"). */
const hasTags = (have: Tag[], want: Tag[]) => want.every((w) => have.some((h) => h.Key === w.Key && (w.Value === "" || h.Value === w.Value)));

export const TAG_ACTIONS: Record<string, Handler> = {
  TagResources(q, m) {
    const type = typeOf(q);
    const ids = resourceIds(q);
    const add = tags(q);
    if (add.length === 0) throw new AcsError("MissingParameter.Tags", 404, "The parameter - Tags should not be null");
    if (add.length > 20) throw new AcsError("NumberExceed.Tags", 400, "The Tags parameter's number is exceed , Valid : 20");
    for (const t of add) if (t.Value.length > 128 || /https?:\/\//i.test(t.Value) || /^acs:/i.test(t.Value)) throw new AcsError("InvalidTagValue.Malformed", 400, "The specified Tag.n.Value is not valid.");
    const all = resourcesOf(m, type, q.RegionId);
    const targets = ids.map((id) => all.find((r) => r.id === id));
    if (targets.some((t) => !t)) throw new AcsError("InvalidResourceId.NotFound", 404, "The specified ResourceIds are not found in our records.");
    for (const t of targets) if (new Set([...t!.tags.map((x) => x.Key), ...add.map((x) => x.Key)]).size > 20) throw new AcsError("OperationDenied.QuotaExceed", 400, "The quota of tags on resource is beyond permitted range.");
    for (const t of targets) {
      for (const tag of add) {
        const existing = t!.tags.find((x) => x.Key === tag.Key);
        if (existing) existing.Value = tag.Value;
        else t!.tags.push({ ...tag });
      }
    }
    return {};
  },

  UntagResources(q, m) {
    const type = typeOf(q);
    const ids = resourceIds(q);
    const keys = list(q, "TagKey");
    if (keys.length > 20) throw new AcsError("NumberExceed.Tags", 400, "The Tags parameter's number is exceed , Valid : 20");
    const everything = keys.length === 0 && bool(q, "All", false);
    const all = resourcesOf(m, type, q.RegionId);
    for (const id of ids) {
      const t = all.find((r) => r.id === id);
      if (!t) continue; // untagging what is gone has nothing to do
      t.tags.splice(0, t.tags.length, ...t.tags.filter((x) => !everything && !keys.includes(x.Key)));
    }
    return {};
  },

  ListTagResources(q, m) {
    const type = typeOf(q);
    const ids = list(q, "ResourceId");
    if (ids.length > 50) throw new AcsError("NumberExceed.ResourceIds", 400, "The ResourceIds parameter's number is exceed , Valid : 50");
    const want = tags(q);
    // "Specify at least one of ResourceId.N, Tag.N, TagFilter.N"; TagFilter is "in invitational preview" (not served here).
    if (ids.length === 0 && want.length === 0) throw new AcsError("MissingParameter", 400, "Specify ResourceId.N or Tag.N.");
    const rows = resourcesOf(m, type, q.RegionId)
      .filter((r) => (ids.length === 0 || ids.includes(r.id)) && hasTags(r.tags, want))
      .flatMap((r) => r.tags.map((t) => ({ ResourceId: r.id, ResourceType: type, TagKey: t.Key, TagValue: t.Value })));
    // The page size is not documented (no MaxResults parameter): 50 rows a page here (README "What is missing").
    const start = q.NextToken ? Number.parseInt(Buffer.from(q.NextToken, "base64url").toString("utf8"), 10) : 0;
    if (!Number.isInteger(start) || start < 0) throw new AcsError("InvalidParameter.NextToken", 400, "The specified NextToken is not valid.");
    const end = start + 50;
    return { TagResources: { TagResource: rows.slice(start, end) }, NextToken: end < rows.length ? Buffer.from(String(end)).toString("base64url") : "" };
  },
};
