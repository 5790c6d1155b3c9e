// SnapshotRole and ConsistentSnapshotGroup provider objects (called directly, connection from env vars)
// through the real @alicloud SDKs over HTTP to the emulator's ECS, RAM and Cloud Assistant.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { consistentSnapshotGroupProvider, snapshotRoleProvider } from "../../provider";
import { AlicloudClient } from "../../provider/alicloud/client";
import { ECS_TRUST_POLICY } from "../../provider/alicloud/snapshotRole";
import { useEmulator } from "../support/emulator";

const fixture = useEmulator({ timeScale: 100 });
let emu: RunningEmulator;
const DB = "i-emu-db-linux";
const WIN = "i-emu-app-windows";

beforeAll(() => {
  emu = fixture.emu;
});

const admin = (path: string, body: unknown) => emu.admin.request(`alicloud/${path}`, "POST", body);
const state = () => emu.admin.request("alicloud/state");

async function role(name = "snap", instanceIds = [DB, WIN]) {
  const { inputs, failures } = await snapshotRoleProvider.check!({}, { roleName: name, instanceIds });
  expect(failures ?? []).toEqual([]);
  return snapshotRoleProvider.create(inputs!);
}

async function group(news: Record<string, unknown>) {
  const { inputs, failures } = await consistentSnapshotGroupProvider.check!({}, { instanceId: DB, ramRoleName: "snap", name: "db-backup", __identity: "test/dev/db", ...news });
  expect(failures ?? []).toEqual([]);
  return consistentSnapshotGroupProvider.create(inputs!);
}

async function scripts(instanceId = DB, pre: Partial<{ owner: string; mode: string; exitCode: number }> = {}, post: Partial<{ owner: string; mode: string; exitCode: number }> = {}) {
  await admin("files", { instanceId, path: "/root/pre.sh", content: "#!/bin/sh\nmysql -e 'FLUSH TABLES WITH READ LOCK'", ...pre });
  await admin("files", { instanceId, path: "/root/post.sh", content: "#!/bin/sh\nmysql -e 'UNLOCK TABLES'", ...post });
}
const withScripts = { preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh" };

describe("SnapshotRole", () => {
  it("creates the role, the least-privilege policy and the instance attachments, and deletes them in order", async () => {
    const r = await role();
    expect(r.outs).toMatchObject({ roleName: "snap", policyName: "snap-snapshot", attachedPolicies: ["snap-snapshot"], attachedInstanceIds: [DB, WIN] });
    const s = await state();
    const policy = JSON.parse(s.policies[0].PolicyDocument);
    expect(policy.Statement[0].Action).toEqual(["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"]);
    expect(JSON.parse(s.roles[0].AssumeRolePolicyDocument).Statement[0].Principal.Service).toEqual(["ecs.aliyuncs.com"]);

    const fewer = (await snapshotRoleProvider.check!({}, { roleName: "snap", instanceIds: [DB] })).inputs!;
    expect((await snapshotRoleProvider.diff!("snap", r.outs, fewer)).replaces).toEqual([]);
    const u = await snapshotRoleProvider.update!("snap", r.outs, fewer);
    expect(u.outs.attachedInstanceIds).toEqual([DB]);

    await snapshotRoleProvider.delete!("snap", u.outs);
    const after = await state();
    expect(after.roles).toEqual([]);
    expect(after.policies).toEqual([]);
    expect(after.instances.every((i: any) => !i.ramRole)).toBe(true);
    expect((await snapshotRoleProvider.read!("snap", u.outs)).id).toBe("");
  });

  it("leaves nothing behind when attaching an instance fails", async () => {
    await expect(role("snap", [DB, "i-missing"])).rejects.toThrow(/SnapshotRole snap: alicloud AttachInstanceRamRole failed with InvalidInstanceId.NotFound/);
    const s = await state();
    expect([s.roles, s.policies]).toEqual([[], []]);
    expect(s.instances.find((i: any) => i.InstanceId === DB).ramRole).toBeUndefined();
  });
  it.each(["CreateRole", "CreatePolicy", "AttachPolicyToRole"])("a lost answer to %s (and a failure after it) is looked for, not repeated blindly: one role, fully set up", async (action) => {
    await emu.admin.addFault({ cloud: "alicloud", action, kind: "lose-response", count: 1 });
    await emu.admin.addFault({ cloud: "alicloud", action, kind: "5xx", count: 1 });
    const r = await role("snap", [DB]);
    expect(r.outs).toMatchObject({ attachedPolicies: ["snap-snapshot"], attachedInstanceIds: [DB] });
    const s = await state();
    expect([s.roles.map((x: any) => x.RoleName), s.policies.map((p: any) => p.PolicyName)]).toEqual([["snap"], ["snap-snapshot"]]);
    // The lost call acted; the failed one did not; the look after it found the first one's work.
    expect((await emu.admin.calls({ action })).map((c) => c.fault ?? "answered")).toEqual(["lose-response reset"]);
  });

  it("never takes a role or policy that existed before for its own work, nor deletes it when it fails", async () => {
    const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, ramEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
    await c.call("ram", "CreatePolicy", { PolicyName: "snap-snapshot", PolicyDocument: JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["ecs:DescribeDisks"], Resource: ["*"] }] }) });
    await expect(role("snap", [DB])).rejects.toThrow(/SnapshotRole snap: alicloud CreatePolicy failed with EntityAlreadyExists.Policy.*deleted again: nothing is left behind/);
    expect([(await state()).roles, (await state()).policies.map((p: any) => p.PolicyName)]).toEqual([[], ["snap-snapshot"]]);
    await c.call("ram", "CreateRole", { RoleName: "taken", AssumeRolePolicyDocument: JSON.stringify(ECS_TRUST_POLICY) });
    await expect(role("taken", [DB])).rejects.toThrow(/EntityAlreadyExists.Role: .*pick another roleName/);
    expect((await state()).roles.map((r: any) => r.RoleName)).toEqual(["taken"]);
  });
});

