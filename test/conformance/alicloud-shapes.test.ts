// Every action the Alibaba Cloud emulator serves (ECS 2014-05-26 with Cloud Assistant, RAM 2015-05-01),
// called through the real typed Node SDKs (@alicloud/ecs20140526, @alicloud/ram20150501), the raw JSON
// body each answers checked against the SDK's own response model (spec.json "output"): every field the
// emulator returns is in the model with the model's type, and the fields the API notes document are there.
import Ecs, * as $Ecs from "@alicloud/ecs20140526";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import Ram, * as $Ram from "@alicloud/ram20150501";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_ACTIONS } from "../../emulator/alicloud/assistant/commands";
import { ASSISTANT_ACTIONS } from "../../emulator/alicloud/assistant/responses";
import { AUTO_SNAPSHOT_ACTIONS } from "../../emulator/alicloud/ecs/autoSnapshotPolicies";
import { LAUNCH_ACTIONS } from "../../emulator/alicloud/ecs/launchResponses";
import { ECS_ACTIONS } from "../../emulator/alicloud/ecs/responses";
import { TAG_ACTIONS } from "../../emulator/alicloud/ecs/tags";
import { RAM_ACTIONS } from "../../emulator/alicloud/ram/responses";
import { useEmulator } from "../support/emulator";
import { expectModelShape, type RequiredOutputs } from "./shapes";

// Emulated time stands still; the scenario steps it.
const ctx = useEmulator({ timeScale: 1e-6, resetEachTest: false });
const REGION = "cn-hangzhou";
const DB = "i-emu-db-linux";
const TRUST_ECS = JSON.stringify({ Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }], Version: "1" });
const POLICY = JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"], Resource: ["*"] }] });

