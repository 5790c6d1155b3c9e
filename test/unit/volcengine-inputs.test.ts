import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkInputs, UNKNOWN } from "../../provider/core/check";
import { encodePolicy, policyFromTags, policyTags, userTags } from "../../provider/recovery/policy";
import { runInstancesParams } from "../../provider/volcengine/launch";
import { flattenParams } from "../../provider/volcengine/params";
import { recoveryImageSchema } from "../../provider/volcengine/recoveryImage";
import { configFromTags, configTags, launchFromPoint, type InstanceConfig } from "../../provider/volcengine/recoveryPoint";
import { spotInstanceSchema } from "../../provider/volcengine/spotInstance/schema";
import { launchSpec } from "../../provider/volcengine/spotInstance/spec";

const good = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
};

describe("flattenParams", () => {
  it("flattens lists 1-based and nests objects the way the Volcengine GET API expects", () => {
    expect(flattenParams({ InstanceIds: ["i-1", "i-2"], NetworkInterfaces: [{ SubnetId: "s", SecurityGroupIds: ["a", "b"] }], Tags: [{ Key: "k", Value: "v" }], Count: 1, DryRun: false, Skip: undefined })).toEqual({
      "InstanceIds.1": "i-1",
      "InstanceIds.2": "i-2",
      "NetworkInterfaces.1.SubnetId": "s",
      "NetworkInterfaces.1.SecurityGroupIds.1": "a",
      "NetworkInterfaces.1.SecurityGroupIds.2": "b",
      "Tags.1.Key": "k",
      "Tags.1.Value": "v",
      Count: "1",
      DryRun: "false",
    });
  });
});

