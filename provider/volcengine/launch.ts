// Launching an instance: the one mapping from what we know of an instance to RunInstances, used by
// SpotInstance and by the recovery controller's relaunch, under the one create-token rule.
import { findOrCreate, TOKEN_TAG } from "../core/tokens";
import { CloudError } from "../core/errors";
import type { VolcengineClient } from "./client";
import { listInstances, removeInstance } from "./instances";
import { tagList } from "./tags";

export interface LaunchVolume {
  volumeType: string;
  size: number;
  /** Data volumes only (the system volume always goes with the instance). */
  deleteWithInstance?: boolean;
  /** Restore the volume from this snapshot (RunInstances Volumes.N.SnapshotId). */
  snapshotId?: string;
}

/** Everything RunInstances needs, in our words. */
export interface LaunchSpec {
  zoneId: string;
  imageId: string;
  instanceTypeId: string;
  subnetId: string;
  securityGroupIds: string[];
  spotStrategy: "SpotAsPriceGo" | "SpotWithPriceLimit" | "NoSpot";
  spotPriceLimit?: number;
  instanceName: string;
  hostname?: string;
  description?: string;
  projectName?: string;
  keyPairName?: string;
  password?: string;
  /** Keep the custom image's login credential (relaunching from a recovery image without a key pair). */
  keepImageCredential?: boolean;
  /** Already base64, as RunInstances takes it and DescribeUserData answers it. */
  userDataBase64?: string;
  systemVolume: LaunchVolume;
  dataVolumes: LaunchVolume[];
  /** Every tag, ours included (the caller keeps within the 20-tag budget). */
  tags: Record<string, string>;
}

/** RunInstances parameters (volcengine-go-sdk service/ecs RunInstancesInput). */
export function runInstancesParams(spec: LaunchSpec, clientToken: string, token: string) {
  return {
    ZoneId: spec.zoneId,
    ImageId: spec.imageId,
    InstanceTypeId: spec.instanceTypeId,
    InstanceName: spec.instanceName,
    Hostname: spec.hostname,
    Description: spec.description,
    ProjectName: spec.projectName,
    InstanceChargeType: "PostPaid",
    SpotStrategy: spec.spotStrategy,
    SpotPriceLimit: spec.spotStrategy === "SpotWithPriceLimit" ? spec.spotPriceLimit : undefined,
    Count: 1,
    ClientToken: clientToken,
    KeyPairName: spec.keyPairName,
    Password: spec.password,
    KeepImageCredential: spec.keepImageCredential || undefined,
    UserData: spec.userDataBase64,
    NetworkInterfaces: [{ SubnetId: spec.subnetId, SecurityGroupIds: spec.securityGroupIds }],
    Volumes: [
      { VolumeType: spec.systemVolume.volumeType, Size: spec.systemVolume.size, SnapshotId: spec.systemVolume.snapshotId },
      ...spec.dataVolumes.map((v) => ({ VolumeType: v.volumeType, Size: v.size, DeleteWithInstance: v.deleteWithInstance === undefined ? undefined : String(v.deleteWithInstance), SnapshotId: v.snapshotId })),
    ],
    Tags: tagList({ ...spec.tags, [TOKEN_TAG]: token }),
  };
}

/**
 * Launches `spec` once under `token`: an instance tagged with the token (a crashed or lost earlier
 * attempt) is adopted instead of launching a second one.
 */
export async function launchInstance(client: VolcengineClient, spec: LaunchSpec, token: string, what: string): Promise<{ instanceId: string; adopted: boolean }> {
  const { value, adopted } = await findOrCreate({
    what,
    token,
    retry: client.retry,
    find: async () => (await listInstances(client, { tagKey: TOKEN_TAG, tagValues: [token] })).map((i) => ({ id: i.InstanceId, createdAt: i.CreatedAt })),
    create: async (clientToken) => {
      const res = await client.ecs<{ InstanceIds?: string[] }>("RunInstances", runInstancesParams(spec, clientToken, token), { safe: false });
      const id = res.InstanceIds?.[0];
      if (!id) throw new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InvalidResponse", message: "no InstanceIds in the answer" });
      return id;
    },
    discard: (id) => removeInstance(client, id, 10 * 60_000),
  });
  return { instanceId: value, adopted };
}