/** Fields the API notes (shared/API-NOTES.md, Alibaba Cloud) document in each action's body. */
const DOCUMENTED: RequiredOutputs = {
  DescribeInstances: ["RequestId", "Instances.Instance[].InstanceId", "Instances.Instance[].Status", "TotalCount"],
  DescribeDisks: ["Disks.Disk[].DiskId", "Disks.Disk[].InstanceId", "Disks.Disk[].Type", "Disks.Disk[].Category", "Disks.Disk[].Status", "Disks.Disk[].Size", "Disks.Disk[].Device"],
  AttachInstanceRamRole: ["AttachInstanceRamRoleResults.AttachInstanceRamRoleResult[].InstanceId", "AttachInstanceRamRoleResults.AttachInstanceRamRoleResult[].Success", "AttachInstanceRamRoleResults.AttachInstanceRamRoleResult[].Code", "AttachInstanceRamRoleResults.AttachInstanceRamRoleResult[].Message"],
  DescribeInstanceRamRole: ["InstanceRamRoleSets.InstanceRamRoleSet[].InstanceId", "InstanceRamRoleSets.InstanceRamRoleSet[].RamRoleName", "TotalCount"],
  DetachInstanceRamRole: ["DetachInstanceRamRoleResults.DetachInstanceRamRoleResult[].InstanceId", "DetachInstanceRamRoleResults.DetachInstanceRamRoleResult[].Success"],
  CreateSnapshotGroup: ["SnapshotGroupId"],
  DescribeSnapshotGroups: [
    "SnapshotGroups.SnapshotGroup[].SnapshotGroupId",
    "SnapshotGroups.SnapshotGroup[].Name",
    "SnapshotGroups.SnapshotGroup[].Description",
    "SnapshotGroups.SnapshotGroup[].InstanceId",
    "SnapshotGroups.SnapshotGroup[].Status",
    "SnapshotGroups.SnapshotGroup[].ProgressStatus",
    "SnapshotGroups.SnapshotGroup[].CreationTime",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].SnapshotId",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].SourceDiskId",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].Progress",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].Available",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].InstantAccess",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].Tags.Tag[].Key",
    "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].Tags.Tag[].Value",
  ],
  DeleteSnapshotGroup: ["OperationProgressSet.OperationProgress[].OperationStatus"],
  DescribeSnapshots: ["Snapshots.Snapshot[].SnapshotId", "Snapshots.Snapshot[].Status", "Snapshots.Snapshot[].Tags.Tag[].TagKey"],
  RunCommand: ["CommandId", "InvokeId"],
  DescribeInvocationResults: [
    "Invocation.InvocationResults.InvocationResult[].InstanceId",
    "Invocation.InvocationResults.InvocationResult[].InvokeId",
    "Invocation.InvocationResults.InvocationResult[].CommandId",
    "Invocation.InvocationResults.InvocationResult[].InvocationStatus",
    "Invocation.InvocationResults.InvocationResult[].InvokeRecordStatus",
    "Invocation.InvocationResults.InvocationResult[].ExitCode",
    "Invocation.InvocationResults.InvocationResult[].Output",
    "Invocation.InvocationResults.InvocationResult[].ErrorCode",
    "Invocation.InvocationResults.InvocationResult[].ErrorInfo",
    "Invocation.InvocationResults.InvocationResult[].StartTime",
    "Invocation.InvocationResults.InvocationResult[].FinishedTime",
    "Invocation.InvocationResults.InvocationResult[].Repeats",
    "Invocation.InvocationResults.InvocationResult[].Dropped",
  ],
  DescribeInvocations: ["Invocations.Invocation[].InvokeId", "Invocations.Invocation[].InvocationStatus", "Invocations.Invocation[].InvokeInstances.InvokeInstance[].InstanceId", "Invocations.Invocation[].InvokeInstances.InvokeInstance[].Output"],
  StopInvocation: ["RequestId"],
  // The policies' actions: the fields the providers read (their request/response models).
  ModifyInvocationAttribute: ["CommandId"],
  TagResources: ["RequestId"],
  UntagResources: ["RequestId"],
  DeleteSnapshot: ["RequestId"],
  CreateAutoSnapshotPolicy: ["AutoSnapshotPolicyId"],
  ModifyAutoSnapshotPolicyEx: ["RequestId"],
  ApplyAutoSnapshotPolicy: ["RequestId"],
  CancelAutoSnapshotPolicy: ["RequestId"],
  DeleteAutoSnapshotPolicy: ["RequestId"],
  DescribeAutoSnapshotPolicyEx: [
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].AutoSnapshotPolicyId",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].AutoSnapshotPolicyName",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].TimePoints",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].RepeatWeekdays",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].RetentionDays",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].Status",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].DiskNums",
    "AutoSnapshotPolicies.AutoSnapshotPolicy[].Tags.Tag[].TagKey",
    "TotalCount",
  ],
  DescribeAutoSnapshotPolicyAssociations: ["AutoSnapshotPolicyAssociations.AutoSnapshotPolicyAssociation[].AutoSnapshotPolicyId", "AutoSnapshotPolicyAssociations.AutoSnapshotPolicyAssociation[].DiskId"],
  CreateRole: ["Role.RoleName", "Role.RoleId", "Role.Arn", "Role.AssumeRolePolicyDocument"],
  GetRole: ["Role.RoleName", "Role.Arn"],
  DeleteRole: ["RequestId"],
  CreatePolicy: ["Policy.PolicyName", "Policy.PolicyType"],
  GetPolicy: ["Policy.PolicyName", "DefaultPolicyVersion.PolicyDocument"],
  DeletePolicy: ["RequestId"],
  AttachPolicyToRole: ["RequestId"],
  DetachPolicyFromRole: ["RequestId"],
  ListPoliciesForRole: ["Policies.Policy[].PolicyName", "Policies.Policy[].PolicyType"],
  ListTagResources: ["TagResources[].ResourceName", "TagResources[].TagKey", "TagResources[].TagValue"],
  // Spot recovery (API notes, "Spot (preemptible) instances"; the SDK models' documentation).
  RunInstances: ["InstanceIdSets.InstanceIdSet[]"],
  DescribeUserData: ["UserData"],
  DeleteInstances: ["RequestId"],
  DeleteInstance: ["RequestId"],
  CreateImage: ["ImageId"],
  DescribeImages: ["Images.Image[].ImageId", "Images.Image[].Status", "Images.Image[].DiskDeviceMappings.DiskDeviceMapping[].SnapshotId", "Images.Image[].DiskDeviceMappings.DiskDeviceMapping[].Type", "Images.Image[].Tags.Tag[].TagKey"],
  DeleteImage: ["RequestId"],
  DeleteSnapshot: ["RequestId"],
  TagResources: ["RequestId"],
  UntagResources: ["RequestId"],
  "ecs:ListTagResources": ["TagResources.TagResource[].ResourceId", "TagResources.TagResource[].TagKey", "TagResources.TagResource[].TagValue"],
  CreateCommand: ["CommandId"],
  DescribeCommands: ["Commands.Command[].CommandId", "Commands.Command[].Tags.Tag[].TagKey"],
  ModifyCommand: ["RequestId"],
  DeleteCommand: ["RequestId"],
  InvokeCommand: ["InvokeId"],
};

