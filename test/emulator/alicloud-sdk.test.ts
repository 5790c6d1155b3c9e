// The emulator's Alibaba Cloud (ECS, Cloud Assistant, RAM) through the real SDKs — @alicloud/ecs20140526
// and @alicloud/ram20150501 clients, ACS3 and RPC v2 signing — with no provider code in between. The
// emulated clock is frozen: tests step it with clock.advance, so every status is asserted at a
// known emulated time and nothing waits on the wall clock.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import Ecs, * as $Ecs from "@alicloud/ecs20140526";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { RuntimeOptions } from "@darabonba/typescript";
import Ram, * as $Ram from "@alicloud/ram20150501";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { ASSISTANT_ACTIONS } from "../../emulator/alicloud/assistant/responses";
import { useEmulator } from "../support/emulator";

const REGION = "cn-hangzhou";
const DB = "i-emu-db-linux";
const WIN = "i-emu-app-windows";
const TRUST_ECS = JSON.stringify({ Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }], Version: "1" });
const SNAPSHOT_ACTIONS = ["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"];
const policyOf = (actions: string[]) => JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: actions, Resource: ["*"] }] });

// Emulated time stands (almost) still; tests move it with emu.clock.advance. A replayed DescribeInstances
// with its x-acs-action header altered to DeleteSnapshotGroup sends that action DescribeInstances' InstanceIds.
// Emulated time stands still; tests move it with emu.clock.advance.
const fixture = useEmulator({ clock: { frozen: true }, allowUnknownParams: [{ action: "DeleteSnapshotGroup", param: "InstanceIds" }] });
let emu: RunningEmulator;
let ecs: Ecs;
let ram: Ram;

function config(extra: Record<string, unknown> = {}) {
  return new $OpenApiUtil.Config({
    accessKeyId: emu.credentials.accessKeyId,
    accessKeySecret: emu.credentials.secretKey,
    regionId: REGION,
    endpoint: `127.0.0.1:${emu.port}`,
    protocol: "HTTP",
    readTimeout: 20_000,
    connectTimeout: 20_000,
    ...extra,
  });
}

beforeAll(() => {
  emu = fixture.emu;
  ecs = new Ecs(config());
  ram = new Ram(config());
});

const admin = (path: string, body?: unknown, method = "POST") => emu.admin.request(`alicloud/${path}`, method, body);
const state = () => emu.admin.request("alicloud/state");
const advance = (seconds: number) => emu.clock.advance(seconds * 1000);
const rejection = async (p: Promise<unknown>): Promise<any> => p.then(() => expect.unreachable("the call should have been rejected"), (e) => e);

async function snapshotRole(name: string, instanceId: string, actions = SNAPSHOT_ACTIONS): Promise<void> {
  await ram.createRole(new $Ram.CreateRoleRequest({ roleName: name, assumeRolePolicyDocument: TRUST_ECS }));
  await ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: `${name}-policy`, policyDocument: policyOf(actions) }));
  await ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: `${name}-policy`, roleName: name }));
  const res = await ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: name, instanceIds: JSON.stringify([instanceId]) }));
  expect(res.body?.failCount).toBe(0);
}

async function runCommand(instanceId: string, content: string, opts: { type?: string; base64?: boolean; clientToken?: string; timeout?: number; name?: string } = {}): Promise<string> {
  const res = await ecs.runCommand(
    new $Ecs.RunCommandRequest({
      regionId: REGION,
      type: opts.type ?? "RunShellScript",
      commandContent: opts.base64 === false ? content : Buffer.from(content).toString("base64"),
      contentEncoding: opts.base64 === false ? "PlainText" : "Base64",
      instanceId: [instanceId],
      timeout: opts.timeout ?? 600,
      name: opts.name,
      clientToken: opts.clientToken,
    }),
  );
  expect(res.body?.invokeId).toMatch(/^t-/);
  return res.body!.invokeId!;
}

