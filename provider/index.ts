// The public surface of pulumi-recovery, and nothing else.
export { SpotInstance, spotInstanceProvider, RecoveryImage, recoveryImageProvider } from "./volcengine/resources";
export type { SpotInstanceArgs, RecoveryImageArgs, RecoveryPolicyArgs, VolumeArgs, TimeoutsArgs } from "./volcengine/resources";