describe("ConsistentSnapshotGroup", () => {
  it("takes an application-consistent group with root-owned mode-700 scripts, reads it, and deletes it", async () => {
    await role();
    await scripts();
    const g = await group(withScripts);
    expect(g.id).toMatch(/^ssg-/);
    expect(g.outs).toMatchObject({ snapshotGroupId: g.id, status: "accomplished", consistency: "application" });
    expect(g.outs.snapshotIds).toHaveLength(2);
    expect(g.outs.invocationId).toMatch(/^t-/);
    expect(g.outs.consistencyNote).toBeUndefined();
    const run = (await emu.admin.calls({ action: "RunCommand" }))[0];
    expect(run.params).toMatchObject({ Type: "RunShellScript", ContentEncoding: "Base64" });
    expect((await consistentSnapshotGroupProvider.read!(g.id, g.outs)).id).toBe(g.id);
    await consistentSnapshotGroupProvider.delete!(g.id, g.outs);
    expect((await consistentSnapshotGroupProvider.read!(g.id, g.outs)).id).toBe("");
    await consistentSnapshotGroupProvider.delete!(g.id, g.outs); // already gone is fine
  });

  it("falls back to file-system consistency when the scripts are not root-owned mode 700, and says why", async () => {
    await role();
    await scripts(DB, { owner: "mysql", mode: "755" });
    const g = await group(withScripts);
    expect(g.outs.consistency).toBe("filesystem");
    expect(g.outs.consistencyNote).toMatch(/fell back to filesystem consistency: .*pre\.sh is owned by mysql with mode 755, not root 700/);
  });

  it("takes a Windows group through VSS with RunBatScript", async () => {
    await role();
    const g = await group({ instanceId: WIN, osType: "windows", name: "app-backup" });
    expect(g.outs.consistency).toBe("application");
    expect((await emu.admin.calls({ action: "RunCommand" }))[0].params.Type).toBe("RunBatScript");
  });

  it("retried after a crash, reuses the invocation instead of snapshotting twice", async () => {
    await role();
    const first = await group({});
    const again = await group({});
    expect(again.id).toBe(first.id);
    expect((await state()).snapshotGroups).toHaveLength(1);
  });

  it.each([
    [1, "no RAM role on the instance", async () => undefined, {}],
    [13, "a RAM role other than the instance's", async () => role(), { ramRoleName: "other" }],
    [3, "a role without the snapshot policy", async () => {
      const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, ramEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
      await c.call("ram", "CreateRole", { RoleName: "bare", AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }], Version: "1" }) });
      await c.call("ecs", "AttachInstanceRamRole", { RamRoleName: "bare", InstanceIds: JSON.stringify([DB]) });
    }, { ramRoleName: "bare" }],
    [9, "a failing pre-script", async () => (await role(), scripts(DB, { exitCode: 1 })), withScripts],
    [14, "the snapshot quota spent", async () => (await role(), admin("settings", { snapshotQuota: 0 })), {}],
    [1, "every ESSD disk excluded", async () => role(), { excludeDiskIds: "__ALL__" }],
  ])("maps exit code %i (%s) to what went wrong and what to do", async (code, _why, setup, extra) => {
    await setup();
    let news: Record<string, unknown> = extra;
    if (extra.excludeDiskIds === "__ALL__") news = { excludeDiskIds: (await state()).instances.find((i: any) => i.InstanceId === DB).disks.map((d: any) => d.DiskId) };
    await expect(group(news)).rejects.toThrow(new RegExp(`ConsistentSnapshotGroup db-backup: the app-snapshot plugin exited with ${code}: .* What to do: `));
    expect((await state()).snapshotGroups).toEqual([]);
  });

  it("maps a failing post-script (10), and deletes the group the plugin had already taken: a failed create leaves nothing", async () => {
    await role();
    await scripts(DB, {}, { exitCode: 2 });
    await expect(group(withScripts)).rejects.toThrow(/ConsistentSnapshotGroup db-backup: the app-snapshot plugin exited with 10: .* What to do: .*The snapshot group ssg-\w+ it made first was deleted/s);
    expect((await state()).snapshotGroups).toEqual([]);
    expect(await emu.admin.calls({ action: "DeleteSnapshotGroup" })).toHaveLength(1);
  });

  it("maps the previous snapshot still being created (16)", async () => {
    await role();
    const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
    await admin("settings", { snapshotGroupSeconds: 100000 });
    // Without instant access, the earlier snapshots stay unusable until done, and block the next ones.
    await c.call("ecs", "CreateSnapshotGroup", { InstanceId: DB, ClientToken: "earlier" });
    await expect(group({ instantAccess: true })).rejects.toThrow(/exited with 16: the previous snapshot is still being created/);
  });

  it.each([4, 5, 6, 7, 8, 11, 12, 15, 255])("explains exit code %i", async (code) => {
    await role();
    await admin("instance", { instanceId: DB, forcedExitCode: code });
    await expect(group({})).rejects.toThrow(new RegExp(`exited with ${code}: .+What to do: `));
  });

  it("says when Cloud Assistant cannot run the plugin at all", async () => {
    await role();
    await admin("instance", { instanceId: DB, agentInstalled: false });
    await expect(group({})).rejects.toThrow(/Cloud Assistant could not run the plugin on i-emu-db-linux: ClientNotRunning.*agent/);
  });

  it("stops a hung invocation and says the file systems may still be frozen", async () => {
    await role();
    await admin("instance", { instanceId: DB, hangInvocations: true });
    await expect(group({ timeouts: { create: "2s" } })).rejects.toThrow(/stopped.*fsfreeze -u/);
    expect(await emu.admin.calls({ action: "StopInvocation" })).toHaveLength(1);
  });

  it("fails fast and cleans up when the group ends in failed", async () => {
    await role();
    await admin("settings", { failSnapshotGroups: true });
    await expect(group({})).rejects.toThrow(/status failed.*deleted: nothing is left behind/);
    expect((await state()).snapshotGroups).toEqual([]);
  });

  it("takes a RunCommand near its 24 KB content limit through the SDK (parameters travel in the URL)", async () => {
    const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
    const script = `echo ${"x".repeat(17_000)}`; // 17 KB → ~23 KB base64
    const res = await c.call("ecs", "RunCommand", { Type: "RunShellScript", CommandContent: Buffer.from(script).toString("base64"), ContentEncoding: "Base64", InstanceId: [DB], ClientToken: "big" });
    expect(res.InvokeId).toMatch(/^t-/);
  });

  it("rejects a bad signature as the cloud does", async () => {
    const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: "not-the-secret" });
    await expect(c.call("ecs", "DescribeDisks", {})).rejects.toMatchObject({ code: "SignatureDoesNotMatch", httpStatus: 400 });
  });

  it("retries throttled reads and surfaces a hint-bearing error otherwise", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "DescribeInvocationResults", kind: "throttle", count: 2 });
    const g = await group({});
    expect(g.outs.status).toBe("accomplished");
    expect((await emu.admin.calls({ action: "DescribeInvocationResults" })).filter((c) => c.fault)).toHaveLength(2);
  });
  it("a destroy followed by an up takes a new group: the old invocation, whose group is gone, is history", async () => {
    await role();
    const first = await group({});
    await consistentSnapshotGroupProvider.delete!(first.id, first.outs);
    const second = await group({});
    expect(second.id).not.toBe(first.id);
    expect((await state()).snapshotGroups.map((g: any) => g.SnapshotGroupId)).toEqual([second.id]);
    expect(await emu.admin.calls({ action: "RunCommand" })).toHaveLength(2);
  });

  it("a RunCommand whose answer is lost is found by its create token: one invocation, one group", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "RunCommand", kind: "lose-response", count: 1 });
    const g = await group({});
    const s = await state();
    expect([s.invocations.length, s.snapshotGroups.map((x: any) => x.SnapshotGroupId)]).toEqual([1, [g.id]]);
    expect(s.invocations[0]).toMatchObject({ InvocationStatus: "Success" });
  });

  it("a create whose every RunCommand was cut off says the invocation may exist, without quoting the request", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "RunCommand", kind: "drop" });
    const err = (await group(withScripts).catch((e) => e)) as Error;
    expect(err.message).toMatch(/ConsistentSnapshotGroup db-backup: .*socket hang up: the connection failed before an answer arrived; the app-snapshot invocation on i-emu-db-linux may exist/);
    expect(err.message).not.toMatch(/http:|CommandContent|acs-plugin-manager/);
    expect((await state()).invocations).toEqual([]);
  });
});
