// ECS TagResources / UntagResources (2014-05-26) for the resources the emulator holds: snapshots (of
// snapshot groups and automatic ones), Cloud Assistant invocations and automatic snapshot policies —
// ResourceType `snapshot`, `invocation`, `snapshotpolicy` in TagResourcesRequest.resourceType. Limits from
// the request models: ResourceId.N 1-50, Tag.N 1-20 with unique keys (TagResources); UntagResources takes
// TagKey.N or All. A resource type the emulator does not hold is refused as such (an emulator limit).
import { AcsError, missing } from "../errors";
import type { AlicloudModel } from "../models";
import { bool, list, tags, type Handler, type Query } from "../params";
import type { Tag } from "./model";

const TYPES = ["snapshot", "invocation", "snapshotpolicy"];

/** The tag list of each resource named, or the cloud's not-found error for the first one missing. */
function tagLists(q: Query, m: AlicloudModel): Tag[][] {
  const region = q.RegionId; // required by the model (spec.json)
  const type = q.ResourceType; // required by the model
  if (!TYPES.includes(type)) throw new AcsError("InvalidResourceType.NotSupported", 400, `The emulator tags only ${TYPES.join(", ")} resources, not ${type}.`);
  const ids = list(q, "ResourceId");
  if (ids.length === 0) throw missing("ResourceId.1");
  if (ids.length > 50) throw new AcsError("InvalidResourceId.Malformed", 400, "ResourceId.N takes 1 to 50 ids.");
  return ids.map((id) => {
    if (type === "snapshot") {
      const group = m.ecs.snapshots().find(({ g, s }) => s.SnapshotId === id && g.RegionId === region);
      const auto = m.autoSnapshots.snapshots.get(id);
      const found = group?.s.tags ?? (auto?.RegionId === region ? auto.tags : undefined);
      if (!found) throw new AcsError("InvalidResourceId.NotFound", 404, "The specified ResourceIds are not found in our records.");
      return found;
    }
    if (type === "invocation") return m.assistant.invocation(id, region).tags;
    return m.autoSnapshots.policy(id, region).tags;
  });
}

export const TAG_ACTIONS: Record<string, Handler> = {
  TagResources(q, m) {
    const add = tags(q);
    if (add.length === 0) throw missing("Tag.1.Key");
    if (add.length > 20) throw new AcsError("InvalidTags.Malformed", 400, "Tag.N takes 1 to 20 tags.");
    for (const list of tagLists(q, m)) {
      for (const t of add) {
        const existing = list.find((x) => x.Key === t.Key);
        if (existing) existing.Value = t.Value;
        else list.push({ ...t });
      }
    }
    return {};
  },

  UntagResources(q, m) {
    const keys = list(q, "TagKey");
    const all = bool(q, "All", false);
    for (const l of tagLists(q, m)) {
      const keep = all ? [] : l.filter((t) => !keys.includes(t.Key));
      l.splice(0, l.length, ...keep);
    }
    return {};
  },
};