async function result(invokeId: string, contentEncoding?: string) {
  const res = await ecs.describeInvocationResults(new $Ecs.DescribeInvocationResultsRequest({ regionId: REGION, invokeId, contentEncoding }));
  const rows = res.body?.invocation?.invocationResults?.invocationResult ?? [];
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** Runs the Linux plugin (or any command) to completion and returns its decoded result. */
async function plugin(params: string, opts: { instanceId?: string; win?: boolean; raw?: string; separator?: string } = {}) {
  const sep = opts.separator ? ` --separator '${opts.separator}'` : "";
  const content =
    opts.raw ??
    (opts.win
      ? `acs-plugin-manager --exec --plugin app-snapshot-plugin-win --params=${params}`
      : `acs-plugin-manager --exec --plugin app-snapshot-plugin${sep} --params='${params.replace(/'/g, "'\\''")}'`);
  const invokeId = await runCommand(opts.instanceId ?? (opts.win ? WIN : DB), content, { type: opts.win ? "RunBatScript" : "RunShellScript" });
  advance(1 + 5); // delivery, then the plugin's run
  const r = await result(invokeId);
  const output = Buffer.from(r.output ?? "", "base64").toString("utf8");
  const argv = (await state()).invocations.find((i: any) => i.InvokeId === invokeId).results[0].pluginArgv;
  return { invokeId, status: r.invocationStatus, exitCode: r.exitCode, errorCode: r.errorCode, errorInfo: r.errorInfo, output, argv, group: /snapshotgroup="(ssg-[0-9a-f]+)"/.exec(output)?.[1] };
}

async function groups() {
  return (await state()).snapshotGroups as any[];
}

describe("signatures", () => {
  it("accepts ACS3-HMAC-SHA256 (the SDK default) and legacy RPC v2 HMAC-SHA1, and tells ECS from RAM by version", async () => {
    const acs3 = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify([DB]) }));
    expect(acs3.body?.instances?.instance?.map((i) => i.instanceId)).toEqual([DB]);
    const v2 = new Ecs(config({ signatureAlgorithm: "v2" }));
    const viaV2 = await v2.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
    expect(viaV2.body?.totalCount).toBe(2);
    const ramV2 = new Ram(config({ signatureAlgorithm: "v2" }));
    await ramV2.createRole(new $Ram.CreateRoleRequest({ roleName: "v2-role", assumeRolePolicyDocument: TRUST_ECS }));
    expect((await ram.getRole(new $Ram.GetRoleRequest({ roleName: "v2-role" }))).body?.role?.arn).toMatch(/^acs:ram::\d+:role\/v2-role$/);
    const calls = await emu.admin.calls({ cloud: "alicloud" });
    expect(calls.map((c) => [c.service, c.action, c.status])).toEqual([
      ["ecs", "DescribeInstances", 200],
      ["ecs", "DescribeInstances", 200],
      ["ram", "CreateRole", 200],
      ["ram", "GetRole", 200],
    ]);
    // The call log never keeps signing material.
    expect(JSON.stringify(calls)).not.toMatch(/AccessKeyId|Signature|emulator-access-key/);
  });

  it.each([
    ["ACS3", {}],
    ["RPC v2", { signatureAlgorithm: "v2" }],
  ])("rejects a wrong secret (%s) with SignatureDoesNotMatch 400 and the gateway's error body", async (_scheme, extra) => {
    const bad = new Ecs(config({ ...extra, accessKeySecret: "not-the-secret" }));
    const err = await rejection(bad.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION })));
    expect(err).toMatchObject({ code: "SignatureDoesNotMatch", statusCode: 400 });
    expect(Object.keys(err.data).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
    expect(err.data).toMatchObject({ HostId: "ecs.aliyuncs.com", Message: expect.stringMatching(/^Specified signature is not matched with our calculation/) });
    expect(err.data.Recommend).toContain("SignatureDoesNotMatch");
    expect(JSON.stringify(err.data)).not.toContain(emu.credentials.secretKey);
  });

  it("rejects an unknown access key with InvalidAccessKeyId.NotFound 404 without echoing it", async () => {
    const stranger = new Ram(config({ accessKeyId: "LTAI-nobody-knows" }));
    const err = await rejection(stranger.getRole(new $Ram.GetRoleRequest({ roleName: "x" })));
    expect(err).toMatchObject({ code: "InvalidAccessKeyId.NotFound", statusCode: 404, data: { HostId: "ram.aliyuncs.com", Message: "Specified access key is not found." } });
    expect(JSON.stringify(err.data)).not.toContain("LTAI-nobody-knows");
  });

  it("answers an unknown action or version as the gateway does", async () => {
    const call = (action: string, version: string) =>
      ecs.callApi(
        new $OpenApiUtil.Params({ action, version, protocol: "HTTP", pathname: "/", method: "POST", authType: "AK", style: "RPC", reqBodyType: "formData", bodyType: "json" }),
        new $OpenApiUtil.OpenApiRequest({ query: { RegionId: REGION } }),
        new RuntimeOptions({}),
      );
    expect(await rejection(call("DescribeNothing", "2014-05-26"))).toMatchObject({ code: "InvalidAction.NotFound", statusCode: 404 });
    // RAM actions are not served under the ECS version, nor ECS ones under RAM's.
    expect(await rejection(call("GetRole", "2014-05-26"))).toMatchObject({ code: "InvalidAction.NotFound", statusCode: 404 });
    expect(await rejection(call("DescribeInstances", "2015-05-01"))).toMatchObject({ code: "InvalidAction.NotFound", statusCode: 404, data: { HostId: "ram.aliyuncs.com" } });
    expect(await rejection(call("DescribeInstances", "2099-01-01"))).toMatchObject({ code: "InvalidVersion", statusCode: 400 });
  });

  describe("raw requests, captured from the SDK and replayed", () => {
    let captured: { method: string; url: string; headers: IncomingHttpHeaders; body: string };

    beforeEach(async () => {
      // A stand-in endpoint that records what the SDK sends.
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          captured = { method: req.method!, url: req.url!, headers: req.headers, body };
          res.writeHead(200, { "content-type": "application/json" }).end('{"RequestId":"captured","Instances":{"Instance":[]},"TotalCount":0}');
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      const port = (server.address() as AddressInfo).port;
      const sdk = new Ecs(new $OpenApiUtil.Config({ ...config(), endpoint: `127.0.0.1:${port}` }));
      await sdk.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify([DB]) }));
      await new Promise((r) => server.close(r));
    });

    /** Sends the captured request to the emulator as is (its Host header is the signed one). */
    const replay = (headers: IncomingHttpHeaders = captured.headers) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: emu.port, method: captured.method, path: captured.url, headers }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on("error", reject);
        req.end(captured.body);
      });

    it("answers the captured request once, then refuses its replayed signature nonce", async () => {
      const first = await replay();
      expect(first.status).toBe(200);
      expect(first.body.Instances.Instance.map((i: any) => i.InstanceId)).toEqual([DB]);
      expect(await replay()).toMatchObject({ status: 400, body: { Code: "SignatureNonceUsed", Message: "Specified signature nonce was used already." } });
    });

    it("refuses a request whose signed headers were altered, or whose x-acs-* headers are unsigned", async () => {
      const tampered = await replay({ ...captured.headers, "x-acs-action": "DeleteSnapshotGroup" });
      expect(tampered).toMatchObject({ status: 400, body: { Code: "SignatureDoesNotMatch" } });
      const extra = await replay({ ...captured.headers, "x-acs-extra": "1" });
      expect(extra).toMatchObject({ status: 400, body: { Code: "IncompleteSignature", Message: expect.stringContaining("x-acs-extra") } });
      const unsigned = await replay({ host: captured.headers.host, "x-acs-version": "2014-05-26", "x-acs-action": "DescribeInstances" });
      expect(unsigned).toMatchObject({ status: 400, body: { Code: "IncompleteSignature" } });
      const stale = await replay({ ...captured.headers, "x-acs-date": "2001-01-01T00:00:00Z" });
      expect(stale).toMatchObject({ status: 400, body: { Code: "InvalidTimeStamp.Expired" } });
    });
  });
});

