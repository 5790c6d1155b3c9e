// SpotRecoveryPolicy's access to a Volcengine instance (provider/recovery/spotRecoveryPolicy/target.ts),
// on the finders this cloud already has: DescribeInstances, CreateTags/DeleteTags, the line's origin tag,
// and Cloud Assistant's saved commands.
import { orUndefined } from "../core/errors";
import type { PolicyInstance, PolicyTarget } from "../recovery/spotRecoveryPolicy/target";
import { TAGS } from "../recovery/policy";
import { deleteCommand, ensureCommand, updateCommand } from "./assistant";
import type { VolcengineClient } from "./client";
import { findInstance, listInstances, type Instance } from "./instances";
import { syncTags, TAG_LIMIT, tagMap } from "./tags";

const view = (i: Instance): PolicyInstance => ({ instanceId: i.InstanceId, status: i.Status, tags: tagMap(i.Tags), createdAt: i.CreatedAt });

export function volcenginePolicyTarget(client: VolcengineClient): PolicyTarget {
  return {
    cloud: "volcengine",
    region: client.region,
    tagValueMax: 256, // Tags.N.Value (API notes)
    tagLimit: TAG_LIMIT,
    instance: async (id) => {
      const inst = await orUndefined(findInstance(client, id));
      return inst && view(inst);
    },
    successor: async (id, origin) => {
      const line = await listInstances(client, { tagKey: TAGS.origin, tagValues: [origin] });
      const newest = line.filter((i) => i.InstanceId !== id).sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
      return newest && view(newest);
    },
    syncTags: (id, olds, news) => syncTags(client, "instance", id, olds, news),
    ensureHook: (o) => ensureCommand(client, o),
    updateHook: (commandId, script, timeoutSeconds) => updateCommand(client, commandId, script, timeoutSeconds),
    deleteHook: (commandId) => deleteCommand(client, commandId),
  };
}
