// SpotRecoveryPolicy's access to an Alibaba Cloud instance (provider/recovery/spotRecoveryPolicy/target.ts):
// DescribeInstances, TagResources/UntagResources (ResourceType instance), the line's origin tag through
// ListTagResources, and saved Cloud Assistant commands.
import { orUndefined } from "../core/errors";
import type { PolicyInstance, PolicyTarget } from "../recovery/spotRecoveryPolicy/target";
import { TAGS } from "../recovery/policy";
import type { AlicloudClient } from "./client";
import { deleteCommand, ensureCommand, updateCommand } from "./commands";
import { findInstance, listInstancesByTag, tagsOf, type Instance } from "./instances";
import { syncTags, TAG_LIMIT, TAG_VALUE_MAX } from "./tags";

const view = (i: Instance): PolicyInstance => ({ instanceId: i.InstanceId, status: i.Status, tags: tagsOf(i), createdAt: i.CreationTime });

export function alicloudPolicyTarget(client: AlicloudClient): PolicyTarget {
  return {
    cloud: "alicloud",
    region: client.region,
    tagValueMax: TAG_VALUE_MAX,
    tagLimit: TAG_LIMIT,
    instance: async (id) => {
      const inst = await orUndefined(findInstance(client, id));
      return inst && view(inst);
    },
    successor: async (id, origin) => {
      const line = await listInstancesByTag(client, TAGS.origin, origin);
      const newest = line.filter((i) => i.InstanceId !== id).sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? ""))[0];
      return newest && view(newest);
    },
    syncTags: (id, olds, news) => syncTags(client, "instance", id, olds, news),
    ensureHook: (o) => ensureCommand(client, o),
    updateHook: (commandId, script, timeoutSeconds) => updateCommand(client, commandId, script, timeoutSeconds),
    deleteHook: (commandId) => deleteCommand(client, commandId),
  };
}
