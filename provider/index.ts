// The public surface of pulumi-recovery, and nothing else.
export { SpotInstance, spotInstanceProvider, RecoveryImage, recoveryImageProvider } from "./volcengine/resources";
export type { SpotInstanceArgs, RecoveryImageArgs, RecoveryPolicyArgs, VolumeArgs, TimeoutsArgs } from "./volcengine/resources";
export { ProtectedSpotInstance } from "./volcengine/protectedSpotInstance";
export type { ProtectedSpotInstanceArgs } from "./volcengine/protectedSpotInstance";
export { RecoveryController } from "./recovery/controller";
export type { ControllerOptions, RecoveryEvent, PassResult } from "./recovery/controller";
export { Journal } from "./recovery/journal";
export { SnapshotRole, snapshotRoleProvider, ConsistentSnapshotGroup, consistentSnapshotGroupProvider } from "./alicloud/resources";
export type { SnapshotRoleArgs, ConsistentSnapshotGroupArgs } from "./alicloud/resources";
