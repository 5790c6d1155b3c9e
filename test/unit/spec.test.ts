// The committed API specs (emulator/<cloud>/spec.json, written by npm run specgen from the SDK models)
// and the one validator driven by them (emulator/spec.ts): the files parse, hold every action the
// emulator serves, carry the wire facts the API notes call out, and the checks refuse and report what
// the models say.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ASSISTANT_ACTIONS } from "../../emulator/alicloud/assistant/responses";
import { ECS_ACTIONS } from "../../emulator/alicloud/ecs/responses";
import { RAM_ACTIONS } from "../../emulator/alicloud/ram/responses";
import { actionSpec, checkParams, checkShape, paramPattern, shapeHas, type ActionSpec, type CloudSpec } from "../../emulator/spec";
import { ECS_ACTIONS as VOLCENGINE_ACTIONS } from "../../emulator/volcengine/ecs";
import { unknownParamReport } from "../support/emulator";
import type { CallRecord } from "../../emulator/service";

const root = path.resolve(__dirname, "../..");
const load = (cloud: string): CloudSpec => JSON.parse(readFileSync(path.join(root, "emulator", cloud, "spec.json"), "utf8"));
const spec = (cloud: "volcengine" | "alicloud", service: string, action: string): ActionSpec => {
  const s = actionSpec(cloud, service, action);
  if (!s) throw new Error(`no spec for ${cloud} ${service} ${action}`);
  return s;
};

describe("the committed spec files", () => {
  it("parse, name the SDK versions they were generated from, and hold every action the emulator serves", () => {
    const v = load("volcengine");
    const a = load("alicloud");
    expect(v.generatedBy).toBe("tools/specgen/volcengine.py");
    expect(v.sources).toMatchObject({ "volcenginesdk-ecs": expect.any(String), "volcenginesdk-storageebs": expect.any(String) });
    expect(a.sources).toMatchObject({ "@alicloud/ecs20140526": expect.any(String), "@alicloud/ram20150501": expect.any(String), alibabacloud_ecs20140526: expect.any(String) });
    expect(Object.keys(v.services).sort()).toEqual(["ecs", "storage_ebs"]);
    expect(v.services.ecs.version).toBe("2020-04-01");
    expect(v.services.storage_ebs.version).toBe("2020-04-01");
    expect(a.services.ecs.version).toBe("2014-05-26");
    expect(a.services.ram.version).toBe("2015-05-01");
    const missing = [
      ...Object.keys(VOLCENGINE_ACTIONS).filter((x) => !v.services.ecs.actions[x]).map((x) => `volcengine ecs ${x}`),
      ...Object.keys({ ...ECS_ACTIONS, ...ASSISTANT_ACTIONS }).filter((x) => !a.services.ecs.actions[x]).map((x) => `alicloud ecs ${x}`),
      ...Object.keys(RAM_ACTIONS).filter((x) => !a.services.ram.actions[x]).map((x) => `alicloud ram ${x}`),
    ];
    expect(missing).toEqual([]);
    // "All actions of both packages": far more than the emulator serves.
    expect(Object.keys(v.services.ecs.actions).length).toBeGreaterThan(100);
    expect(Object.keys(a.services.ecs.actions).length).toBeGreaterThan(300);
  });

  it("carry the wire forms the API notes call out: flattened lists, lower-camel auto-snapshot-policy names, JSON strings", () => {
    const run = spec("volcengine", "ecs", "RunInstances");
    expect(run.params).toMatchObject({ "NetworkInterfaces.N.SecurityGroupIds.M": "string", "Volumes.N.SnapshotId": "string", "Tags.N.Key": "string", Count: "integer", SpotPriceLimit: "number", DryRun: "boolean" });
    expect(run.required).toEqual(expect.arrayContaining(["ZoneId", "ImageId", "InstanceName", "NetworkInterfaces.N.SubnetId"]));
    expect(spec("volcengine", "ecs", "DescribeInstances").params).toMatchObject({ "InstanceIds.N": "string", "TagFilters.N.Values.M": "string" });
    expect(spec("volcengine", "storage_ebs", "DescribeVolumes").params).toMatchObject({ PageSize: { type: "integer", max: 100 }, "VolumeIds.N": "string" });
    const policy = spec("alicloud", "ecs", "CreateAutoSnapshotPolicy");
    expect(policy.params).toMatchObject({ regionId: "string", timePoints: "string", repeatWeekdays: "string", retentionDays: "integer" });
    expect(policy.required).toEqual(expect.arrayContaining(["regionId", "timePoints", "repeatWeekdays", "retentionDays"]));
    expect(spec("alicloud", "ecs", "ApplyAutoSnapshotPolicy").params).toMatchObject({ autoSnapshotPolicyId: "string", diskIds: "string", regionId: "string" });
    expect(spec("alicloud", "ecs", "AttachInstanceRamRole").params.InstanceIds).toBe("string"); // a JSON array as a string
    expect(spec("alicloud", "ecs", "RunCommand").params).toMatchObject({ "InstanceId.N": "string", Parameters: { type: "string", json: "object" }, Timeout: "integer" });
    expect(spec("alicloud", "ecs", "DescribeSnapshotGroups").params).toMatchObject({ "SnapshotGroupId.N": "string", "Status.N": "string", "Tag.N.Key": "string" });
    expect(shapeHas(spec("alicloud", "ecs", "DescribeSnapshotGroups").output, "SnapshotGroups.SnapshotGroup[].Snapshots.Snapshot[].Tags.Tag[].Key")).toBe(true);
    expect(shapeHas(spec("volcengine", "ecs", "DescribeInstances").output, "Instances[].Volumes[].VolumeId")).toBe(true);
    expect(shapeHas(spec("volcengine", "ecs", "DescribeInstances").output, "Instances[].Volumes[].Size")).toBe(false);
  });
});

