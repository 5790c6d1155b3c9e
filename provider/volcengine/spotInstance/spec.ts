// SpotInstance inputs → what RunInstances needs (launch.ts), and the tags the instance carries.
import { policyTags, recordedPolicy } from "../../recovery/policy";
import type { LaunchSpec } from "../launch";
import type { SpotInstanceInputs } from "./schema";

/** User tags plus the recorded recovery policy (the create token is added by launchInstance). */
export function instanceTags(inputs: Pick<SpotInstanceInputs, "tags" | "recovery">, hookCommandId?: string): Record<string, string> {
  return { ...(inputs.tags ?? {}), ...policyTags(inputs.recovery && recordedPolicy(inputs.recovery, hookCommandId)) };
}

export function launchSpec(inputs: SpotInstanceInputs, instanceName: string, hookCommandId?: string): LaunchSpec {
  return {
    zoneId: inputs.zoneId,
    imageId: inputs.imageId,
    instanceTypeId: inputs.instanceTypeId,
    subnetId: inputs.subnetId,
    securityGroupIds: inputs.securityGroupIds,
    spotStrategy: inputs.spotStrategy,
    spotPriceLimit: inputs.spotPriceLimit,
    instanceName,
    hostname: inputs.hostname,
    description: inputs.description,
    projectName: inputs.projectName,
    keyPairName: inputs.keyPairName,
    password: inputs.password,
    userDataBase64: inputs.userData === undefined ? undefined : Buffer.from(inputs.userData).toString("base64"),
    systemVolume: inputs.systemVolume,
    dataVolumes: inputs.dataVolumes ?? [],
    tags: instanceTags(inputs, hookCommandId),
  };
}
