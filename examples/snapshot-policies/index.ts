import * as pulumi from "@pulumi/pulumi";
import { AutoSnapshotPolicy, RecoveryImage, SpotInstance } from "pulumi-recovery";

const config = new pulumi.Config();
const copyRegion = config.get("copyRegion") ?? "cn-shanghai";

// A spot instance whose rolling recovery points are also copied to a second region, where a relaunch
// goes when the home region cannot take one (no stock anywhere, the image quota full, the region failing).
const web = new SpotInstance("web", {
  zoneId: config.get("zoneId") ?? "cn-beijing-a",
  imageId: config.get("imageId") ?? "image-ubuntu2204-emu",
  instanceTypeId: config.get("instanceTypeId") ?? "ecs.g3il.large",
  subnetId: config.get("subnetId") ?? "subnet-emu-cn-beijing-a",
  securityGroupIds: [config.get("securityGroupId") ?? "sg-emu-default"],
  dataVolumes: [{ size: 20 }],
  password: config.getSecret("password"),
  tags: { app: "snapshot-policies-example" },
  recovery: {
    keepImages: 2,
    imageEvery: "30m",
    copyToRegion: {
      region: copyRegion,
      keep: config.getNumber("copyKeep") ?? 2,
      relaunch: {
        zoneId: config.get("copyZoneId") ?? `${copyRegion}-a`,
        subnetId: config.get("copySubnetId") ?? `subnet-emu-${copyRegion}-a`,
        securityGroupIds: [config.get("copySecurityGroupId") ?? "sg-emu-default"],
      },
    },
  },
});

// The cloud snapshots every volume of the instance at 01:00 and 13:00 on weekdays, keeping each snapshot
// `retentionDays`.
const nightly = new AutoSnapshotPolicy("nightly", {
  timePoints: [1, 13],
  repeatWeekdays: [1, 2, 3, 4, 5],
  retentionDays: config.getNumber("retentionDays") ?? 7,
  instanceIds: [web.instanceId],
  tags: { app: "snapshot-policies-example" },
});

// An instance that is not spot (managed elsewhere) gets a recovery image every `imageEvery`, `keepImages`
// of them kept: the controller (`pulumi-recovery watch --once` on a schedule) takes the next ones.
const dbInstanceId = config.get("dbInstanceId");
const dbImages = dbInstanceId
  ? new RecoveryImage("db-images", { instanceId: dbInstanceId, imageEvery: config.get("imageEvery") ?? "6h", keepImages: config.getNumber("keepImages") ?? 3 })
  : undefined;

export const instanceId = web.instanceId;
export const policyId = nightly.policyId;
export const policyVolumes = nightly.appliedVolumeIds;
export const scheduleId = dbImages?.id;
export const latestDbImageId = dbImages?.latestImageId;
export const dbImageCount = dbImages?.count;
