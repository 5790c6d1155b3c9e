import * as pulumi from "@pulumi/pulumi";
import { ConsistentSnapshotGroup, SnapshotRole } from "pulumi-recovery";

const config = new pulumi.Config();
const instanceId = config.get("instanceId") ?? "i-emu-db-linux";

// The RAM role the app-snapshot plugin acts with: trusted by ECS, least-privilege snapshot policy,
// attached to the instance.
const role = new SnapshotRole("snapshots", { roleName: config.get("roleName") ?? "app-snapshots", instanceIds: [instanceId] });

const group = new ConsistentSnapshotGroup(
  "db",
  {
    instanceId,
    ramRoleName: role.roleName,
    name: config.get("groupName") ?? "db-consistent",
    // Freeze/thaw scripts on the instance (root-owned, mode 700), e.g. FLUSH TABLES WITH READ LOCK.
    preScriptPath: config.get("preScriptPath") ?? "/root/prescript.sh",
    postScriptPath: config.get("postScriptPath") ?? "/root/postscript.sh",
    // Any text reaches the plugin intact (commas, quotes, $, %…): see the README.
    description: config.get("description") ?? "nightly, before the batch",
  },
  { dependsOn: role },
);

export const roleArn = role.roleArn;
export const snapshotGroupId = group.snapshotGroupId;
export const snapshotIds = group.snapshotIds;
export const consistency = group.consistency;
// Absent when the group is application-consistent: an empty string then, so the output always shows.
export const consistencyNote = group.consistencyNote.apply((note) => note ?? "");