describe("checkParams", () => {
  const run = () => spec("volcengine", "ecs", "RunInstances");
  const good = { ZoneId: "z", ImageId: "i", InstanceName: "n", InstanceTypeId: "t", "NetworkInterfaces.1.SubnetId": "s", "NetworkInterfaces.1.SecurityGroupIds.1": "sg" };

  it("passes a complete request and reports nothing", () => {
    expect(checkParams(run(), good)).toEqual({ unknown: [] });
  });

  it("refuses a missing required parameter, an empty one, and one missing in a list item that was given", () => {
    const { ZoneId, ...noZone } = good;
    void ZoneId;
    expect(checkParams(run(), noZone).problem).toMatchObject({ kind: "missing", name: "ZoneId" });
    expect(checkParams(run(), { ...good, ZoneId: "" }).problem).toMatchObject({ kind: "missing", name: "ZoneId" });
    // Volumes.N.Size is required in each volume given; none given is fine.
    expect(checkParams(run(), { ...good, "Volumes.1.Size": "40", "Volumes.2.VolumeType": "ESSD_PL0" }).problem).toMatchObject({ kind: "missing", name: "Volumes.2.Size" });
    expect(checkParams(spec("volcengine", "ecs", "CreateTags"), { ResourceType: "instance", "ResourceIds.1": "i-1", "Tags.1.Key": "a", "Tags.2.Value": "b" }).problem).toMatchObject({ kind: "missing", name: "Tags.2.Key" });
    expect(checkParams(spec("alicloud", "ecs", "AttachInstanceRamRole"), { RegionId: "r", RamRoleName: "x" }).problem).toMatchObject({ kind: "missing", name: "InstanceIds" });
  });

  it("refuses a value of the wrong type, out of range, or outside the enum", () => {
    expect(checkParams(run(), { ...good, Count: "two" }).problem).toMatchObject({ kind: "invalid", name: "Count", reason: "Count is not an integer" });
    expect(checkParams(run(), { ...good, Count: "1.5" }).problem).toMatchObject({ kind: "invalid", name: "Count" });
    expect(checkParams(run(), { ...good, DryRun: "yes" }).problem).toMatchObject({ kind: "invalid", name: "DryRun" });
    expect(checkParams(run(), { ...good, SpotPriceLimit: "cheap" }).problem).toMatchObject({ kind: "invalid", name: "SpotPriceLimit" });
    expect(checkParams(run(), { ...good, SpotPriceLimit: "0.125", DryRun: "TRUE", Count: "-1" })).toEqual({ unknown: [] }); // types only; ranges the model lacks are the handler's
    const volumes = spec("volcengine", "storage_ebs", "DescribeVolumes");
    expect(checkParams(volumes, { PageSize: "100" })).toEqual({ unknown: [] });
    expect(checkParams(volumes, { PageSize: "101" }).problem).toMatchObject({ kind: "invalid", name: "PageSize", reason: "PageSize is greater than 100" });
    const retention = spec("volcengine", "storage_ebs", "ModifySnapshotAttribute");
    expect(checkParams(retention, { SnapshotId: "s", RetentionDays: "0" }).problem).toMatchObject({ reason: "RetentionDays is less than 1" });
    const extra = spec("volcengine", "storage_ebs", "ModifyVolumeExtraPerformance");
    expect(checkParams(extra, { VolumeId: "v", ExtraPerformanceTypeId: "Fast" }).problem).toMatchObject({ kind: "invalid", reason: "ExtraPerformanceTypeId is not one of IOPS, Balance, Throughput" });
    expect(checkParams(spec("alicloud", "ecs", "DescribeSnapshotGroups"), { RegionId: "r", MaxResults: "ten" }).problem).toMatchObject({ kind: "invalid", name: "MaxResults" });
  });

  it("reports unknown and misspelled parameters, and indexes that are not 1-based, without refusing them", () => {
    const v = checkParams(run(), { ...good, HostNmae: "web", "Tags.0.Key": "a", "NetworkInterfaces.1.SecurityGroupId": "sg" });
    expect(v).toEqual({ unknown: ["HostNmae", "Tags.0.Key", "NetworkInterfaces.1.SecurityGroupId"] });
    // Both spellings are in the model of RunInstances; only Hostname in ModifyInstanceAttribute's.
    expect(checkParams(run(), { ...good, HostName: "a", Hostname: "b" }).unknown).toEqual([]);
    expect(checkParams(spec("volcengine", "ecs", "ModifyInstanceAttribute"), { InstanceId: "i", HostName: "a" }).unknown).toEqual(["HostName"]);
    // Alibaba names are case-sensitive on the wire: the auto-snapshot-policy APIs take lower camel.
    expect(checkParams(spec("alicloud", "ecs", "CreateAutoSnapshotPolicy"), { RegionId: "r", regionId: "r", timePoints: "[1]", repeatWeekdays: "[1]", retentionDays: "7" }).unknown).toEqual(["RegionId"]);
  });

  it("turns concrete keys into patterns", () => {
    expect(paramPattern("NetworkInterfaces.2.SecurityGroupIds.10")).toBe("NetworkInterfaces.N.SecurityGroupIds.M");
    expect(paramPattern("Tags.0.Key")).toBeUndefined();
    expect(paramPattern("ZoneId")).toBe("ZoneId");
  });
});