const called = new Set<string>();
let ecs: Ecs;
let ram: Ram;

/** A typed client whose raw answers are checked as they arrive (before the SDK casts them to its models). */
function checked<T extends object>(client: T, service: "ecs" | "ram"): T {
  const c = client as any;
  const callApi = c.callApi.bind(c);
  c.callApi = async (params: any, req: any, runtime: any) => {
    const res = await callApi(params, req, runtime);
    expect(res.statusCode, params.action).toBe(200);
    expectModelShape("alicloud", service, params.action, res.body, DOCUMENTED[`${service}:${params.action}`] ?? DOCUMENTED[params.action]);
    called.add(params.action);
    return res;
  };
  return client;
}

const config = () =>
  new $OpenApiUtil.Config({ accessKeyId: ctx.emu.credentials.accessKeyId, accessKeySecret: ctx.emu.credentials.secretKey, regionId: REGION, endpoint: `127.0.0.1:${ctx.emu.port}`, protocol: "HTTP", readTimeout: 20_000, connectTimeout: 20_000 });
const advance = (seconds: number) => ctx.emu.clock.advance(seconds * 1000);

beforeAll(() => {
  ecs = checked(new Ecs(config()), "ecs");
  ram = checked(new Ram(config()), "ram");
});

describe("Alibaba Cloud responses against the @alicloud SDK models", () => {
  it("RAM: CreateRole, GetRole, CreatePolicy, GetPolicy, AttachPolicyToRole, ListPoliciesForRole", async () => {
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "shapes", assumeRolePolicyDocument: TRUST_ECS, description: "conformance", tag: [new $Ram.CreateRoleRequestTag({ key: "k", value: "v" })] }));
    const tagged = await ram.listTagResources(new $Ram.ListTagResourcesRequest({ resourceType: "role", resourceNames: ["shapes"] }));
    expect(tagged.body?.tagResources?.map((t) => [t.resourceName, t.tagKey, t.tagValue])).toEqual([["shapes", "k", "v"]]);
    await ram.getRole(new $Ram.GetRoleRequest({ roleName: "shapes" }));
    await ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "shapes-policy", policyDocument: POLICY }));
    await ram.getPolicy(new $Ram.GetPolicyRequest({ policyName: "shapes-policy", policyType: "Custom" }));
    await ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: "shapes-policy", roleName: "shapes" }));
    await ram.listPoliciesForRole(new $Ram.ListPoliciesForRoleRequest({ roleName: "shapes" }));
  });

  it("ECS: DescribeInstances, DescribeDisks, AttachInstanceRamRole, DescribeInstanceRamRole", async () => {
    await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
    await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: DB }));
    await ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "shapes", instanceIds: JSON.stringify([DB]) }));
    await ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, instanceIds: JSON.stringify([DB]) }));
  });

  it("Cloud Assistant: RunCommand (the app-snapshot plugin), DescribeInvocationResults, DescribeInvocations, StopInvocation", async () => {
    const content = Buffer.from(`acs-plugin-manager --exec --plugin app-snapshot-plugin --params='-RamRoleName="shapes",-Name="shapes-group"'`).toString("base64");
    const run = await ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: content, contentEncoding: "Base64", instanceId: [DB], timeout: 600, name: "shapes", tag: [new $Ecs.RunCommandRequestTag({ key: "k", value: "v" })] }));
    advance(10);
    const results = await ecs.describeInvocationResults(new $Ecs.DescribeInvocationResultsRequest({ regionId: REGION, invokeId: run.body!.invokeId }));
    expect(results.body!.invocation!.invocationResults!.invocationResult![0]).toMatchObject({ invocationStatus: "Success", exitCode: 0 });
    await ecs.describeInvocations(new $Ecs.DescribeInvocationsRequest({ regionId: REGION, invokeId: run.body!.invokeId, includeOutput: true }));
    const pending = await ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: "echo", instanceId: [DB] }));
    await ecs.stopInvocation(new $Ecs.StopInvocationRequest({ regionId: REGION, invokeId: pending.body!.invokeId, instanceId: [DB] }));
  });

  it("Snapshot groups: CreateSnapshotGroup, DescribeSnapshotGroups, DescribeSnapshots, DeleteSnapshotGroup", async () => {
    advance(60); // the plugin's group accomplished: a disk takes one snapshot at a time
    const made = await ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: DB, name: "direct", description: "made directly", tag: [new $Ecs.CreateSnapshotGroupRequestTag({ key: "k", value: "v" })] }));
    advance(60);
    const groups = await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, instanceId: DB }));
    expect(groups.body!.snapshotGroups!.snapshotGroup!.length).toBe(2); // the plugin's and this one
    await ecs.describeSnapshots(new $Ecs.DescribeSnapshotsRequest({ regionId: REGION, instanceId: DB }));
    await ecs.deleteSnapshotGroup(new $Ecs.DeleteSnapshotGroupRequest({ regionId: REGION, snapshotGroupId: made.body!.snapshotGroupId }));
  });

  it("Policies: a periodic RunCommand, its history, ModifyInvocationAttribute, TagResources/UntagResources, automatic snapshot policies, DeleteSnapshot", async () => {
    const periodic = await ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: "echo", instanceId: [DB], repeatMode: "Period", frequency: "rate(2m)", timeout: 60 }));
    const invokeId = periodic.body!.invokeId!;
    advance(5 * 60);
    const history = await ecs.describeInvocationResults(new $Ecs.DescribeInvocationResultsRequest({ regionId: REGION, invokeId, includeHistory: true }));
    expect(history.body!.invocation!.invocationResults!.invocationResult!.map((r) => r.repeats)).toEqual([2, 1]);
    await ecs.modifyInvocationAttribute(new $Ecs.ModifyInvocationAttributeRequest({ regionId: REGION, invokeId, frequency: "0 */10 * * * ? UTC" }));
    await ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "invocation", resourceId: [invokeId], tag: [new $Ecs.TagResourcesRequestTag({ key: "k", value: "v" })] }));
    await ecs.untagResources(new $Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: "invocation", resourceId: [invokeId], tagKey: ["k"] }));
    await ecs.stopInvocation(new $Ecs.StopInvocationRequest({ regionId: REGION, invokeId }));

    const disks = (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: DB }))).body!.disks!.disk!.map((d) => d.diskId!);
    const sp = await ecs.createAutoSnapshotPolicy(new $Ecs.CreateAutoSnapshotPolicyRequest({ regionId: REGION, autoSnapshotPolicyName: "shapes", timePoints: JSON.stringify(["1"]), repeatWeekdays: JSON.stringify(["1", "2", "3", "4", "5", "6", "7"]), retentionDays: 2, tag: [new $Ecs.CreateAutoSnapshotPolicyRequestTag({ key: "k", value: "v" })] }));
    const id = sp.body!.autoSnapshotPolicyId!;
    await ecs.applyAutoSnapshotPolicy(new $Ecs.ApplyAutoSnapshotPolicyRequest({ regionId: REGION, autoSnapshotPolicyId: id, diskIds: JSON.stringify(disks) }));
    await ecs.modifyAutoSnapshotPolicyEx(new $Ecs.ModifyAutoSnapshotPolicyExRequest({ regionId: REGION, autoSnapshotPolicyId: id, timePoints: JSON.stringify(["1", "13"]) }));
    const listed = await ecs.describeAutoSnapshotPolicyEx(new $Ecs.DescribeAutoSnapshotPolicyExRequest({ regionId: REGION, autoSnapshotPolicyId: id }));
    expect(listed.body!.autoSnapshotPolicies!.autoSnapshotPolicy![0]).toMatchObject({ timePoints: '["1","13"]', diskNums: 2, status: "Normal" });
    await ecs.describeAutoSnapshotPolicyAssociations(new $Ecs.DescribeAutoSnapshotPolicyAssociationsRequest({ regionId: REGION, autoSnapshotPolicyId: id }));
    advance(13 * 3600); // 01:00 or 13:00 UTC+8 comes within 13 hours
    ctx.emu.alicloud.model.settle();
    const taken = [...ctx.emu.alicloud.model.autoSnapshots.snapshots.keys()];
    expect(taken.length).toBeGreaterThanOrEqual(2);
    // Tagged first, so the listing shows the tag fields too.
    await ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "snapshot", resourceId: taken, tag: [new $Ecs.TagResourcesRequestTag({ key: "k", value: "v" })] }));
    const autos = await ecs.describeSnapshots(new $Ecs.DescribeSnapshotsRequest({ regionId: REGION, snapshotType: "auto" }));
    expect(autos.body!.snapshots!.snapshot!.map((x) => x.snapshotType)).toEqual(taken.map(() => "auto"));
    await ecs.deleteSnapshot(new $Ecs.DeleteSnapshotRequest({ snapshotId: taken[0] }));
    await ecs.cancelAutoSnapshotPolicy(new $Ecs.CancelAutoSnapshotPolicyRequest({ regionId: REGION, autoSnapshotPolicyId: id, diskIds: JSON.stringify(disks) }));
    await ecs.deleteAutoSnapshotPolicy(new $Ecs.DeleteAutoSnapshotPolicyRequest({ regionId: REGION, autoSnapshotPolicyId: id }));
  });

  it("Spot recovery: RunInstances, DescribeUserData, the Recycling lock in DescribeInstances, CreateImage, DescribeImages, tags, saved commands, DeleteInstances, DeleteImage, DeleteSnapshot", async () => {
    const run = await ecs.runInstances(
      new $Ecs.RunInstancesRequest({
        regionId: REGION,
        imageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
        instanceType: "ecs.g7.large",
        vSwitchId: "vsw-emu-cn-hangzhou-h",
        securityGroupIds: ["sg-emu-default"],
        spotStrategy: "SpotAsPriceGo",
        userData: Buffer.from("echo").toString("base64"),
        systemDisk: new $Ecs.RunInstancesRequestSystemDisk({ category: "cloud_essd" }),
        dataDisk: [new $Ecs.RunInstancesRequestDataDisk({ category: "cloud_essd", size: 20 })],
        tag: [new $Ecs.RunInstancesRequestTag({ key: "k", value: "v" })],
      }),
    );
    const id = run.body!.instanceIdSets!.instanceIdSet![0];
    advance(60);
    await ecs.describeUserData(new $Ecs.DescribeUserDataRequest({ regionId: REGION, instanceId: id }));
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const locked = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify([id]) }));
    expect(locked.body!.instances!.instance![0].operationLocks!.lockReason).toEqual([expect.objectContaining({ lockReason: "Recycling" })]);
    await ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id], tag: [new $Ecs.TagResourcesRequestTag({ key: "p", value: "q" })] }));
    await ecs.listTagResources(new $Ecs.ListTagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id] }));
    await ecs.untagResources(new $Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id], tagKey: ["p"] }));
    const image = await ecs.createImage(new $Ecs.CreateImageRequest({ regionId: REGION, instanceId: id, imageName: "shapes", tag: [new $Ecs.CreateImageRequestTag({ key: "k", value: "v" })] }));
    advance(120);
    const images = await ecs.describeImages(new $Ecs.DescribeImagesRequest({ regionId: REGION, imageId: image.body!.imageId }));
    const cmd = await ecs.createCommand(new $Ecs.CreateCommandRequest({ regionId: REGION, name: "shapes", type: "RunShellScript", commandContent: Buffer.from("sync").toString("base64"), tag: [new $Ecs.CreateCommandRequestTag({ key: "k", value: "v" })] }));
    await ecs.describeCommands(new $Ecs.DescribeCommandsRequest({ regionId: REGION, commandId: cmd.body!.commandId }));
    await ecs.modifyCommand(new $Ecs.ModifyCommandRequest({ regionId: REGION, commandId: cmd.body!.commandId, timeout: 30 }));
    await ecs.invokeCommand(new $Ecs.InvokeCommandRequest({ regionId: REGION, commandId: cmd.body!.commandId, instanceId: [id] }));
    await ecs.deleteCommand(new $Ecs.DeleteCommandRequest({ regionId: REGION, commandId: cmd.body!.commandId }));
    const other = await ecs.runInstances(new $Ecs.RunInstancesRequest({ regionId: REGION, imageId: "aliyun_3_x64_20G_alibase_20240819.vhd", instanceType: "ecs.g7.large", vSwitchId: "vsw-emu-cn-hangzhou-h", securityGroupId: "sg-emu-default" }));
    advance(60);
    await ecs.deleteInstance(new $Ecs.DeleteInstanceRequest({ instanceId: other.body!.instanceIdSets!.instanceIdSet![0], force: true }));
    await ecs.deleteInstances(new $Ecs.DeleteInstancesRequest({ regionId: REGION, instanceId: [id], force: true }));
    await ecs.deleteImage(new $Ecs.DeleteImageRequest({ regionId: REGION, imageId: image.body!.imageId, force: true }));
    for (const d of images.body!.images!.image![0].diskDeviceMappings!.diskDeviceMapping!) await ecs.deleteSnapshot(new $Ecs.DeleteSnapshotRequest({ snapshotId: d.snapshotId, force: true }));
  });

  it("Cleanup: DetachInstanceRamRole, DetachPolicyFromRole, DeletePolicy, DeleteRole", async () => {
    await ecs.detachInstanceRamRole(new $Ecs.DetachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "shapes", instanceIds: JSON.stringify([DB]) }));
    await ram.detachPolicyFromRole(new $Ram.DetachPolicyFromRoleRequest({ policyType: "Custom", policyName: "shapes-policy", roleName: "shapes" }));
    advance(5); // RAM's consistency window after a detach
    await ram.deletePolicy(new $Ram.DeletePolicyRequest({ policyName: "shapes-policy" }));
    await ram.deleteRole(new $Ram.DeleteRoleRequest({ roleName: "shapes" }));
  });

  afterAll(() => {
    const served = Object.keys({ ...ECS_ACTIONS, ...LAUNCH_ACTIONS, ...ASSISTANT_ACTIONS, ...COMMAND_ACTIONS, ...AUTO_SNAPSHOT_ACTIONS, ...TAG_ACTIONS, ...RAM_ACTIONS });
    expect(served.filter((a) => !called.has(a))).toEqual([]);
    expect([...new Set(Object.keys(DOCUMENTED).map((k) => k.replace(/^ecs:/, "")))].sort()).toEqual([...served].sort());
  });
});