describe("RAM roles and policies", () => {
  it("goes through the role and policy lifecycle with RAM's conflict and not-found codes", async () => {
    const role = await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "snap", assumeRolePolicyDocument: TRUST_ECS, description: "snapshots" }));
    expect(role.body?.role).toMatchObject({ roleName: "snap", description: "snapshots", maxSessionDuration: 3600 });
    expect(await rejection(ram.createRole(new $Ram.CreateRoleRequest({ roleName: "snap", assumeRolePolicyDocument: TRUST_ECS })))).toMatchObject({ code: "EntityAlreadyExists.Role", statusCode: 409 });
    expect(await rejection(ram.createRole(new $Ram.CreateRoleRequest({ roleName: "bad name!", assumeRolePolicyDocument: TRUST_ECS })))).toMatchObject({ code: "InvalidParameter.RoleName.InvalidChars", statusCode: 400 });

    expect(await rejection(ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "p", policyDocument: "{not json" })))).toMatchObject({ code: "MalformedPolicyDocument", statusCode: 400 });
    expect(await rejection(ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "p", policyDocument: JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: "ecs:*" }] }) })))).toMatchObject({
      code: "MalformedPolicyDocument",
      data: { Message: expect.stringContaining('needs "Resource"') },
    });
    await ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "p", policyDocument: policyOf(SNAPSHOT_ACTIONS) }));
    expect(await rejection(ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "p", policyDocument: policyOf(["ecs:*"]) })))).toMatchObject({ code: "EntityAlreadyExists.Policy", statusCode: 409 });

    await ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: "p", roleName: "snap" }));
    expect(await rejection(ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: "p", roleName: "snap" })))).toMatchObject({ code: "EntityAlreadyExists.Role.Policy", statusCode: 409 });
    expect(await rejection(ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: "p", roleName: "ghost" })))).toMatchObject({ code: "EntityNotExist.Role", statusCode: 404 });
    const listed = await ram.listPoliciesForRole(new $Ram.ListPoliciesForRoleRequest({ roleName: "snap" }));
    expect(listed.body?.policies?.policy?.map((p) => [p.policyName, p.policyType])).toEqual([["p", "Custom"]]);
    const got = await ram.getPolicy(new $Ram.GetPolicyRequest({ policyName: "p", policyType: "Custom" }));
    expect(JSON.parse(got.body!.defaultPolicyVersion!.policyDocument!).Statement[0].Action).toEqual(SNAPSHOT_ACTIONS);
    expect(got.body?.policy?.attachmentCount).toBe(1);

    expect(await rejection(ram.deleteRole(new $Ram.DeleteRoleRequest({ roleName: "snap" })))).toMatchObject({ code: "DeleteConflict.Role.Policy", statusCode: 409 });
    expect(await rejection(ram.deletePolicy(new $Ram.DeletePolicyRequest({ policyName: "p" })))).toMatchObject({ code: "DeleteConflict.Policy.Role", statusCode: 409 });
    await ram.detachPolicyFromRole(new $Ram.DetachPolicyFromRoleRequest({ policyType: "Custom", policyName: "p", roleName: "snap" }));
    expect(await rejection(ram.detachPolicyFromRole(new $Ram.DetachPolicyFromRoleRequest({ policyType: "Custom", policyName: "p", roleName: "snap" })))).toMatchObject({ code: "EntityNotExist.Role.Policy", statusCode: 404 });
    // RAM is eventually consistent: right after the detach, both deletes still conflict (ramDetachLagSeconds).
    expect(await rejection(ram.deletePolicy(new $Ram.DeletePolicyRequest({ policyName: "p" })))).toMatchObject({ code: "DeleteConflict.Policy.Role", statusCode: 409 });
    expect(await rejection(ram.deleteRole(new $Ram.DeleteRoleRequest({ roleName: "snap" })))).toMatchObject({ code: "DeleteConflict.Role.Policy", statusCode: 409 });
    advance(3);
    await ram.deletePolicy(new $Ram.DeletePolicyRequest({ policyName: "p" }));
    await ram.deleteRole(new $Ram.DeleteRoleRequest({ roleName: "snap" }));
    expect(await rejection(ram.getRole(new $Ram.GetRoleRequest({ roleName: "snap" })))).toMatchObject({ code: "EntityNotExist.Role", statusCode: 404, data: { HostId: "ram.aliyuncs.com" } });
    expect(await rejection(ram.getPolicy(new $Ram.GetPolicyRequest({ policyName: "p", policyType: "Custom" })))).toMatchObject({ code: "EntityNotExist.Policy", statusCode: 404 });
    expect(await state()).toMatchObject({ roles: [], policies: [] });
  });

  it("deletes a policy still attached when asked to cascade", async () => {
    await snapshotRole("snap", DB);
    await ram.deletePolicy(new $Ram.DeletePolicyRequest({ policyName: "snap-policy", cascadingDelete: true }));
    expect((await ram.listPoliciesForRole(new $Ram.ListPoliciesForRoleRequest({ roleName: "snap" }))).body?.policies?.policy).toEqual([]);
  });
});

describe("ECS instances, disks and instance RAM roles", () => {
  it("describes seeded and added instances and their disks (DiskIds as a JSON array)", async () => {
    await admin("instances", { instanceId: "i-added", osType: "linux", disks: [{ category: "cloud_essd", fileSystem: "xfs", size: 80 }, { category: "cloud_efficiency", fileSystem: "ext4" }] });
    const all = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }));
    expect(all.body?.instances?.instance?.map((i) => [i.instanceId, i.OSType, i.status])).toEqual([
      [DB, "linux", "Running"],
      [WIN, "windows", "Running"],
      ["i-added", "linux", "Running"],
    ]);
    expect((await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: "cn-beijing" }))).body?.totalCount).toBe(0);
    const added = (await state()).instances.find((i: any) => i.InstanceId === "i-added");
    const disks = await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, diskIds: JSON.stringify([added.disks[1].DiskId]) }));
    expect(disks.body?.disks?.disk?.map((d) => [d.instanceId, d.type, d.category, d.size])).toEqual([["i-added", "data", "cloud_efficiency", 40]]);
    const byInstance = await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: DB, category: "cloud_essd" }));
    expect(byInstance.body?.totalCount).toBe(2);
    expect(await rejection(ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, diskIds: "d-1,d-2" })))).toMatchObject({ code: "InvalidDiskIds.Malformed", statusCode: 400 });
    expect(await rejection(admin("instances", { instanceId: "i-bad", disks: [{ category: "cloud_essd", fileSystem: "zfs" }] }))).toBeInstanceOf(Error);
  });

  it("attaches only roles ECS may assume, reports per instance, describes and detaches", async () => {
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "fc-only", assumeRolePolicyDocument: TRUST_ECS.replace("ecs.aliyuncs.com", "fc.aliyuncs.com") }));
    expect(await rejection(ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "fc-only", instanceIds: JSON.stringify([DB]) })))).toMatchObject({
      code: "InvalidRamRole.NotEcsRole",
      statusCode: 404,
    });
    expect(await rejection(ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "ghost", instanceIds: JSON.stringify([DB]) })))).toMatchObject({
      code: "InvalidRamRole.NotFound",
      statusCode: 404,
    });
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "snap", assumeRolePolicyDocument: TRUST_ECS }));
    expect(await rejection(ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "snap", instanceIds: "i-1" })))).toMatchObject({ code: "InvalidInstanceIds.Malformed" });
    const attached = await ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "snap", instanceIds: JSON.stringify([DB, "i-missing"]) }));
    expect(attached.body).toMatchObject({ totalCount: 2, failCount: 1 });
    expect(attached.body?.attachInstanceRamRoleResults?.attachInstanceRamRoleResult?.map((r) => [r.instanceId, r.success, r.code])).toEqual([
      [DB, true, "200"],
      ["i-missing", false, "InvalidInstanceId.NotFound"],
    ]);
    const described = await ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, instanceIds: JSON.stringify([DB, WIN]) }));
    expect(described.body?.instanceRamRoleSets?.instanceRamRoleSet?.map((s) => [s.instanceId, s.ramRoleName])).toEqual([[DB, "snap"]]);
    const detached = await ecs.detachInstanceRamRole(new $Ecs.DetachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "snap", instanceIds: JSON.stringify([DB, WIN]) }));
    expect(detached.body?.detachInstanceRamRoleResults?.detachInstanceRamRoleResult?.map((r) => [r.instanceId, r.success])).toEqual([
      [DB, true],
      [WIN, false],
    ]);
    expect((await state()).instances.every((i: any) => i.ramRole === undefined)).toBe(true);
  });
});