describe("SpotInstance check", () => {
  it("applies defaults to good inputs", () => {
    const { inputs, failures } = checkInputs(spotInstanceSchema, good);
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ spotStrategy: "SpotAsPriceGo", systemVolume: { volumeType: "ESSD_PL0", size: 40 } });
  });

  it.each([
    [{ ...good, zoneId: undefined }, "zoneId", /zoneId is required/],
    [{ ...good, zoneId: 42 }, "zoneId", /^zoneId must be a string, not a number$/],
    [{ ...good, securityGroupIds: [] }, "securityGroupIds", /at least one/],
    [{ ...good, securityGroupIds: "sg-1" }, "securityGroupIds", /must be a list/],
    [{ ...good, spotStrategy: "SpotWithPriceLimit" }, "spotPriceLimit", /required when spotStrategy is "SpotWithPriceLimit"/],
    [{ ...good, spotPriceLimit: 0.5 }, "spotPriceLimit", /applies only with spotStrategy/],
    [{ ...good, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: 0.12345 }, "spotPriceLimit", /3 decimal places/],
    [{ ...good, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: "cheap" }, "spotPriceLimit", /must be a number, not a string/],
    [{ ...good, spotStrategy: "Cheap" }, "spotStrategy", /SpotAsPriceGo/],
    [{ ...good, password: "short" }, "password", /8-30 characters/],
    [{ ...good, password: "Abcdefg1!", keyPairName: "kp" }, "password", /either keyPairName or password/],
    [{ ...good, systemVolume: { size: 5 } }, "systemVolume.size", /at least 20/],
    [{ ...good, systemVolume: { size: 40.5 } }, "systemVolume.size", /whole number/],
    [{ ...good, dataVolumes: [{ size: 20, volumeType: "ESSD_PL3" }] }, "dataVolumes[0].volumeType", /ESSD_PL0, ESSD_FlexPL, PTSSD/],
    [{ ...good, tags: { "pulumi-recovery:x": "1" } }, "tags", /reserved/],
    [{ ...good, tags: { "volc:owner": "me" } }, "tags.volc:owner", /must not start with "volc:"/],
    [{ ...good, tags: Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`k${i}`, "v"])) }, "tags", /at most 17 tags.*keeps 3/],
    [{ ...good, instanceName: "1web" }, "instanceName", /start with a letter/],
    [{ ...good, instanceName: "web server" }, "instanceName", /only letters, digits/],
    [{ ...good, description: "-leading dash" }, "description", /start with a letter/],
    [{ ...good, hostname: "-web" }, "hostname", /must not start or end/],
    [{ ...good, hostname: "web..01" }, "hostname", /doubled|"\.\."/],
    [{ ...good, hostname: "w" }, "hostname", /2-63/],
    [{ ...good, userData: "x".repeat(16 * 1024 + 1) }, "userData", /at most 16 KB/],
    [{ ...good, timeouts: { create: "soon" } }, "timeouts.create", /duration/],
    [{ ...good, recovery: { onInterruption: "pray" } }, "recovery.onInterruption", /image-and-relaunch/],
    [{ ...good, recovery: { imageEvery: "1m" } }, "recovery.imageEvery", /at least "5m"/],
    [{ ...good, recovery: { keepImages: 21 } }, "recovery.keepImages", /at most 20/],
    [{ ...good, instanceType: "ecs.g3il.large" }, "instanceType", /did you mean instanceTypeId\?/],
    [{ ...good, colour: "red" }, "colour", /not a known input; valid inputs here are/],
    [{ ...good, recovery: { keepImage: 3 } }, "recovery.keepImage", /did you mean keepImages\?/],
  ])("rejects %# naming the field and the fix", (news, property, reason) => {
    const { failures } = checkInputs(spotInstanceSchema, news as any);
    const f = failures.find((x) => x.property === property);
    expect(f, JSON.stringify(failures)).toBeDefined();
    expect(f!.reason).toMatch(reason);
  });

  it("never passes raw validator text to the user", () => {
    const bad = { ...good, zoneId: 1, securityGroupIds: [1], systemVolume: { size: 1.5 }, tags: { "": "x" }, dataVolumes: "none", recovery: { keepImages: "3" } };
    for (const f of checkInputs(spotInstanceSchema, bad as any).failures) {
      expect(f.reason, f.property).not.toMatch(/Invalid (input|key in record|option)|expected (int|string|number)|received/);
    }
  });

  it("never quotes a value: a secret or 100 KB of user data stays out of every message", () => {
    const secret = "Sup3r-Secret-Pw!";
    const big = "y".repeat(100 * 1024);
    const { failures } = checkInputs(spotInstanceSchema, { ...good, password: secret, keyPairName: "kp", userData: big, spotPriceLimit: 0.1 } as any);
    expect(failures.length).toBeGreaterThan(1);
    const text = JSON.stringify(failures);
    expect(text).not.toContain(secret);
    expect(text).not.toContain("yyyyyyyy");
    expect(text.length).toBeLessThan(2_000);
  });

  it("skips checks of values unknown at preview", () => {
    const { failures } = checkInputs(spotInstanceSchema, { ...good, subnetId: UNKNOWN, securityGroupIds: UNKNOWN });
    expect(failures).toEqual([]);
  });
});

describe("RunInstances mapping", () => {
  it("builds PostPaid, Count 1, Hostname, base64 user data, ordered volumes, the policy tag and the create token", () => {
    const inputs = spotInstanceSchema.parse({ ...good, hostname: "web-01", userData: "#!/bin/sh\necho hi", tags: { team: "a" }, recovery: { keepImages: 2 }, dataVolumes: [{ size: 100, deleteWithInstance: false }, { size: 50, volumeType: "ESSD_FlexPL" }] });
    const p = runInstancesParams(launchSpec(inputs, "web"), "tok-attempt", "tok");
    expect(p).toMatchObject({ InstanceChargeType: "PostPaid", Count: 1, ClientToken: "tok-attempt", Hostname: "web-01", InstanceName: "web", UserData: Buffer.from("#!/bin/sh\necho hi").toString("base64") });
    expect(p.Volumes).toEqual([
      { VolumeType: "ESSD_PL0", Size: 40, SnapshotId: undefined },
      { VolumeType: "ESSD_PL0", Size: 100, DeleteWithInstance: "false", SnapshotId: undefined },
      { VolumeType: "ESSD_FlexPL", Size: 50, DeleteWithInstance: "true", SnapshotId: undefined },
    ]);
    expect(Object.fromEntries(p.Tags.map((t) => [t.Key, t.Value]))).toEqual({ team: "a", "pulumi-recovery:policy": "on=image-and-relaunch keep=2", "pulumi-recovery:token": "tok" });
    expect(p.Tags.length).toBeLessThanOrEqual(20);
  });
});

