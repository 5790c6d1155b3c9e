import * as pulumi from "@pulumi/pulumi";
import { ProtectedSpotInstance } from "pulumi-recovery";

const config = new pulumi.Config();

const web = new ProtectedSpotInstance("web", {
  zoneId: config.get("zoneId") ?? "cn-beijing-a",
  imageId: config.get("imageId") ?? "image-ubuntu2204-emu",
  instanceTypeId: config.get("instanceTypeId") ?? "ecs.g3il.large",
  subnetId: config.get("subnetId") ?? "subnet-emu-cn-beijing-a",
  securityGroupIds: [config.get("securityGroupId") ?? "sg-emu-default"],
  instanceName: config.get("instanceName") ?? "web",
  spotStrategy: "SpotWithPriceLimit",
  spotPriceLimit: config.getNumber("spotPriceLimit") ?? 0.25,
  password: config.getSecret("password"),
  tags: { app: "spot-recovery-example", ...(config.get("team") ? { team: config.require("team") } : {}) },
  // Bring an instance that already exists under management (dynamic resources cannot `pulumi import`).
  adoptInstanceId: config.get("adoptInstanceId"),
  recovery: { onInterruption: "image-and-relaunch", keepImages: 3, imageEvery: config.get("imageEvery") },
});

export const instanceId = web.instanceId;
export const privateIp = web.privateIpAddress;
export const baselineImageId = web.baselineImageId;
export const interruptionScheduled = web.instance.interruptionScheduled;
