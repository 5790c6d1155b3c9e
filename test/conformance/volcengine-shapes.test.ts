// Every action the Volcengine emulator serves, called through the real Node SDK (@volcengine/openapi's
// Service, GET with flattened parameters), its Result checked against the volcenginesdkecs response model
// (spec.json "output"): every field the emulator returns is in the model with the model's type, and the
// fields the API notes document as returned are there. The ResponseMetadata envelope too.
import { Service } from "@volcengine/openapi";
import { afterAll, describe, expect, it } from "vitest";
import { EBS_ACTIONS } from "../../emulator/volcengine/ebs";
import { ECS_ACTIONS } from "../../emulator/volcengine/ecs";
import { useEmulator } from "../support/emulator";
import { expectModelShape, type RequiredOutputs } from "./shapes";

// Emulated time stands still; the scenario steps it.
const ctx = useEmulator({ clock: { frozen: true }, resetEachTest: false });
// Keyed by service: ecs and storage_ebs each have their own CreateTags/DeleteTags.
const ACTIONS = [...Object.keys(ECS_ACTIONS).map((a) => `ecs:${a}`), ...Object.keys(EBS_ACTIONS).map((a) => `storage_ebs:${a}`)];

/** Fields the API notes (shared/API-NOTES.md, Volcengine ECS) document in each action's Result. */
const DOCUMENTED: RequiredOutputs = {
  RunInstances: ["InstanceIds"],
  DescribeInstances: [
    "Instances[].InstanceId",
    "Instances[].InstanceName",
    "Instances[].Status",
    "Instances[].ZoneId",
    "Instances[].VpcId",
    "Instances[].ImageId",
    "Instances[].InstanceTypeId",
    "Instances[].InstanceChargeType",
    "Instances[].SpotStrategy",
    "Instances[].SpotPriceLimit",
    "Instances[].Cpus",
    "Instances[].MemorySize",
    "Instances[].CreatedAt",
    "Instances[].UpdatedAt",
    "Instances[].NetworkInterfaces[].SubnetId",
    "Instances[].NetworkInterfaces[].PrimaryIpAddress",
    "Instances[].NetworkInterfaces[].SecurityGroupIds",
    "Instances[].Volumes[].VolumeId",
    "Instances[].Tags[].Key",
    "Instances[].Tags[].Value",
    "Instances[].OsType",
    "Instances[].Hostname",
    "Instances[].StoppedMode",
    "NextToken",
    "TotalCount",
  ],
  CreateImage: ["ImageId"],
  DescribeImages: ["Images[].ImageId", "Images[].ImageName", "Images[].Status", "Images[].Visibility", "Images[].Size", "Images[].CreatedAt", "Images[].OsType", "Images[].Platform", "Images[].Snapshots", "Images[].Tags", "NextToken"],
  DeleteImages: ["OperationDetails[].ImageId"],
  DescribeSystemEvents: [
    "SystemEvents[].Id",
    "SystemEvents[].ResourceId",
    "SystemEvents[].Type",
    "SystemEvents[].Status",
    "SystemEvents[].Category",
    "SystemEvents[].ImpactLevel",
    "SystemEvents[].ExtraInfo",
    "SystemEvents[].CreatedAt",
    "SystemEvents[].UpdatedAt",
    "SystemEvents[].OperatedStartAt",
    "SystemEvents[].OperatedEndAt",
    "NextToken",
  ],
  // Corrections: "answer per resource in OperationDetails"; DescribeTags answers TagResources.
  CreateTags: ["OperationDetails[].ResourceId"],
  DeleteTags: ["OperationDetails[].ResourceId"],
  DescribeTags: ["TagResources[].ResourceId", "TagResources[].ResourceType", "TagResources[].TagKey", "TagResources[].TagValue"],
  DescribeZones: ["Zones[].ZoneId"],
  DeleteInstance: [],
  ModifyInstanceAttribute: [],
  StopInstance: [],
  StartInstance: [],
  DescribeUserData: ["InstanceId", "UserData"],
  // storage_ebs (API-NOTES "Corrections": DescribeVolumes, CreateSnapshot, CreateSnapshotGroup, …).
  DescribeVolumes: ["Volumes[].VolumeId", "Volumes[].Kind", "Volumes[].VolumeType", "Volumes[].Size", "Volumes[].DeleteWithInstance", "Volumes[].InstanceId", "Volumes[].ZoneId", "Volumes[].Status", "TotalCount", "PageNumber", "PageSize"],
  CreateSnapshot: ["SnapshotId"],
  CreateSnapshotGroup: ["SnapshotGroupId"],
  DescribeSnapshots: ["Snapshots[].SnapshotId", "Snapshots[].VolumeId", "Snapshots[].VolumeKind", "Snapshots[].VolumeSize", "Snapshots[].Status", "Snapshots[].Progress", "Snapshots[].SnapshotGroupId", "Snapshots[].CreationTime"],
  DescribeSnapshotGroups: ["SnapshotGroups[].SnapshotGroupId", "SnapshotGroups[].Status", "SnapshotGroups[].Snapshots"],
  DeleteSnapshot: [],
  DeleteSnapshotGroup: [],
  // Automatic snapshot policies and storage_ebs's own tags (volcenginesdkstorageebs 5.0.54 models).
  CreateAutoSnapshotPolicy: ["AutoSnapshotPolicyId"],
  ModifyAutoSnapshotPolicy: [],
  ApplyAutoSnapshotPolicy: [],
  CancelAutoSnapshotPolicy: [],
  DeleteAutoSnapshotPolicy: [],
  DescribeAutoSnapshotPolicy: [
    "AutoSnapshotPolicies[].AutoSnapshotPolicyId",
    "AutoSnapshotPolicies[].AutoSnapshotPolicyName",
    "AutoSnapshotPolicies[].CreatedAt",
    "AutoSnapshotPolicies[].RepeatWeekdays",
    "AutoSnapshotPolicies[].RetentionDays",
    "AutoSnapshotPolicies[].Status",
    "AutoSnapshotPolicies[].TimePoints",
    "AutoSnapshotPolicies[].VolumeNums",
    "PageNumber",
    "PageSize",
    "TotalCount",
  ],
  "storage_ebs:CreateTags": ["OperationDetails[].ResourceId"],
  "storage_ebs:DeleteTags": [],
  // volcenginesdkecs CopyImageResponse.
  CopyImage: ["ImageId"],
};
const documented = (service: string, action: string) => DOCUMENTED[`${service}:${action}`] ?? DOCUMENTED[action];