describe("what the real API does that the provider relies on", () => {
  it("DescribeInstanceRamRole answers 10 per page by default, at most 50, and takes at most 50 InstanceIds", async () => {
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "fleet", assumeRolePolicyDocument: TRUST_ECS }));
    const ids = Array.from({ length: 12 }, (_, i) => `i-fleet-${i}`);
    for (const id of ids) await admin("instances", { instanceId: id });
    await ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "fleet", instanceIds: JSON.stringify(ids) }));
    const first = await ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "fleet" }));
    expect([first.body?.instanceRamRoleSets?.instanceRamRoleSet?.length, first.body?.totalCount]).toEqual([10, 12]);
    const second = await ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "fleet", pageNumber: 2 }));
    expect(second.body?.instanceRamRoleSets?.instanceRamRoleSet?.map((x) => x.instanceId)).toEqual(ids.slice(10));
    expect(await rejection(ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "fleet", pageSize: 51 })))).toMatchObject({ statusCode: 400 });
    expect(await rejection(ecs.describeInstanceRamRole(new $Ecs.DescribeInstanceRamRoleRequest({ regionId: REGION, instanceIds: JSON.stringify(Array.from({ length: 51 }, (_, i) => `i-${i}`)) })))).toMatchObject({ code: "InvalidInstanceIds.Malformed" });
  });

  it("RunCommand takes tags that DescribeInvocations filters by, and a DryRun that runs nothing", async () => {
    const tagged = await ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: "echo", instanceId: [DB], tag: [new $Ecs.RunCommandRequestTag({ key: "token", value: "t1" })] }));
    await runCommand(DB, "echo untagged");
    const found = await ecs.describeInvocations(new $Ecs.DescribeInvocationsRequest({ regionId: REGION, tag: [new $Ecs.DescribeInvocationsRequestTag({ key: "token", value: "t1" })] }));
    expect(found.body?.invocations?.invocation?.map((i) => i.invokeId)).toEqual([tagged.body?.invokeId]);
    const dry = (instanceId: string) => ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: "echo", instanceId: [instanceId], repeatMode: "DryRun" }));
    expect(await rejection(dry(DB))).toMatchObject({ code: "DryRunOperation" });
    await admin("instance", { instanceId: DB, agentInstalled: false });
    expect(await rejection(dry(DB))).toMatchObject({ code: "ClientNotRunning" });
    expect((await state()).invocations).toHaveLength(2);
  });

  it("RAM roles and policies carry tags (CreateRole/CreatePolicy Tag, ListTagResources)", async () => {
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "tagged", assumeRolePolicyDocument: TRUST_ECS, tag: [new $Ram.CreateRoleRequestTag({ key: "owner", value: "stack-a" })] }));
    await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "plain", assumeRolePolicyDocument: TRUST_ECS }));
    await ram.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "tagged-p", policyDocument: policyOf(SNAPSHOT_ACTIONS), tag: [new $Ram.CreatePolicyRequestTag({ key: "owner", value: "stack-a" })] }));
    const roles = await ram.listTagResources(new $Ram.ListTagResourcesRequest({ resourceType: "role", resourceNames: ["tagged", "plain"] }));
    expect(roles.body?.tagResources?.map((t) => [t.resourceName, t.tagKey, t.tagValue])).toEqual([["tagged", "owner", "stack-a"]]);
    const policies = await ram.listTagResources(new $Ram.ListTagResourcesRequest({ resourceType: "policy", resourceNames: ["tagged-p"] }));
    expect(policies.body?.tagResources?.map((t) => t.tagValue)).toEqual(["stack-a"]);
  });

  it("DeleteSnapshotGroup keeps a snapshot an image was made from, and says so per snapshot (HTTP 200)", async () => {
    const id = (await ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: DB }))).body!.snapshotGroupId!;
    advance(30);
    const snaps = (await groups())[0].snapshots.map((x: any) => x.SnapshotId);
    await admin("snapshot", { snapshotId: snaps[0], usedByImage: "m-golden" });
    const res = await ecs.deleteSnapshotGroup(new $Ecs.DeleteSnapshotGroupRequest({ regionId: REGION, snapshotGroupId: id }));
    expect(res.body?.operationProgressSet?.operationProgress?.map((p) => [p.relatedItemSet?.relatedItem?.[0].value, p.operationStatus, p.errorCode])).toEqual([
      [snaps[1], "Success", ""],
      [snaps[0], "Failed", "SnapshotCreatedImage"],
    ]);
    expect((await groups()).map((g) => g.snapshots.map((x: any) => x.SnapshotId))).toEqual([[snaps[0]]]);
  });
});