describe("the recovery policy: one schema, one compact tag", () => {
  it("round-trips through its tag, and fits Alibaba's 128-character tag values", () => {
    const policy = { onInterruption: "image-only" as const, keepImages: 4, imageEvery: "30m" };
    expect(policyFromTags(policyTags(policy))).toEqual(policy);
    expect(encodePolicy(policy).length).toBeLessThanOrEqual(128);
    expect(policyFromTags({})).toBeUndefined();
    expect(policyFromTags({ "pulumi-recovery:policy": "on=pray" })).toBeUndefined();
  });
  it("reads release 0.1.0's three policy tags", () => {
    expect(policyFromTags({ "pulumi-recovery:on-interruption": "image-and-relaunch", "pulumi-recovery:keep-images": "2" })).toEqual({ onInterruption: "image-and-relaunch", keepImages: 2 });
  });
  it("never reports the cloud's own or our own tags as user tags", () => {
    expect(userTags({ team: "a", "volc:ecs:launch-source": "x", "sys:y": "1", "pulumi-recovery:policy": "on=none keep=1" })).toEqual({ team: "a" });
  });
});

describe("recovery points", () => {
  const cfg: InstanceConfig = {
    instanceId: "i-1",
    instanceName: "web",
    zoneId: "cn-beijing-a",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-1",
    securityGroupIds: ["sg-1"],
    spotStrategy: "SpotAsPriceGo",
    userData: Buffer.from("x".repeat(3000)).toString("base64"),
    volumes: [
      { volumeId: "vol-s", kind: "system", volumeType: "ESSD_PL0", size: 40, deleteWithInstance: true },
      { volumeId: "vol-d1", kind: "data", volumeType: "ESSD_FlexPL", size: 100, deleteWithInstance: false },
      { volumeId: "vol-d2", kind: "data", volumeType: "ESSD_PL0", size: 20, deleteWithInstance: true },
    ],
    tags: { team: "sre" },
    origin: "i-0",
  };
  it("record the relaunch configuration in tags of at most 256 characters and read it back", () => {
    const { tags } = configTags(cfg, 17);
    expect(Object.values(tags).every((v) => v.length <= 256 && /^[\w-]*$/.test(v))).toBe(true);
    expect(configFromTags(tags)).toEqual(cfg);
  });
  it("drop the user data first when the configuration does not fit", () => {
    const { tags, droppedUserData } = configTags({ ...cfg, userData: randomBytes(12000).toString("base64") }, 4);
    expect(droppedUserData).toBe(true);
    expect(configFromTags(tags)?.userData).toBeUndefined();
  });
  it("map every data volume back to its snapshot, in order, same type, size and DeleteWithInstance; the system volume never smaller than the image", () => {
    const group = { SnapshotGroupId: "ssg-1", Status: "available", Snapshots: [
      { SnapshotId: "s-d2", VolumeId: "vol-d2", VolumeKind: "data" as const, VolumeSize: 20, VolumeType: "ESSD_PL0", Status: "available" },
      { SnapshotId: "s-s", VolumeId: "vol-s", VolumeKind: "system" as const, VolumeSize: 40, VolumeType: "ESSD_PL0", Status: "available" },
      { SnapshotId: "s-d1", VolumeId: "vol-d1", VolumeKind: "data" as const, VolumeSize: 100, VolumeType: "ESSD_FlexPL", Status: "available" },
    ] };
    expect(launchFromPoint(group, cfg, "image-1", 50)).toEqual({
      imageId: "image-1",
      systemVolume: { volumeType: "ESSD_PL0", size: 50 },
      dataVolumes: [
        { volumeType: "ESSD_FlexPL", size: 100, deleteWithInstance: false, snapshotId: "s-d1" },
        { volumeType: "ESSD_PL0", size: 20, deleteWithInstance: true, snapshotId: "s-d2" },
      ],
    });
  });
});

describe("RecoveryImage check", () => {
  it("requires instanceId and a name the cloud accepts, and refuses tags beyond the budget", () => {
    const { failures } = checkInputs(recoveryImageSchema, { imageName: "x".repeat(129), tags: Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, "v"])) });
    expect(failures.map((f) => f.property).sort()).toEqual(["imageName", "instanceId", "tags"]);
    expect(failures.find((f) => f.property === "tags")!.reason).toMatch(/at most 18/);
  });
});
