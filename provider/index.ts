// The public surface of pulumi-recovery, and nothing else.
export { SpotInstance, spotInstanceProvider, RecoveryImage, recoveryImageProvider } from "./volcengine/resources";
export type { SpotInstanceArgs, SpotInstanceOutputs, RecoveryImageArgs, RecoveryImageOutputs, RecoveryPolicyArgs, GuestHookArgs, PlacementArgs, VolumeArgs, DataVolumeArgs } from "./volcengine/resources";
export type { TimeoutsArgs } from "./core/resourceArgs";
export { ProtectedSpotInstance } from "./volcengine/protectedSpotInstance";
export type { ProtectedSpotInstanceArgs } from "./volcengine/protectedSpotInstance";
export { RecoveryController } from "./recovery/controller";
export type { ControllerOptions, RecoveryEvent, PassResult } from "./recovery/controller";
export { FileJournal } from "./recovery/journal";
export type { JournalStore, RecoveryRecord } from "./recovery/journal";
export type { RecoveryCloud } from "./recovery/cloud";
export { VolcengineRecovery } from "./volcengine/recovery";
export { AlicloudRecovery } from "./alicloud/recovery";
export { SpotRecoveryPolicy, spotRecoveryPolicyProvider } from "./recovery/resources";
export type { SpotRecoveryPolicyArgs, SpotRecoveryPolicyOutputs } from "./recovery/resources";
export { SnapshotRole, snapshotRoleProvider, ConsistentSnapshotGroup, consistentSnapshotGroupProvider } from "./alicloud/resources";
export type { SnapshotRoleArgs, SnapshotRoleOutputs, ConsistentSnapshotGroupArgs, ConsistentSnapshotGroupOutputs, Consistency } from "./alicloud/resources";