describe("snapshot groups through the API", () => {
  it("progresses to accomplished over emulated time, lists snapshots by JSON ids and tags, and deletes", async () => {
    const create = (clientToken?: string, name = "nightly") =>
      ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: DB, name, instantAccess: true, instantAccessRetentionDays: 2, clientToken, tag: [new $Ecs.CreateSnapshotGroupRequestTag({ key: "team", value: "db" })] }));
    const id = (await create("tok-1")).body!.snapshotGroupId!;
    expect(id).toMatch(/^ssg-/);
    // Same token, same parameters: the same group; other parameters: refused.
    expect((await create("tok-1")).body?.snapshotGroupId).toBe(id);
    expect(await rejection(create("tok-1", "weekly"))).toMatchObject({ code: "IdempotentParameterMismatch", statusCode: 403 });
    expect(await groups()).toHaveLength(1);

    const describe = async () => (await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, snapshotGroupId: [id] }))).body!.snapshotGroups!.snapshotGroup![0];
    const early = await describe();
    expect(early).toMatchObject({ status: "progressing", name: "nightly", instanceId: DB });
    expect(early.tags?.tag).toEqual([expect.objectContaining({ key: "team", value: "db" })]);
    expect(early.snapshots?.snapshot?.map((s) => [s.progress, s.instantAccess, s.instantAccessRetentionDays, s.available])).toEqual([
      ["0%", true, 2, true],
      ["0%", true, 2, true],
    ]);
    advance(15);
    expect((await describe()).snapshots?.snapshot?.[0].progress).toBe("50%");
    advance(15);
    expect(await describe()).toMatchObject({ status: "accomplished" });
    const progressing = await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, status: ["progressing"] }));
    expect(progressing.body?.snapshotGroups?.snapshotGroup).toEqual([]);

    const snapIds = (await describe()).snapshots!.snapshot!.map((s) => s.snapshotId!);
    const snaps = await ecs.describeSnapshots(new $Ecs.DescribeSnapshotsRequest({ regionId: REGION, snapshotIds: JSON.stringify([snapIds[1]]) }));
    expect(snaps.body?.snapshots?.snapshot?.map((s) => [s.snapshotId, s.status, s.sourceDiskType])).toEqual([[snapIds[1], "accomplished", "data"]]);

    const deleted = await ecs.deleteSnapshotGroup(new $Ecs.DeleteSnapshotGroupRequest({ regionId: REGION, snapshotGroupId: id }));
    expect(deleted.body?.operationProgressSet?.operationProgress?.map((p) => [p.operationStatus, p.relatedItemSet?.relatedItem?.[0].value])).toEqual(snapIds.map((s) => ["Success", s]));
    expect(await rejection(ecs.deleteSnapshotGroup(new $Ecs.DeleteSnapshotGroupRequest({ regionId: REGION, snapshotGroupId: id })))).toMatchObject({ code: "InvalidSnapshotGroupId.NotFound", statusCode: 404 });
    expect((await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, snapshotGroupId: [id] }))).body?.snapshotGroups?.snapshotGroup).toEqual([]);
  });

  it("refuses what CreateSnapshotGroup refuses, and fails groups when told to", async () => {
    await admin("instances", { instanceId: "i-mixed", disks: [{ category: "cloud_essd" }, { category: "cloud_efficiency" }] });
    // The whole ESSD family qualifies: ESSD, AutoPL, Entry, regional (zone-redundant).
    await admin("instances", { instanceId: "i-family", disks: ["cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_regional_disk_auto"].map((category) => ({ category })) });
    expect((await ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: "i-family" }))).body?.snapshotGroupId).toMatch(/^ssg-/);
    const create = (req: Partial<$Ecs.CreateSnapshotGroupRequest>) => ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: DB, ...req }));
    expect(await rejection(create({ instanceId: "i-mixed" }))).toMatchObject({ code: "DiskCategory.OperationNotSupported", statusCode: 400 });
    expect(await rejection(create({ instanceId: "i-nope" }))).toMatchObject({ code: "InvalidInstanceId.NotFound", statusCode: 404 });
    expect(await rejection(create({ excludeDiskId: ["d-unknown"] }))).toMatchObject({ code: "InvalidDiskId.NotFound", statusCode: 404 });
    expect(await rejection(create({ name: "x" }))).toMatchObject({ code: "InvalidParameter.Name", statusCode: 400 });
    expect(await rejection(create({ instantAccess: true, instantAccessRetentionDays: 65536 }))).toMatchObject({ code: "InvalidRetentionDays.Malformed", statusCode: 400 });
    await admin("settings", { snapshotQuota: 4 });
    expect(await rejection(create({}))).toMatchObject({ code: "QuotaExceed.Snapshot", statusCode: 403 });
    await admin("settings", { snapshotQuota: 100, failSnapshotGroups: true });
    const id = (await create({})).body!.snapshotGroupId!;
    // ESSD-family snapshots are usable at once (instant access by default): the next group need not wait.
    expect((await create({})).body?.snapshotGroupId).toMatch(/^ssg-/);
    advance(30);
    const g = await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, snapshotGroupId: [id], status: ["failed"] }));
    expect(g.body?.snapshotGroups?.snapshotGroup?.map((x) => x.status)).toEqual(["failed"]);
    expect(await rejection(ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, status: ["done"] })))).toMatchObject({ code: "InvalidStatus.ValueNotSupported", statusCode: 403 });
  });
});

describe("Cloud Assistant", () => {
  it("moves an invocation Pending → Running → Success over emulated time; Output is base64 unless PlainText is asked", async () => {
    await admin("files", { instanceId: DB, path: "/root/ok.sh", owner: "root", mode: "700", exitCode: 0 });
    const invokeId = await runCommand(DB, "/root/ok.sh", { base64: false, name: "probe" });
    expect(await result(invokeId)).toMatchObject({ invocationStatus: "Pending", invokeRecordStatus: "Running", startTime: "" });
    advance(1);
    expect(await result(invokeId)).toMatchObject({ invocationStatus: "Running", invokeRecordStatus: "Running", finishedTime: "" });
    advance(5);
    expect(await result(invokeId)).toMatchObject({ invocationStatus: "Success", invokeRecordStatus: "Finished", exitCode: 0, errorCode: "" });
    const listed = await ecs.describeInvocations(new $Ecs.DescribeInvocationsRequest({ regionId: REGION, invokeId, includeOutput: true }));
    const inv = listed.body!.invocations!.invocation![0];
    expect(inv).toMatchObject({ invocationStatus: "Success", commandName: "probe", commandType: "RunShellScript" });
    expect(Buffer.from(inv.commandContent!, "base64").toString()).toBe("/root/ok.sh");
    expect(inv.invokeInstances?.invokeInstance?.[0]).toMatchObject({ instanceId: DB, invocationStatus: "Success" });

    // The plugin's output, both ways.
    await snapshotRole("snap", DB);
    const run = await plugin('-RamRoleName="snap"');
    expect(run.output).toContain(`[snapshotgroup="${run.group}"][message="Finish whole Processes of Snapshot successfully"]`);
    const plain = await result(run.invokeId, "PlainText");
    expect(plain.output).toBe(run.output);
    const b64 = await result(run.invokeId);
    expect(b64.output).toBe(Buffer.from(run.output).toString("base64"));
  });

  it("reports a non-zero exit as Failed/ExitCodeNonzero, an absent agent as Aborted/ClientNotRunning, a hang as Timeout", async () => {
    await admin("files", { instanceId: DB, path: "/root/bad.sh", exitCode: 3 });
    const failed = await runCommand(DB, "/root/bad.sh");
    advance(6);
    expect(await result(failed)).toMatchObject({ invocationStatus: "Failed", invokeRecordStatus: "Finished", exitCode: 3, errorCode: "ExitCodeNonzero", errorInfo: "the command execution exit code is not zero." });

    await admin("instance", { instanceId: DB, agentInstalled: false });
    const aborted = await runCommand(DB, "echo hi");
    advance(1);
    expect(await result(aborted)).toMatchObject({ invocationStatus: "Aborted", invokeRecordStatus: "Failed", errorCode: "ClientNotRunning", errorInfo: "the aliyun service is not running on the instance" });

    await admin("instance", { instanceId: DB, agentInstalled: true, hangInvocations: true });
    const hung = await runCommand(DB, "echo hi", { timeout: 30 });
    advance(1 + 29);
    expect(await result(hung)).toMatchObject({ invocationStatus: "Running" });
    advance(1);
    expect(await result(hung)).toMatchObject({ invocationStatus: "Timeout", invokeRecordStatus: "Failed", errorCode: "ExecutionTimeout" });
  });

  it("stops invocations: Cancelled before they start, Terminated while running", async () => {
    const early = await runCommand(DB, "echo 1");
    await ecs.stopInvocation(new $Ecs.StopInvocationRequest({ regionId: REGION, invokeId: early, instanceId: [DB] }));
    advance(10);
    expect(await result(early)).toMatchObject({ invocationStatus: "Cancelled", invokeRecordStatus: "Stopped" });
    const running = await runCommand(DB, "echo 2");
    advance(2);
    await ecs.stopInvocation(new $Ecs.StopInvocationRequest({ regionId: REGION, invokeId: running }));
    advance(10);
    const r = await result(running);
    expect(r).toMatchObject({ invocationStatus: "Terminated", invokeRecordStatus: "Stopped" });
    expect(r.stopTime).not.toBe("");
    const overall = await ecs.describeInvocations(new $Ecs.DescribeInvocationsRequest({ regionId: REGION, invokeId: running }));
    expect(overall.body?.invocations?.invocation?.[0].invocationStatus).toBe("Stopped");
    expect(await rejection(ecs.stopInvocation(new $Ecs.StopInvocationRequest({ regionId: REGION, invokeId: "t-nope" })))).toMatchObject({ code: "InvalidInvokeId.NotFound", statusCode: 404 });
  });

  it("is idempotent by ClientToken: same parameters, same invocation; other parameters, IdempotentParameterMismatch", async () => {
    const first = await runCommand(DB, "echo once", { clientToken: "run-1" });
    const again = await runCommand(DB, "echo once", { clientToken: "run-1" });
    expect(again).toBe(first);
    expect(await rejection(runCommand(DB, "echo other", { clientToken: "run-1" }))).toMatchObject({ code: "IdempotentParameterMismatch", statusCode: 403 });
    expect((await state()).invocations).toHaveLength(1);
    expect((await emu.admin.calls({ action: "RunCommand" })).map((c) => c.status)).toEqual([200, 200, 403]);
  });

  it("validates RunCommand as the API does", async () => {
    const run = (req: Partial<$Ecs.RunCommandRequest>) => ecs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: "echo", instanceId: [DB], ...req }));
    expect(await rejection(run({ type: "RunPythonScript" }))).toMatchObject({ code: "InvalidCmdType.NotFound", statusCode: 403 });
    expect(await rejection(run({ instanceId: ["i-nope"] }))).toMatchObject({ code: "InvalidInstance.NotFound", statusCode: 404 });
    expect(await rejection(run({ instanceId: [WIN] }))).toMatchObject({ code: "InvalidInstance.NotMatch", statusCode: 403 });
    expect(await rejection(run({ instanceId: Array.from({ length: 101 }, (_, i) => `i-${i}`) }))).toMatchObject({ code: "InstanceIds.ExceedLimit", statusCode: 403 });
    // Over 24 KB after base64 cannot travel in a query through a default Node server (16 KB request
    // head), so the limit is checked on the handler itself.
    const huge = { RegionId: REGION, Type: "RunShellScript", CommandContent: "x".repeat(18_500), "InstanceId.1": DB };
    expect(() => ASSISTANT_ACTIONS.RunCommand(huge, emu.alicloud.model)).toThrow(expect.objectContaining({ code: "CmdContent.ExceedLimit", status: 403 }));
    expect(await rejection(run({ repeatMode: "Period" }))).toMatchObject({ code: "MissingParam.Frequency", statusCode: 403 });
    expect(await rejection(run({ regionId: undefined }))).toMatchObject({ code: "MissingParameter", statusCode: 400 });
    // ContentEncoding is case-insensitive, and an unknown value means PlainText.
    await run({ commandContent: "echo plain", contentEncoding: "whatever" });
    await run({ commandContent: Buffer.from("echo b64").toString("base64"), contentEncoding: "base64" });
    expect((await state()).invocations.map((i: any) => i.CommandContent).sort()).toEqual(["echo b64", "echo plain"]);
  });
});

