// The public surface of pulumi-recovery, and nothing else.
export { SpotInstance, spotInstanceProvider, RecoveryImage, recoveryImageProvider } from "./volcengine/resources";
export type { SpotInstanceArgs, SpotInstanceOutputs, RecoveryImageArgs, RecoveryImageOutputs, RecoveryPolicyArgs, GuestHookArgs, PlacementArgs, VolumeArgs, DataVolumeArgs } from "./volcengine/resources";
export { AutoSnapshotPolicy, autoSnapshotPolicyProvider } from "./volcengine/resources";
export type { AutoSnapshotPolicyArgs, AutoSnapshotPolicyOutputs } from "./volcengine/resources";
export type { TimeoutsArgs } from "./core/resourceArgs";
export { ProtectedSpotInstance } from "./volcengine/protectedSpotInstance";
export type { ProtectedSpotInstanceArgs } from "./volcengine/protectedSpotInstance";
export { RecoveryController } from "./recovery/controller";
export type { ControllerOptions, RecoveryEvent, PassResult } from "./recovery/controller";
export { FileJournal } from "./recovery/journal";
export type { JournalStore, RecoveryRecord } from "./recovery/journal";
export { PostgresJournal, ClaimLostError } from "./recovery/journalPg";
export type { PostgresJournalOptions } from "./recovery/journalPg";
export type { RecoveryCloud } from "./recovery/cloud";
export { VolcengineRecovery } from "./volcengine/recovery";
export { AlicloudRecovery } from "./alicloud/recovery";
export { SpotRecoveryPolicy, spotRecoveryPolicyProvider } from "./recovery/resources";
export type { SpotRecoveryPolicyArgs, SpotRecoveryPolicyOutputs } from "./recovery/resources";
export { SnapshotRole, snapshotRoleProvider, ConsistentSnapshotGroup, consistentSnapshotGroupProvider } from "./alicloud/resources";
export type { SnapshotRoleArgs, SnapshotRoleOutputs, ConsistentSnapshotGroupArgs, ConsistentSnapshotGroupOutputs, Consistency } from "./alicloud/resources";
export {
  ServerBackupPolicy,
  serverBackupPolicyProvider,
  ServerRecoveryPolicy,
  serverRecoveryPolicyProvider,
  ServerSuspendSchedule,
  serverSuspendScheduleProvider,
} from "./openstack/resources";
export type {
  ServerBackupPolicyArgs,
  ServerBackupPolicyOutputs,
  ServerRecoveryPolicyArgs,
  ServerRecoveryPolicyOutputs,
  ServerSuspendScheduleArgs,
  ServerSuspendScheduleOutputs,
  HealthProbeArgs,
  OpenStackConnectionArgs,
} from "./openstack/resources";
export { OpenStackRunner } from "./openstack/runner";
export type { RunnerOptions, RunnerEvent, RunnerPassResult } from "./openstack/runner";
export { FileActionJournal } from "./openstack/journal";
export type { ActionJournal, ActionRecord } from "./openstack/journal";
export { ConsistentSnapshotPolicy, consistentSnapshotPolicyProvider, AlicloudAutoSnapshotPolicy, alicloudAutoSnapshotPolicyProvider } from "./alicloud/resources";
export type { ConsistentSnapshotPolicyArgs, ConsistentSnapshotPolicyOutputs, AlicloudAutoSnapshotPolicyArgs, AlicloudAutoSnapshotPolicyOutputs } from "./alicloud/resources";
export { AlicloudPolicyRunner } from "./alicloud/policyRunner";
export type { PolicyRunnerOptions, PolicyPassResult, PolicyEvent } from "./alicloud/policyRunner";
