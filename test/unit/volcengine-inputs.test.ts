import { describe, expect, it } from "vitest";
import { checkInputs, UNKNOWN } from "../../provider/core/check";
import { flattenParams } from "../../provider/volcengine/params";
import { clientTokenBase, runInstancesParams, spotInstanceSchema } from "../../provider/volcengine/spotInstance";
import { recoveryImageSchema } from "../../provider/volcengine/recoveryImage";
import { policyFromTags, recoveryTags } from "../../provider/volcengine/recoveryPolicy";

const good = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
};

describe("flattenParams", () => {
  it("flattens lists 1-based and nests objects the way the Volcengine GET API expects", () => {
    expect(
      flattenParams({
        InstanceIds: ["i-1", "i-2"],
        NetworkInterfaces: [{ SubnetId: "s", SecurityGroupIds: ["a", "b"] }],
        Tags: [{ Key: "k", Value: "v" }],
        Count: 1,
        DryRun: false,
        Skip: undefined,
      }),
    ).toEqual({
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
    [{ ...good, securityGroupIds: [] }, "securityGroupIds", /at least one/],
    [{ ...good, spotStrategy: "SpotWithPriceLimit" }, "spotPriceLimit", /required when spotStrategy is "SpotWithPriceLimit"/],
    [{ ...good, spotPriceLimit: 0.5 }, "spotPriceLimit", /applies only with spotStrategy/],
    [{ ...good, spotStrategy: "SpotWithPriceLimit", spotPriceLimit: 0.12345 }, "spotPriceLimit", /3 decimal places/],
    [{ ...good, spotStrategy: "Cheap" }, "spotStrategy", /SpotAsPriceGo/],
    [{ ...good, password: "short" }, "password", /8–30 characters/],
    [{ ...good, password: "Abcdefg1!", keyPairName: "kp" }, "password", /either keyPairName or password/],
    [{ ...good, systemVolume: { size: 5 } }, "systemVolume.size", /at least 20/],
    [{ ...good, tags: { "pulumi-recovery:x": "1" } }, "tags", /reserved/],
    [{ ...good, timeouts: { create: "soon" } }, "timeouts.create", /duration/],
    [{ ...good, recovery: { onInterruption: "pray" } }, "recovery.onInterruption", /image-and-relaunch/],
    [{ ...good, recovery: { imageEvery: "1m" } }, "recovery.imageEvery", /at least "5m"/],
    [{ ...good, colour: "red" }, "(inputs)", /colour/],
  ])("rejects %# naming the field", (news, property, reason) => {
    const { failures } = checkInputs(spotInstanceSchema, news as any);
    const f = failures.find((x) => x.property === property);
    expect(f, JSON.stringify(failures)).toBeDefined();
    expect(f!.reason).toMatch(reason);
  });

  it("skips checks of values unknown at preview", () => {
    const { failures } = checkInputs(spotInstanceSchema, { ...good, subnetId: UNKNOWN, securityGroupIds: UNKNOWN });
    expect(failures).toEqual([]);
  });
});

describe("ClientToken", () => {
  const inputs = spotInstanceSchema.parse({ ...good, __identity: "proj/dev/web" });
  it("is the same for the same create and at most 64 ASCII characters", () => {
    expect(clientTokenBase(inputs)).toBe(clientTokenBase(spotInstanceSchema.parse({ ...good, __identity: "proj/dev/web" })));
    expect(`${clientTokenBase(inputs)}-0`).toMatch(/^[\x21-\x7e]{1,64}$/);
  });
  it("differs for another resource, other inputs, or a replacement's salt, and ignores secrets", () => {
    const base = clientTokenBase(inputs);
    expect(clientTokenBase({ ...inputs, __identity: "proj/dev/db" })).not.toBe(base);
    expect(clientTokenBase({ ...inputs, zoneId: "cn-beijing-b" })).not.toBe(base);
    expect(clientTokenBase({ ...inputs, __tokenSalt: "x" })).not.toBe(base);
    expect(clientTokenBase({ ...inputs, password: "Secret123!" })).toBe(base);
  });
  it("builds RunInstances with PostPaid, Count 1, base64 user data and the recovery tags", () => {
    const p = runInstancesParams(
      spotInstanceSchema.parse({ ...good, userData: "#!/bin/sh\necho hi", tags: { team: "a" }, recovery: { keepImages: 2 } }),
      "tok",
    );
    expect(p).toMatchObject({ InstanceChargeType: "PostPaid", Count: 1, ClientToken: "tok", UserData: Buffer.from("#!/bin/sh\necho hi").toString("base64") });
    expect(Object.fromEntries(p.Tags.map((t) => [t.Key, t.Value]))).toEqual({
      team: "a",
      "pulumi-recovery:on-interruption": "image-and-relaunch",
      "pulumi-recovery:keep-images": "2",
    });
  });
});

describe("recovery policy tags", () => {
  it("round-trips through tags", () => {
    const policy = { onInterruption: "image-only" as const, keepImages: 4, imageEvery: "30m" };
    expect(policyFromTags(recoveryTags(policy))).toEqual(policy);
    expect(policyFromTags({})).toBeUndefined();
  });
});

describe("RecoveryImage check", () => {
  it("requires instanceId and a sane imageName", () => {
    const { failures } = checkInputs(recoveryImageSchema, { imageName: "x".repeat(129) });
    expect(failures.map((f) => f.property).sort()).toEqual(["imageName", "instanceId"]);
  });
});
