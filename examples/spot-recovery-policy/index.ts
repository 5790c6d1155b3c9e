import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import { SpotRecoveryPolicy } from "pulumi-recovery";

const config = new pulumi.Config();

/**
 * A preemptible instance as a team declares it today, with @pulumi/alicloud. `ignoreChanges: ["tags"]`:
 * the alicloud provider reads every tag on the instance but the cloud's own (`aliyun…`, `acs:…`), so without
 * it the next `up` would remove the tags the recovery policy records there.
 */
function declareInstance(): alicloud.ecs.Instance {
  return new alicloud.ecs.Instance(
    "web",
    {
      instanceName: "web",
      availabilityZone: config.get("zoneId") ?? "cn-hangzhou-h",
      vswitchId: config.require("vswitchId"),
      securityGroups: [config.require("securityGroupId")],
      instanceType: config.get("instanceType") ?? "ecs.g7.large",
      imageId: config.get("imageId") ?? "aliyun_3_x64_20G_alibase_20240819.vhd",
      instanceChargeType: "PostPaid",
      spotStrategy: "SpotWithPriceLimit",
      spotPriceLimit: config.getNumber("spotPriceLimit") ?? 0.3,
      systemDiskCategory: "cloud_essd",
      systemDiskSize: 40,
      dataDisks: [{ category: "cloud_essd", size: 100, deleteWithInstance: true }],
      password: config.getSecret("password"),
      tags: { app: "web" },
    },
    { ignoreChanges: ["tags"] },
  );
}

// `instanceId` in config protects an instance made elsewhere (and is how the end-to-end test runs this
// program: the alicloud plugin cannot be downloaded there, so the instance comes from the emulator).
const instanceId: pulumi.Input<string> = config.get("instanceId") ?? declareInstance().id;

const policy = new SpotRecoveryPolicy("web", {
  cloud: "alicloud",
  instanceId,
  onInterruption: "image-and-relaunch",
  keepImages: config.getNumber("keepImages") ?? 3,
  imageEvery: config.get("imageEvery"),
});

export const protectedInstanceId = policy.attachedInstanceId;
export const recordedPolicy = policy.recordedPolicy.apply((p) => p ?? "");
export const recoveredFrom = policy.recoveredFrom.apply((r) => r ?? "");
