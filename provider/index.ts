// The public surface of pulumi-recovery, and nothing else.
export { SpotInstance, spotInstanceProvider, RecoveryImage, recoveryImageProvider } from "./volcengine/resources";
export type { SpotInstanceArgs, SpotInstanceOutputs, RecoveryImageArgs, RecoveryImageOutputs, RecoveryPolicyArgs, VolumeArgs, DataVolumeArgs } from "./volcengine/resources";
export { AutoSnapshotPolicy, autoSnapshotPolicyProvider } from "./volcengine/resources";
export type { AutoSnapshotPolicyArgs, AutoSnapshotPolicyOutputs } from "./volcengine/resources";
export type { TimeoutsArgs } from "./core/resourceArgs";
export { ProtectedSpotInstance } from "./volcengine/protectedSpotInstance";
export type { ProtectedSpotInstanceArgs } from "./volcengine/protectedSpotInstance";
export { RecoveryController } from "./recovery/controller";
export type { ControllerOptions, RecoveryEvent, PassResult } from "./recovery/controller";
export { FileJournal } from "./recovery/journal";
export type { JournalStore, RecoveryRecord } from "./recovery/journal";
export type { RecoveryCloud } from "./recovery/cloud";
export { VolcengineRecovery } from "./volcengine/recovery";
export { SnapshotRole, snapshotRoleProvider, ConsistentSnapshotGroup, consistentSnapshotGroupProvider } from "./alicloud/resources";
export type { SnapshotRoleArgs, ConsistentSnapshotGroupArgs } from "./alicloud/resources";
