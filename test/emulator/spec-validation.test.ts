// The emulator checks every request against the clouds' own API models (emulator/spec.ts) before the
// action runs, through the real Node SDKs: a missing required parameter and a value of the wrong type are
// refused as each cloud refuses them, in its own envelope; an unknown or misspelled parameter is not
// refused (the gateways ignore it) but recorded on the call log, which fails the suite (useEmulator)
// unless the suite names it — as this one does for the misspellings it sends on purpose.
import Ecs, * as $Ecs from "@alicloud/ecs20140526";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { RuntimeOptions } from "@darabonba/typescript";
import { Service } from "@volcengine/openapi";
import { describe, expect, it } from "vitest";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator({
  timeScale: 1e-6,
  allowUnknownParams: [
    { cloud: "volcengine", action: "RunInstances", param: "HostNmae" },
    { cloud: "volcengine", action: "DescribeInstances", param: "InstanceId" },
    { cloud: "alicloud", action: "DescribeSnapshotGroups", param: "SnapshotGroupIds.N" },
  ],
});

function volcengine(action: string) {
  const url = new URL(ctx.emu.url);
  const svc = new Service({ serviceName: "ecs", defaultVersion: "2020-04-01", region: "cn-beijing", host: url.host, protocol: url.protocol, accessKeyId: ctx.emu.credentials.accessKeyId, secretKey: ctx.emu.credentials.secretKey } as any);
  return svc.createAPI(action, { Version: "2020-04-01", method: "GET" }) as (q: Record<string, string>) => Promise<any>;
}

const RUN = { ZoneId: "cn-beijing-a", ImageId: "image-ubuntu2204-emu", InstanceTypeId: "ecs.g3il.large", InstanceName: "spec", SpotStrategy: "SpotAsPriceGo", "NetworkInterfaces.1.SubnetId": "subnet-emu-cn-beijing-a", "NetworkInterfaces.1.SecurityGroupIds.1": "sg-emu-default" };

function alicloud() {
  return new Ecs(new $OpenApiUtil.Config({ accessKeyId: ctx.emu.credentials.accessKeyId, accessKeySecret: ctx.emu.credentials.secretKey, regionId: "cn-hangzhou", endpoint: `127.0.0.1:${ctx.emu.port}`, protocol: "HTTP", readTimeout: 20_000, connectTimeout: 20_000 }));
}