describe("checkShape", () => {
  const shape = spec("volcengine", "ecs", "DescribeSystemEvents").output;

  it("accepts a body of the model's shape, and names every field that is not in it or of another type", () => {
    expect(checkShape(shape, { SystemEvents: [{ Id: "e", ExtraInfo: { a: "b" } }], NextToken: "" })).toEqual([]);
    expect(checkShape(shape, { SystemEvents: [{ Id: 1, ExtraInfo: "{}", Colour: "red" }], NextToken: null, Total: 1 })).toEqual([
      { path: "$.SystemEvents[0].Id", problem: expect.stringContaining("the model says string") },
      { path: "$.SystemEvents[0].ExtraInfo", problem: expect.stringContaining("the model says an object") },
      { path: "$.SystemEvents[0].Colour", problem: "is not in the model" },
      { path: "$.NextToken", problem: "is null" },
      { path: "$.Total", problem: "is not in the model" },
    ]);
    expect(checkShape(spec("volcengine", "ecs", "RunInstances").output, { InstanceIds: "i-1" })).toEqual([{ path: "$.InstanceIds", problem: "is string, the model says a list" }]);
    expect(checkShape(spec("volcengine", "ecs", "DescribeInstances").output, { TotalCount: 1.5 })[0].problem).toContain("the model says integer");
  });
});

describe("the fixture's unknown-parameter report", () => {
  const call = (over: Partial<CallRecord>): CallRecord => ({ seq: 1, at: "", cloud: "volcengine", service: "ecs", action: "RunInstances", params: {}, unknownParams: [], status: 200, ...over });

  it("lists action and parameters once per distinct call, minus what the suite allows", () => {
    const calls = [call({ unknownParams: ["HostNmae"] }), call({ seq: 2, unknownParams: ["HostNmae"] }), call({ seq: 3, cloud: "alicloud", service: "ram", action: "GetRole", unknownParams: ["RegionId"] }), call({ seq: 4 })];
    expect(unknownParamReport(calls)).toBe("requests sent parameters the API models do not know (the real cloud ignores them):\n  volcengine ecs RunInstances: HostNmae\n  alicloud ram GetRole: RegionId");
    expect(unknownParamReport(calls, [{ action: "RunInstances", param: "HostNmae" }, { cloud: "alicloud", param: "RegionId" }])).toBe("");
    expect(unknownParamReport([call({ unknownParams: ["Tags.3.Colour"] })], [{ param: "Tags.N.Colour" }])).toBe("");
    expect(unknownParamReport([call({ unknownParams: ["HostNmae"] })], [{ action: "DescribeInstances", param: "HostNmae" }])).toContain("HostNmae");
  });
});
