import * as pulumi from "@pulumi/pulumi";
import { AlicloudAutoSnapshotPolicy, ConsistentSnapshotGroup, ConsistentSnapshotPolicy, SnapshotRole } from "pulumi-recovery";

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

// The same application-consistent group on a schedule: every night at 02:00 Shanghai time, the newest
// seven kept. `pulumi-recovery watch --cloud alicloud --once` (or `serve` with an alicloud target) prunes
// the older ones; a schedule or retention change is made in place.
const nightly = new ConsistentSnapshotPolicy(
  "db-nightly",
  {
    instanceId,
    ramRoleName: role.roleName,
    preScriptPath: config.get("preScriptPath") ?? "/root/prescript.sh",
    postScriptPath: config.get("postScriptPath") ?? "/root/postscript.sh",
    scriptTimeoutSeconds: 600,
    schedule: config.get("schedule") ?? "0 0 2 * * ? Asia/Shanghai",
    keepLast: config.getNumber("keepLast") ?? 7,
    keepFor: config.get("keepFor"),
  },
  { dependsOn: role },
);

// Disks that need no application consistency: ECS's own automatic snapshots, at 03:00 (UTC+8) every day,
// kept a week.
const crashConsistent = new AlicloudAutoSnapshotPolicy("disks-nightly", {
  timePoints: [3],
  repeatWeekdays: [1, 2, 3, 4, 5, 6, 7],
  retentionDays: config.getNumber("retentionDays") ?? 7,
  diskIds: config.getObject<string[]>("autoSnapshotDiskIds") ?? [],
});

export const policyInvocationId = nightly.invocationId;
export const policyGroupCount = nightly.groupCount;
export const policyNewestGroupId = nightly.newestGroupId.apply((id) => id ?? "");
export const autoSnapshotPolicyId = crashConsistent.autoSnapshotPolicyId;
export const autoSnapshotDisks = crashConsistent.appliedDiskIds;