/** An RPC call with exactly these query parameters, as the provider's client makes them. */
function rpc(action: string, query: Record<string, string>) {
  const params = new $OpenApiUtil.Params({ action, version: "2014-05-26", protocol: "HTTP", pathname: "/", method: "POST", authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json" });
  return alicloud().callApi(params, new $OpenApiUtil.OpenApiRequest({ query }), new RuntimeOptions({}));
}

const rejection = (p: Promise<unknown>): Promise<any> => p.then(() => expect.unreachable("the call should have been refused"), (e) => e);
const lastCall = async () => (await ctx.emu.admin.calls()).at(-1)!;

describe("Volcengine: requests checked against the volcenginesdkecs models", () => {
  it("refuses a missing required parameter with MissingParameter, HTTP 400, in the ResponseMetadata envelope, before the action runs", async () => {
    const { ImageId, ...noImage } = RUN;
    void ImageId;
    const body = await volcengine("RunInstances")(noImage);
    expect(body.ResponseMetadata).toMatchObject({ Action: "RunInstances", Version: "2020-04-01", Service: "ecs", Region: "cn-beijing", Error: { Code: "MissingParameter", Message: "The required parameter ImageId is missing." } });
    expect(body.Result).toBeUndefined();
    expect(await lastCall()).toMatchObject({ action: "RunInstances", status: 400, code: "MissingParameter", unknownParams: [] });
    // Required in each list item given: a volume without its Size.
    const noSize = await volcengine("RunInstances")({ ...RUN, "Volumes.1.VolumeType": "ESSD_PL0" });
    expect(noSize.ResponseMetadata.Error).toMatchObject({ Code: "MissingParameter", Message: "The required parameter Volumes.1.Size is missing." });
    // CreateImage's documented code for its name.
    const noName = await volcengine("CreateImage")({ InstanceId: "i-x" });
    expect(noName.ResponseMetadata.Error.Code).toBe("MissingParameter.ImageName");
    expect((await ctx.emu.admin.volcengine.state()).instances).toEqual([]);
  });

  it("refuses a value of the wrong type with InvalidParameter, HTTP 400, naming the parameter; the code is a setting", async () => {
    const body = await volcengine("RunInstances")({ ...RUN, Count: "two" });
    expect(body.ResponseMetadata.Error).toMatchObject({ Code: "InvalidParameter", Message: "The specified parameter Count is invalid: Count is not an integer." });
    expect(await lastCall()).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect((await volcengine("DescribeInstances")({ MaxResults: "many" })).ResponseMetadata.Error.Code).toBe("InvalidParameter");
    expect((await volcengine("DeleteInstance")({ InstanceId: "i-x", DryRun: "maybe" })).ResponseMetadata.Error.Code).toBe("InvalidParameter");
    await ctx.emu.admin.volcengine.settings({ invalidParameterCode: "InvalidParameter.{name}" });
    expect((await volcengine("RunInstances")({ ...RUN, Count: "two" })).ResponseMetadata.Error.Code).toBe("InvalidParameter.Count");
  });

  it("runs a request with a misspelled parameter — as the cloud does — and records it on the call log", async () => {
    const body = await volcengine("RunInstances")({ ...RUN, HostNmae: "web-1" });
    expect(body.Result.InstanceIds).toHaveLength(1);
    expect(await lastCall()).toMatchObject({ action: "RunInstances", status: 200, unknownParams: ["HostNmae"] });
    await volcengine("DescribeInstances")({ InstanceId: body.Result.InstanceIds[0] });
    expect((await ctx.emu.admin.calls({ action: "DescribeInstances" }))[0].unknownParams).toEqual(["InstanceId"]);
  });
});

describe("Alibaba Cloud: requests checked against the @alicloud/ecs20140526 models", () => {
  it("refuses a missing required parameter with MissingParameter, HTTP 400, in the gateway's error body", async () => {
    const err = await rejection(alicloud().describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({})));
    expect(err).toMatchObject({ code: "MissingParameter", statusCode: 400 });
    expect(Object.keys(err.data).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
    expect(err.data.Message).toBe('The input parameter "RegionId" that is mandatory for processing this request is not supplied.');
    const run = await rejection(alicloud().runCommand(new $Ecs.RunCommandRequest({ regionId: "cn-hangzhou", commandContent: "ZWNobw==", instanceId: ["i-emu-db-linux"] })));
    expect(run).toMatchObject({ code: "MissingParameter", data: { Message: expect.stringContaining('"Type"') } });
  });

  it("refuses a value of the wrong type with InvalidParameter, HTTP 400, as the gateway words it", async () => {
    const err = await rejection(rpc("DescribeInvocationResults", { RegionId: "cn-hangzhou", PageSize: "ten" }));
    expect(err).toMatchObject({ code: "InvalidParameter", statusCode: 400, data: { Message: 'The specified parameter "PageSize" is not valid.' } });
    const flag = await rejection(rpc("DescribeInvocations", { RegionId: "cn-hangzhou", IncludeOutput: "sometimes" }));
    expect(flag).toMatchObject({ code: "InvalidParameter", statusCode: 400 });
    expect(await lastCall()).toMatchObject({ cloud: "alicloud", service: "ecs", action: "DescribeInvocations", status: 400, code: "InvalidParameter" });
  });

  it("runs a request with a parameter the model does not know, and records it", async () => {
    const res: any = await rpc("DescribeSnapshotGroups", { RegionId: "cn-hangzhou", "SnapshotGroupIds.1": "ssg-nope" });
    expect(res.body.SnapshotGroups.SnapshotGroup).toEqual([]);
    expect(await lastCall()).toMatchObject({ action: "DescribeSnapshotGroups", status: 200, unknownParams: ["SnapshotGroupIds.1"] });
  });
});