describe("the app-snapshot plugin", () => {
  const scripts = async (pre: Record<string, unknown> = {}, post: Record<string, unknown> = {}, instanceId = DB) => {
    await admin("files", { instanceId, path: "/root/pre.sh", content: "#!/bin/sh\nmysql -e 'FLUSH TABLES WITH READ LOCK'", ...pre });
    await admin("files", { instanceId, path: "/root/post.sh", content: "#!/bin/sh\nmysql -e 'UNLOCK TABLES'", ...post });
  };
  const WITH_SCRIPTS = '-RamRoleName="snap",-PreScriptPath="/root/pre.sh",-PostScriptPath="/root/post.sh"';
  const tagsOf = async (groupId: string) => {
    const g = (await groups()).find((x) => x.SnapshotGroupId === groupId);
    return [...new Set(g.snapshots.flatMap((s: any) => s.tags.map((t: any) => `${t.Key}:${t.Value}`)))];
  };

  it("takes an application-consistent group with root-owned mode-700 scripts, tagged APPConsistent", async () => {
    await snapshotRole("snap", DB);
    await scripts();
    const run = await plugin(`${WITH_SCRIPTS},-Name="db-nightly",-Description="it's \\"quoted\\", with commas",-InstantAccess=true,-InstantAccessRentationDays=3`);
    // acs-plugin-manager turned the quoted comma into a space (SplitArgs), as the real agent does.
    expect(run.argv).toContain(`-Description=it's "quoted"  with commas`);
    expect(run).toMatchObject({ status: "Success", exitCode: 0, errorCode: "" });
    expect(run.output).toMatch(/\[level="info"\]\[time="[^"]+"\]\[message="pre-script \/root\/pre.sh exited 0"\][\s\S]*post-script \/root\/post.sh exited 0/);
    expect(await tagsOf(run.group!)).toEqual(["APPConsistent:True"]);
    const g = (await ecs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, snapshotGroupId: [run.group!] }))).body!.snapshotGroups!.snapshotGroup![0];
    expect(g).toMatchObject({ name: "db-nightly", description: 'it\'s "quoted"  with commas', status: "progressing" });
    expect(g.snapshots?.snapshot?.map((s) => [s.instantAccess, s.instantAccessRetentionDays])).toEqual([
      [true, 3],
      [true, 3],
    ]);
    // The group goes on to accomplished after the plugin has returned.
    advance(30);
    expect((await groups())[0].Status).toBe("accomplished");
    const snaps = await ecs.describeSnapshots(new $Ecs.DescribeSnapshotsRequest({ regionId: REGION, instanceId: DB, tag: [new $Ecs.DescribeSnapshotsRequestTag({ key: "APPConsistent", value: "True" })] }));
    expect(snaps.body?.snapshots?.snapshot?.map((s) => s.tags?.tag?.map((t) => [t.tagKey, t.tagValue]))).toEqual([[["APPConsistent", "True"]], [["APPConsistent", "True"]]]);
  });

  it.each([
    ["not root-owned and mode 755", { owner: "mysql", mode: "755" }, /\/root\/pre.sh is owned by mysql with mode 755, not root 700: falling back to file-system consistency/],
    ["mode 0744", { mode: "0744" }, /\/root\/pre.sh is owned by root with mode 744, not root 700/],
    ["absent", null, /\/root\/pre.sh not found: falling back/],
  ])("falls back to file-system consistency (FsConsistent), exit 0, when the pre-script is %s", async (_why, pre, warning) => {
    await snapshotRole("snap", DB);
    await scripts(pre ?? {});
    if (pre === null) await admin("files", { instanceId: DB, path: "/root/pre.sh" }, "DELETE");
    const run = await plugin(WITH_SCRIPTS);
    expect(run).toMatchObject({ status: "Success", exitCode: 0 });
    expect(run.output).toMatch(warning);
    expect(run.output).toMatch(/\[level="warning"\]/);
    expect(run.output).not.toMatch(/pre-script .* exited/);
    expect(await tagsOf(run.group!)).toEqual(["FsConsistent:True"]);
  });

  it("takes a crash-consistent group (no tag) with neither scripts nor freeze, and a VSS one on Windows via RunBatScript", async () => {
    await snapshotRole("snap", DB);
    const bare = await plugin('-RamRoleName="snap",-EnableFsFreeze=false');
    expect(bare.exitCode).toBe(0);
    expect(await tagsOf(bare.group!)).toEqual([]);

    await snapshotRole("win", WIN);
    // cmd.exe keeps the apostrophe literal and strips the double quotes.
    const win = await plugin('-RamRoleName="win",-Description="Bob\'s server",-EnableWriters=true', { win: true });
    expect(win).toMatchObject({ status: "Success", exitCode: 0 });
    expect(await tagsOf(win.group!)).toEqual(["APPConsistent:True"]);
    // What the real agent does to an unescaped quoted value on Windows: Go keeps the space inside the
    // quotes, shlex then takes the apostrophe as an open quote, fails, and drops the rest.
    expect(win.argv).toEqual(["-RamRoleName=win"]);
    expect((await groups()).find((g) => g.SnapshotGroupId === win.group).Description).toBe("");
  });

  type Case = [code: number, why: string, setup: () => Promise<unknown>, params: string, opts?: { instanceId?: string; win?: boolean; raw?: string }];
  const cases: Case[] = [
    [2, "an unknown parameter", () => snapshotRole("snap", DB), '-RamRoleName="snap",-Bogus=1'],
    [2, "a non-boolean flag", () => snapshotRole("snap", DB), '-RamRoleName="snap",-InstantAccess=maybe'],
    [2, "a Windows-only parameter on Linux", () => snapshotRole("snap", DB), '-RamRoleName="snap",-EnableWriters=true'],
    [2, "a stray word (an unquoted list split on its comma)", () => snapshotRole("snap", DB), '-RamRoleName="snap",-ExcludeDiskId=d-1,d-2'],
    [1, "no RAM role on the instance", async () => undefined, '-RamRoleName="snap"'],
    [1, "the Linux plugin on a Windows instance", () => snapshotRole("win", WIN), "", { raw: "acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-RamRoleName=win", win: true }],
    [1, "an invalid group name", () => snapshotRole("snap", DB), '-RamRoleName="snap",-Name="x"'],
    [13, "a role other than the instance's", () => snapshotRole("snap", DB), '-RamRoleName="other"'],
    [
      13,
      "the instance's role deleted",
      async () => {
        await snapshotRole("snap", DB);
        await ram.detachPolicyFromRole(new $Ram.DetachPolicyFromRoleRequest({ policyType: "Custom", policyName: "snap-policy", roleName: "snap" }));
        advance(3); // RAM's eventual consistency after the detach
        await ram.deleteRole(new $Ram.DeleteRoleRequest({ roleName: "snap" }));
      },
      '-RamRoleName="snap"',
    ],
    [3, "a role without the snapshot actions", () => snapshotRole("snap", DB, ["ecs:DescribeDisks"]), '-RamRoleName="snap"'],
    [
      3,
      "a role narrowed at attach time",
      async () => {
        await ram.createRole(new $Ram.CreateRoleRequest({ roleName: "snap", assumeRolePolicyDocument: TRUST_ECS }));
        await ram.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "System", policyName: "AliyunECSFullAccess", roleName: "snap" }));
        await ecs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "snap", instanceIds: JSON.stringify([DB]), policy: policyOf(["ecs:Describe*"]) }));
      },
      '-RamRoleName="snap"',
    ],
    [3, "no ESSD disk", async () => (await admin("instances", { instanceId: "i-hdd", disks: [{ category: "cloud_efficiency" }] }), snapshotRole("snap", "i-hdd")), '-RamRoleName="snap"', { instanceId: "i-hdd" }],
    [1, "a network file system", async () => (await admin("instances", { instanceId: "i-nfs", disks: [{ category: "cloud_essd" }, { category: "cloud_essd", fileSystem: "nfs" }] }), snapshotRole("snap", "i-nfs")), '-RamRoleName="snap"', { instanceId: "i-nfs" }],
    [1, "an unsupported file system", async () => (await admin("instances", { instanceId: "i-btrfs", disks: [{ category: "cloud_essd", fileSystem: "btrfs" }] }), snapshotRole("snap", "i-btrfs")), '-RamRoleName="snap"', { instanceId: "i-btrfs" }],
    [1, "a selected disk that is not ESSD", async () => (await admin("instances", { instanceId: "i-mixed", disks: [{ category: "cloud_essd" }, { category: "cloud_efficiency" }] }), snapshotRole("snap", "i-mixed")), '-RamRoleName="snap"', { instanceId: "i-mixed" }],
    [9, "a failing pre-script", async () => (await snapshotRole("snap", DB), scripts({ exitCode: 1 })), WITH_SCRIPTS],
    [14, "the snapshot quota spent", async () => (await snapshotRole("snap", DB), admin("settings", { snapshotQuota: 1 })), '-RamRoleName="snap"'],
    [4, "CreateSnapshotGroup refusing the retention days", () => snapshotRole("snap", DB), '-RamRoleName="snap",-InstantAccess=true,-InstantAccessRentationDays=70000'],
  ];

  it.each(cases)("exits %i on %s, and takes no snapshot", async (code, _why, setup, params, opts) => {
    await setup();
    const before = (await groups()).length;
    const run = await plugin(params, opts);
    expect(run).toMatchObject({ status: "Failed", exitCode: code, errorCode: "ExitCodeNonzero" });
    expect(run.output).toMatch(/\[level="error"\]\[time=[^"\]]+\]\[message=".+"\]/);
    expect(run.group).toBeUndefined();
    expect(await groups()).toHaveLength(before);
  });

  it("explains the cause in its output", async () => {
    await snapshotRole("snap", DB);
    // With a separator other than the comma, the list reaches the plugin whole.
    const all = (await state()).instances[0].disks.map((d: any) => d.DiskId).join(",");
    const excluded = await plugin(`-RamRoleName=snap;-ExcludeDiskId=${all}`, { separator: ";" });
    expect(excluded.argv).toEqual(["-RamRoleName=snap", `-ExcludeDiskId=${all}`]);
    expect(excluded.output).toContain("All attached ESSD Disks were excluded");
    expect((await plugin('-RamRoleName="other"')).output).toContain("RAM role other is not authorized on this instance (its role is snap)");
  });

  it("lets a snapshot follow another at once: ESSD-family snapshots are instantly available (no exit 16)", async () => {
    await snapshotRole("snap", DB);
    await ecs.createSnapshotGroup(new $Ecs.CreateSnapshotGroupRequest({ regionId: REGION, instanceId: DB }));
    expect((await plugin('-RamRoleName="snap"')).exitCode).toBe(0);
  });

  it.each([234, 240, 247])("answers acs-plugin-manager's own exit code %i with its failure line; the plugin never runs", async (code) => {
    await snapshotRole("snap", DB);
    await admin("instance", { instanceId: DB, pluginManagerExitCode: code });
    const run = await plugin('-RamRoleName="snap"');
    expect(run).toMatchObject({ status: "Failed", exitCode: code });
    expect(run.output).toMatch(/^ExecutePlugin [A-Z_]+: .+\n$/);
    expect(run.argv).toEqual([]);
    expect(await groups()).toEqual([]);
  });

  it("exits 10 when the post-script fails, after the group was taken (the output names it)", async () => {
    await snapshotRole("snap", DB);
    await scripts({}, { exitCode: 2 });
    const run = await plugin(WITH_SCRIPTS);
    expect(run).toMatchObject({ status: "Failed", exitCode: 10 });
    expect(run.output).toMatch(/\[level="error"\].*\[message="the post-script \/root\/post.sh exited 2"\]/);
    const named = /snapshot group (ssg-[0-9a-f]+) created/.exec(run.output)?.[1];
    expect((await groups()).map((g) => g.SnapshotGroupId)).toEqual([named]);
  });

  it.each([4, 5, 6, 7, 8, 11, 12, 15, 16, 255])("ends with a drill's forced exit code %i", async (code) => {
    await snapshotRole("snap", DB);
    await admin("instance", { instanceId: DB, forcedExitCode: code });
    const run = await plugin('-RamRoleName="snap"');
    expect(run).toMatchObject({ status: "Failed", exitCode: code });
    expect(run.output).toContain("forced by the emulator's admin API");
    expect(await groups()).toEqual([]);
  });

  it("applies a run's effects when it starts: a script placed after RunCommand but before the start counts", async () => {
    await snapshotRole("snap", DB);
    await admin("files", { instanceId: DB, path: "/root/post.sh" });
    const invokeId = await runCommand(DB, `acs-plugin-manager --exec --plugin app-snapshot-plugin --params='${WITH_SCRIPTS}'`);
    await admin("files", { instanceId: DB, path: "/root/pre.sh", exitCode: 7 });
    advance(1);
    // Started: the effects are there (here, the pre-script failed), though the run is not over.
    expect(await result(invokeId)).toMatchObject({ invocationStatus: "Running" });
    advance(5);
    expect(await result(invokeId)).toMatchObject({ invocationStatus: "Failed", exitCode: 9 });
  });
});

describe("admin", () => {
  it("refuses impossible settings and instance changes, and says what is allowed", async () => {
    await expect(admin("settings", { snapshotQuota: "many" })).rejects.toThrow(/400 InvalidParameter Setting snapshotQuota takes a number/);
    await expect(admin("settings", { sparkle: true })).rejects.toThrow(/Unknown setting sparkle; settings are region, invocationDeliverySeconds/);
    await expect(admin("instance", { instanceId: DB, forcedExitCode: 0 })).rejects.toThrow(/forcedExitCode is a whole number from 1 to 255/);
    await expect(admin("instance", { instanceId: "i-nope", agentInstalled: false })).rejects.toThrow(/404 InvalidInstanceId.NotFound/);
    await expect(admin("files", { instanceId: DB, path: "relative.sh" })).rejects.toThrow(/path must be absolute/);
    await expect(admin("files", { instanceId: DB, path: "/root/x.sh", mode: "rwx" })).rejects.toThrow(/mode is octal permission digits/);
    expect(await admin("settings", { invocationSeconds: 2 })).toMatchObject({ invocationSeconds: 2, snapshotGroupSeconds: 30 });
    await emu.admin.reset();
    expect(await emu.admin.request("alicloud/settings")).toMatchObject({ invocationSeconds: 5 });
  });
});

describe("with a fast clock", () => {
  const fastFixture = useEmulator({ timeScale: 200 });
  let fast: RunningEmulator;
  beforeAll(() => {
    fast = fastFixture.emu;
  });

  it("runs the plugin and the group to the end in real time, polled through the SDK", async () => {
    const c = new $OpenApiUtil.Config({ ...config(), endpoint: `127.0.0.1:${fast.port}` });
    const [fastEcs, fastRam] = [new Ecs(c), new Ram(c)];
    await fastRam.createRole(new $Ram.CreateRoleRequest({ roleName: "snap", assumeRolePolicyDocument: TRUST_ECS }));
    await fastRam.createPolicy(new $Ram.CreatePolicyRequest({ policyName: "snap-policy", policyDocument: policyOf(SNAPSHOT_ACTIONS) }));
    await fastRam.attachPolicyToRole(new $Ram.AttachPolicyToRoleRequest({ policyType: "Custom", policyName: "snap-policy", roleName: "snap" }));
    await fastEcs.attachInstanceRamRole(new $Ecs.AttachInstanceRamRoleRequest({ regionId: REGION, ramRoleName: "snap", instanceIds: JSON.stringify([DB]) }));
    const content = Buffer.from(`acs-plugin-manager --exec --plugin app-snapshot-plugin --params='-RamRoleName="snap"'`).toString("base64");
    const invokeId = (await fastEcs.runCommand(new $Ecs.RunCommandRequest({ regionId: REGION, type: "RunShellScript", commandContent: content, contentEncoding: "Base64", instanceId: [DB], timeout: 600 }))).body!.invokeId!;
    const poll = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<{ value: T; polls: number }> => {
      for (let polls = 1; ; polls++) {
        const value = await read();
        if (done(value)) return { value, polls };
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const finished = await poll(
      async () => (await fastEcs.describeInvocationResults(new $Ecs.DescribeInvocationResultsRequest({ regionId: REGION, invokeId }))).body!.invocation!.invocationResults!.invocationResult![0],
      (r) => !["Pending", "Running"].includes(r.invocationStatus!),
    );
    expect(finished.value).toMatchObject({ invocationStatus: "Success", exitCode: 0 });
    const groupId = /snapshotgroup="(ssg-[0-9a-f]+)"/.exec(Buffer.from(finished.value.output!, "base64").toString())![1];
    const accomplished = await poll(
      async () => (await fastEcs.describeSnapshotGroups(new $Ecs.DescribeSnapshotGroupsRequest({ regionId: REGION, snapshotGroupId: [groupId] }))).body!.snapshotGroups!.snapshotGroup![0],
      (g) => g.status !== "progressing",
    );
    expect(accomplished.value.status).toBe("accomplished");
    expect(accomplished.value.snapshots?.snapshot?.every((s) => s.tags?.tag?.some((t) => t.key === "FsConsistent" && t.value === "True"))).toBe(true);
    // Every poll was one call; nothing else was sent.
    const calls = await fast.admin.calls({ cloud: "alicloud" });
    expect(calls.filter((x) => x.action === "DescribeInvocationResults")).toHaveLength(finished.polls);
    expect(calls.filter((x) => x.action === "DescribeSnapshotGroups")).toHaveLength(accomplished.polls);
    expect(calls.filter((x) => x.status !== 200)).toEqual([]);
  });
});