const called = new Set<string>();

async function call(action: string, query: Record<string, string> = {}, serviceName = "ecs"): Promise<any> {
  const url = new URL(ctx.emu.url);
  const svc = new Service({ serviceName, defaultVersion: "2020-04-01", region: "cn-beijing", host: url.host, protocol: url.protocol, accessKeyId: ctx.emu.credentials.accessKeyId, secretKey: ctx.emu.credentials.secretKey } as any);
  const body: any = await svc.createAPI(action, { Version: "2020-04-01", method: "GET" })(query);
  expect(body.ResponseMetadata?.Error, `${action} ${JSON.stringify(query)}`).toBeUndefined();
  expect(Object.keys(body).sort()).toEqual(["ResponseMetadata", "Result"]);
  expect(body.ResponseMetadata).toEqual({ RequestId: expect.any(String), Action: action, Version: "2020-04-01", Service: serviceName, Region: "cn-beijing" });
  expectModelShape("volcengine", serviceName, action, body.Result, documented(serviceName, action));
  called.add(`${serviceName}:${action}`);
  return body.Result;
}

const advance = (seconds: number) => ctx.emu.clock.advance(seconds * 1000);

describe("Volcengine ECS responses against the volcenginesdkecs models", () => {
  let instanceId = "";
  let imageId = "";

  it("RunInstances, DescribeInstances, ModifyInstanceAttribute", async () => {
    const run = await call("RunInstances", {
      ZoneId: "cn-beijing-a",
      ImageId: "image-ubuntu2204-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "shapes",
      Hostname: "shapes-1",
      SpotStrategy: "SpotWithPriceLimit",
      SpotPriceLimit: "0.5",
      "NetworkInterfaces.1.SubnetId": "subnet-emu-cn-beijing-a",
      "NetworkInterfaces.1.SecurityGroupIds.1": "sg-emu-default",
      "Volumes.1.VolumeType": "ESSD_PL0",
      "Volumes.1.Size": "40",
      "Volumes.2.VolumeType": "ESSD_PL0",
      "Volumes.2.Size": "20",
      "Volumes.2.DeleteWithInstance": "false",
      "Tags.1.Key": "team",
      "Tags.1.Value": "sre",
    });
    instanceId = run.InstanceIds[0];
    advance(60);
    const described = await call("DescribeInstances", { "InstanceIds.1": instanceId });
    expect(described.Instances[0]).toMatchObject({ InstanceId: instanceId, Status: "RUNNING", Hostname: "shapes-1" });
    expect(described.Instances[0].Volumes).toHaveLength(2);
    await call("ModifyInstanceAttribute", { InstanceId: instanceId, InstanceName: "shapes-2" });
  });

  it("CreateTags, DescribeTags, DeleteTags", async () => {
    expect((await call("CreateTags", { ResourceType: "instance", "ResourceIds.1": instanceId, "Tags.1.Key": "tier", "Tags.1.Value": "web" })).OperationDetails).toEqual([{ ResourceId: instanceId }]);
    const tags = await call("DescribeTags", { ResourceType: "instance", "ResourceIds.1": instanceId });
    expect(tags.TagResources).toContainEqual({ ResourceId: instanceId, ResourceType: "instance", TagKey: "tier", TagValue: "web" });
    await call("DeleteTags", { ResourceType: "instance", "ResourceIds.1": instanceId, "TagKeys.1": "tier" });
  });

  it("CreateImage, DescribeImages (creating, then available), DeleteImages", async () => {
    imageId = (await call("CreateImage", { InstanceId: instanceId, ImageName: "shapes-image", "Tags.1.Key": "kind", "Tags.1.Value": "final" })).ImageId;
    const creating = await call("DescribeImages", { "ImageIds.1": imageId, "Status.1": "creating" });
    expect(creating.Images).toHaveLength(1);
    advance(3600);
    const available = await call("DescribeImages", { "ImageIds.1": imageId });
    expect(available.Images[0]).toMatchObject({ ImageId: imageId, Status: "available" });
    expect((await call("DeleteImages", { "ImageIds.1": imageId })).OperationDetails).toEqual([{ ImageId: imageId }]);
  });

  it("DescribeUserData, StopInstance, StartInstance", async () => {
    expect(await call("DescribeUserData", { InstanceId: instanceId })).toEqual({ InstanceId: instanceId, UserData: "" });
    await call("StopInstance", { InstanceId: instanceId });
    advance(60);
    await call("StartInstance", { InstanceId: instanceId });
    advance(60);
  });

  it("storage_ebs: DescribeVolumes, CreateSnapshot, CreateSnapshotGroup, DescribeSnapshots, DescribeSnapshotGroups, DeleteSnapshot, DeleteSnapshotGroup", async () => {
    const ebs = (action: string, query: Record<string, string> = {}) => call(action, query, "storage_ebs");
    const vols = (await ebs("DescribeVolumes", { InstanceId: instanceId, PageNumber: "1", PageSize: "10" })).Volumes;
    expect(vols.map((v: any) => v.Kind)).toEqual(["system", "data"]);
    const { SnapshotId } = await ebs("CreateSnapshot", { VolumeId: vols[0].VolumeId, SnapshotName: "shapes" });
    const { SnapshotGroupId } = await ebs("CreateSnapshotGroup", { InstanceId: instanceId, "VolumeIds.1": vols[0].VolumeId, "VolumeIds.2": vols[1].VolumeId, Name: "shapes", "Tags.1.Key": "k", "Tags.1.Value": "v" });
    advance(7200);
    expect((await ebs("DescribeSnapshots", { "SnapshotIds.1": SnapshotId })).Snapshots[0].Status).toBe("available");
    expect((await ebs("DescribeSnapshotGroups", { "SnapshotGroupIds.1": SnapshotGroupId })).SnapshotGroups[0].Snapshots).toHaveLength(2);
    await ebs("DeleteSnapshot", { SnapshotId });
    await ebs("DeleteSnapshotGroup", { SnapshotGroupId });
  });

  it("storage_ebs automatic snapshot policies and their tags; ecs CopyImage of a snapshot-group image to another region", async () => {
    const ebs = (action: string, query: Record<string, string> = {}) => call(action, query, "storage_ebs");
    const vols = (await ebs("DescribeVolumes", { InstanceId: instanceId, PageNumber: "1", PageSize: "10" })).Volumes;
    const { AutoSnapshotPolicyId } = await ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "shapes", "TimePoints.1": "1", "TimePoints.2": "13", "RepeatWeekdays.1": "1", RetentionDays: "3", "Tags.1.Key": "k", "Tags.1.Value": "v" });
    await ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId, "VolumeIds.1": vols[0].VolumeId, "VolumeIds.2": vols[1].VolumeId });
    await ebs("ModifyAutoSnapshotPolicy", { AutoSnapshotPolicyId, RepeatDays: "2" });
    advance(3 * 86_400);
    const [policy] = (await ebs("DescribeAutoSnapshotPolicy", { "AutoSnapshotPolicyIds.1": AutoSnapshotPolicyId, PageNumber: "1", PageSize: "10" })).AutoSnapshotPolicies;
    expect(policy).toMatchObject({ RepeatDays: 2, RepeatWeekdays: [], TimePoints: ["1", "13"], VolumeNums: 2 });
    const auto = (await ebs("DescribeSnapshots", { PageNumber: "1", PageSize: "100" })).Snapshots.filter((s: any) => s.SnapshotType === "auto");
    expect(auto.length).toBeGreaterThan(0);
    expect((await ebs("DescribeVolumes", { InstanceId: instanceId, PageNumber: "1", PageSize: "10" })).Volumes[0].AutoSnapshotPolicyId).toBe(AutoSnapshotPolicyId);
    expect((await ebs("CreateTags", { ResourceType: "snapshotpolicy", "ResourceIds.1": AutoSnapshotPolicyId, "Tags.1.Key": "tier", "Tags.1.Value": "db" })).OperationDetails).toEqual([{ ResourceId: AutoSnapshotPolicyId }]);
    await ebs("DeleteTags", { ResourceType: "snapshotpolicy", "ResourceIds.1": AutoSnapshotPolicyId, "TagKeys.1": "tier" });
    await ebs("CancelAutoSnapshotPolicy", { AutoSnapshotPolicyId, "VolumeIds.1": vols[1].VolumeId });
    await ebs("DeleteAutoSnapshotPolicy", { AutoSnapshotPolicyId });

    const { SnapshotGroupId } = await ebs("CreateSnapshotGroup", { InstanceId: instanceId, "VolumeIds.1": vols[0].VolumeId, "VolumeIds.2": vols[1].VolumeId, Name: "copy-me" });
    advance(7200);
    const { ImageId } = await call("CreateImage", { SnapshotGroupId, ImageName: "group-image" });
    advance(3600);
    const copy = await call("CopyImage", { ImageId, ImageName: "group-image-copy", DestinationRegion: "cn-shanghai", CopyImageTags: "true" });
    expect(copy.ImageId).toMatch(/^image-/);
  });

  it("DescribeSystemEvents with a spot interruption scheduled", async () => {
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId, noticeSeconds: 300 });
    const events = await call("DescribeSystemEvents", { "ResourceIds.1": instanceId });
    expect(events.SystemEvents[0]).toMatchObject({ ResourceId: instanceId, Type: "SpotInstanceInterruption_Delete", Status: "Scheduled" });
  });

  it("DescribeZones, DeleteInstance", async () => {
    await call("DescribeZones");
    await call("DeleteInstance", { InstanceId: instanceId });
  });

  afterAll(() => {
    // Every action the emulator serves was checked here.
    expect(ACTIONS.filter((a) => !called.has(a))).toEqual([]);
    expect(ACTIONS.filter((a) => documented(a.split(":")[0], a.split(":")[1]) === undefined)).toEqual([]);
    const names = new Set(ACTIONS.flatMap((a) => [a, a.split(":")[1]]));
    expect(Object.keys(DOCUMENTED).filter((k) => !names.has(k))).toEqual([]);
  });
});
