// SnapshotRole and ConsistentSnapshotGroup provider objects (called directly, connection from env vars)
// through the real @alicloud SDKs over HTTP to the emulator's ECS, RAM and Cloud Assistant. The emulated
// clock is frozen and moves 5 s per API request, so every wait (the plugin's run, the group's progress,
// RAM's consistency window) ends after a fixed number of polls on any machine.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { consistentSnapshotGroupProvider, snapshotRoleProvider } from "../../provider";
import { AlicloudClient } from "../../provider/alicloud/client";
import { TOKEN_TAG } from "../../provider/core/tokens";
import { useEmulator } from "../support/emulator";

const fixture = useEmulator({ clock: { frozen: true, stepPerRequestMs: 5000 } });
let emu: RunningEmulator;
const DB = "i-emu-db-linux";
const WIN = "i-emu-app-windows";

beforeAll(() => {
  emu = fixture.emu;
});
afterEach(() => vi.restoreAllMocks());

const admin = (path: string, body: unknown) => emu.admin.request(`alicloud/${path}`, "POST", body);
const state = () => emu.admin.request("alicloud/state");
const client = () => new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, ramEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
const TRUST_ECS = JSON.stringify({ Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }], Version: "1" });

async function checked(provider: typeof snapshotRoleProvider, news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const { inputs, failures } = await provider.check!(olds, news);
  expect(failures ?? []).toEqual([]);
  return inputs!;
}

async function role(name = "snap", instanceIds = [DB, WIN], extra: Record<string, unknown> = {}) {
  return snapshotRoleProvider.create(await checked(snapshotRoleProvider, { roleName: name, instanceIds, __identity: `test/dev/${name}`, ...extra }));
}

const groupNews = (news: Record<string, unknown>) => ({ instanceId: DB, ramRoleName: "snap", name: "db-backup", __identity: "test/dev/db", ...news });
async function group(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  return consistentSnapshotGroupProvider.create(await checked(consistentSnapshotGroupProvider, groupNews(news), olds));
}

async function scripts(instanceId = DB, pre: Partial<{ owner: string; mode: string; exitCode: number }> = {}, post: Partial<{ owner: string; mode: string; exitCode: number }> = {}) {
  await admin("files", { instanceId, path: "/root/pre.sh", content: "#!/bin/sh\nmysql -e 'FLUSH TABLES WITH READ LOCK'", ...pre });
  await admin("files", { instanceId, path: "/root/post.sh", content: "#!/bin/sh\nmysql -e 'UNLOCK TABLES'", ...post });
}
const withScripts = { preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh" };
/** The argument list the plugin received in the last run (recorded by the emulated acs-plugin-manager). */
const lastArgv = async () => (await state()).invocations.at(-1).results[0].pluginArgv as string[];

describe("SnapshotRole", () => {
  it("creates the role, the least-privilege policy and the instance attachments, and deletes them in order", async () => {
    await admin("settings", { ramDetachLagSeconds: 30 }); // RAM still refuses the deletes for 30 s after the detach
    const r = await role();
    expect(r.outs).toMatchObject({ roleName: "snap", policyName: "snap-snapshot", attachedPolicies: ["snap-snapshot"], attachedInstanceIds: [DB, WIN], roleCreated: true, policyCreated: true });
    const s = await state();
    const policy = JSON.parse(s.policies[0].PolicyDocument);
    expect(policy.Statement[0].Action).toEqual(["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"]);
    expect(JSON.parse(s.roles[0].AssumeRolePolicyDocument).Statement[0].Principal.Service).toEqual(["ecs.aliyuncs.com"]);
    // Both carry the create token: a retried create knows them as its own.
    expect(s.roles[0].tags.map((t: any) => t.Key)).toEqual([TOKEN_TAG]);
    expect(s.policies[0].tags).toEqual(s.roles[0].tags);

    const fewer = await checked(snapshotRoleProvider, { roleName: "snap", instanceIds: [DB] }, r.outs);
    const d = await snapshotRoleProvider.diff!("snap", r.outs, fewer);
    expect([d.replaces, d.deleteBeforeReplace]).toEqual([[], true]);
    const u = await snapshotRoleProvider.update!("snap", r.outs, fewer);
    expect(u.outs).toMatchObject({ attachedInstanceIds: [DB], roleCreated: true });

    await snapshotRoleProvider.delete!("snap", u.outs);
    const after = await state();
    expect([after.roles, after.policies]).toEqual([[], []]);
    expect(after.instances.every((i: any) => !i.ramRole)).toBe(true);
    // RAM's consistency window: the deletes right after the detach conflicted, and were retried.
    const deletes = (await emu.admin.calls({ cloud: "alicloud" })).filter((c) => c.action === "DeletePolicy" || c.action === "DeleteRole");
    expect(deletes.filter((c) => c.status === 409).map((c) => c.code)).toContain("DeleteConflict.Policy.Role");
    expect(deletes.filter((c) => c.status === 200).map((c) => c.action)).toEqual(["DeletePolicy", "DeleteRole"]);
    expect((await snapshotRoleProvider.read!("snap", u.outs)).id).toBe("");
  });

  it.each([12, 55])("attached to %i instances, detaches every one (DescribeInstanceRamRole pages: 10 by default, at most 50) and deletes cleanly", async (n) => {
    const ids = Array.from({ length: n }, (_, i) => `i-fleet-${String(i).padStart(2, "0")}`);
    for (const id of ids) await admin("instances", { instanceId: id, osType: "linux" });
    const r = await role("fleet", ids);
    expect(r.outs.attachedInstanceIds).toHaveLength(n);
    await snapshotRoleProvider.delete!("fleet", r.outs);
    const s = await state();
    expect([s.roles, s.policies]).toEqual([[], []]);
    expect(s.instances.filter((i: any) => i.ramRole)).toEqual([]);
    // Every page was read: pages of 50 (the API's maximum), the last one short.
    const pages = (await emu.admin.calls({ action: "DescribeInstanceRamRole" })).map((c) => c.params.PageNumber);
    expect(pages).toContain(String(Math.ceil(n / 50)));
  });

  it("leaves nothing behind when attaching an instance fails", async () => {
    await expect(role("snap", [DB, "i-missing"])).rejects.toThrow(/SnapshotRole snap: alicloud AttachInstanceRamRole failed with InvalidInstanceId.NotFound/);
    const s = await state();
    expect([s.roles, s.policies]).toEqual([[], []]);
    expect(s.instances.find((i: any) => i.InstanceId === DB).ramRole).toBeUndefined();
  });

  it("never takes over, nor deletes, a policy it did not create that has the generated name", async () => {
    await client().call("ram", "CreatePolicy", { PolicyName: "snap-snapshot", PolicyDocument: JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["ecs:*"], Resource: ["*"] }] }) });
    await expect(role()).rejects.toThrow(/a RAM policy named snap-snapshot exists already and was not created by this resource: set policyName/);
    const s = await state();
    expect(s.policies.map((p: any) => p.PolicyName)).toEqual(["snap-snapshot"]);
    expect(s.roles).toEqual([]); // the role this create made is gone again
    expect(s.instances.filter((i: any) => i.ramRole)).toEqual([]);
  });

  it("refuses a role of the same name it did not create, and adopts it when asked (adoptRoleName), leaving it on delete", async () => {
    await client().call("ram", "CreateRole", { RoleName: "shared", AssumeRolePolicyDocument: TRUST_ECS, Description: "made by hand" });
    await expect(role("shared", [DB])).rejects.toThrow(/a RAM role named shared exists already .*adoptRoleName: "shared"/);
    expect((await state()).roles.map((r: any) => r.RoleName)).toEqual(["shared"]);

    const adopted = await snapshotRoleProvider.create(await checked(snapshotRoleProvider, { roleName: "shared", adoptRoleName: "shared", instanceIds: [DB], __identity: "test/dev/shared" }));
    expect(adopted.outs).toMatchObject({ roleName: "shared", roleCreated: false, policyCreated: true, attachedPolicies: ["shared-snapshot"], attachedInstanceIds: [DB] });
    await snapshotRoleProvider.delete!("shared", adopted.outs);
    const s = await state();
    expect(s.roles.map((r: any) => [r.RoleName, r.Description, r.policies])).toEqual([["shared", "made by hand", []]]);
    expect(s.policies).toEqual([]);
    expect(s.instances.filter((i: any) => i.ramRole)).toEqual([]);
  });

  it("refuses to adopt a role ECS cannot assume", async () => {
    await client().call("ram", "CreateRole", { RoleName: "fc", AssumeRolePolicyDocument: TRUST_ECS.replace("ecs.aliyuncs.com", "fc.aliyuncs.com") });
    await expect(role("fc", [DB], { adoptRoleName: "fc" })).rejects.toThrow(/adoptRoleName fc: the role's trust policy does not let ecs.aliyuncs.com assume it/);
    expect((await state()).policies).toEqual([]);
  });

  it.each(["CreateRole", "CreatePolicy", "AttachPolicyToRole"])("a lost answer to %s, then a failure of the same call, ends in one role fully set up", async (action) => {
    await emu.admin.addFault({ cloud: "alicloud", action, kind: "lose-response", count: 1 });
    await emu.admin.addFault({ cloud: "alicloud", action, kind: "5xx", count: 1 });
    const r = await role("snap", [DB]);
    expect(r.outs).toMatchObject({ attachedPolicies: ["snap-snapshot"], attachedInstanceIds: [DB] });
    const s = await state();
    expect([s.roles.map((x: any) => x.RoleName), s.policies.map((p: any) => p.PolicyName)]).toEqual([["snap"], ["snap-snapshot"]]);
  });

  it("adopts what an earlier attempt made when CreateRole's answer was lost", async () => {
    await emu.admin.addFault({ cloud: "alicloud", action: "CreateRole", kind: "lose-response", count: 1 });
    const r = await role("snap", [DB]);
    expect(r.outs.roleCreated).toBe(true);
    expect((await state()).roles).toHaveLength(1);
    expect((await emu.admin.calls({ action: "CreateRole" })).length).toBe(1);
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
    expect(run.params).toMatchObject({ Type: "RunShellScript", ContentEncoding: "Base64", "Tag.1.Key": TOKEN_TAG });
    expect(await lastArgv()).toEqual(["-RamRoleName=snap", "-Name=db-backup", "-EnableFsFreeze=true", "-PreScriptPath=/root/pre.sh", "-PostScriptPath=/root/post.sh"]);
    expect((await consistentSnapshotGroupProvider.read!(g.id, g.outs)).id).toBe(g.id);
    await consistentSnapshotGroupProvider.delete!(g.id, g.outs);
    expect((await consistentSnapshotGroupProvider.read!(g.id, g.outs)).id).toBe("");
    await consistentSnapshotGroupProvider.delete!(g.id, g.outs); // already gone is fine
  });

  it("carries a comma in the description and two excluded disks to the plugin intact", async () => {
    await admin("instances", { instanceId: "i-four", osType: "linux", disks: [{ diskId: "d-sys" }, { diskId: "d-a" }, { diskId: "d-b", category: "cloud_auto" }, { diskId: "d-c" }] });
    await role("snap", ["i-four"]);
    const description = `nightly, before the batch: "orders" & 100% of 'ledger' \\ $HOME`;
    const g = await group({ instanceId: "i-four", description, excludeDiskIds: ["d-a", "d-c"] });
    expect(await lastArgv()).toEqual(["-RamRoleName=snap", "-Name=db-backup", `-Description=${description}`, "-ExcludeDiskId=d-a,d-c", "-EnableFsFreeze=true"]);
    const made = (await state()).snapshotGroups.find((x: any) => x.SnapshotGroupId === g.id);
    expect([made.Description, made.snapshots.map((s: any) => s.SourceDiskId)]).toEqual([description, ["d-sys", "d-b"]]);
  });

  it("takes a Windows group through VSS with RunBatScript, its description intact through cmd.exe", async () => {
    await role();
    const description = `app "server", 50% & <done> ^ C:\\data\\`;
    const g = await group({ instanceId: WIN, osType: "windows", name: "app-backup", description });
    expect(g.outs.consistency).toBe("application");
    expect((await emu.admin.calls({ action: "RunCommand" }))[0].params.Type).toBe("RunBatScript");
    expect(await lastArgv()).toEqual(["-RamRoleName=snap", "-Name=app-backup", `-Description=${description}`, "-EnableWriters=true"]);
  });

  it("falls back to file-system consistency when the scripts are not root-owned mode 700, and says why", async () => {
    await role();
    await scripts(DB, { owner: "mysql", mode: "755" });
    const g = await group(withScripts);
    expect(g.outs.consistency).toBe("filesystem");
    expect(g.outs.consistencyNote).toMatch(/fell back to filesystem consistency: .*pre\.sh is owned by mysql with mode 755, not root 700/);
  });

  it("retried after a crash, adopts the earlier run (found by its token tag) instead of snapshotting twice", async () => {
    await role();
    const first = await group({});
    const again = await group({});
    expect(again.id).toBe(first.id);
    expect((await state()).snapshotGroups).toHaveLength(1);
    expect(await emu.admin.calls({ action: "RunCommand" })).toHaveLength(1);
  });

  it("adopts the run whose RunCommand answer was lost", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "RunCommand", kind: "lose-response", count: 1 });
    const g = await group({});
    expect(g.outs.status).toBe("accomplished");
    expect((await state()).invocations).toHaveLength(1);
  });

  it("makes a new group on a replacement with identical inputs (up --replace), and deleting the old one leaves it", async () => {
    await role();
    const old = await group({});
    const replacement = await group({}, old.outs);
    expect(replacement.id).not.toBe(old.id);
    await consistentSnapshotGroupProvider.delete!(old.id, old.outs);
    expect((await state()).snapshotGroups.map((g: any) => g.SnapshotGroupId)).toEqual([replacement.id]);
    expect((await consistentSnapshotGroupProvider.read!(replacement.id, replacement.outs)).id).toBe(replacement.id);
  });

  it("a create whose every RunCommand was cut off says the run may exist, without quoting the request", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "RunCommand", kind: "drop" });
    const err = (await group(withScripts).catch((e) => e)) as Error;
    expect(err.message).toMatch(/ConsistentSnapshotGroup db-backup: .*socket hang up: the connection failed before an answer arrived.* may exist/);
    expect(err.message).not.toMatch(/http:|CommandContent|acs-plugin-manager/);
    expect((await state()).invocations).toEqual([]);
  });

  it("re-creates after an out-of-band delete: a run whose group is gone is not adopted", async () => {
    await role();
    const first = await group({});
    await client().call("ecs", "DeleteSnapshotGroup", { SnapshotGroupId: first.id });
    expect((await consistentSnapshotGroupProvider.read!(first.id, first.outs)).id).toBe("");
    const again = await group({});
    expect(again.id).not.toBe(first.id);
    expect(again.outs.status).toBe("accomplished");
  });

  it("warns about the deprecated instant-access inputs and makes them a precondition of nothing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await role();
    const g = await group({ instantAccessRetentionDays: 2 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/instantAccessRetentionDays is deprecated: ESSD-family snapshots are instantly available/));
    expect(g.outs.status).toBe("accomplished");
    expect(await lastArgv()).toContain("-InstantAccessRentationDays=2");
  });

  it.each([
    [1, "no RAM role on the instance", async () => undefined, {}, /the instance has no RAM role attached/],
    [13, "a RAM role other than the instance's", async () => role(), { ramRoleName: "other" }, /RAM role other is not authorized/],
    [
      3,
      "a role without the snapshot policy",
      async () => {
        const c = client();
        await c.call("ram", "CreateRole", { RoleName: "bare", AssumeRolePolicyDocument: TRUST_ECS });
        await c.call("ecs", "AttachInstanceRamRole", { RamRoleName: "bare", InstanceIds: JSON.stringify([DB]) });
      },
      { ramRoleName: "bare" },
      /is not allowed ecs:/,
    ],
    [9, "a failing pre-script", async () => (await role(), scripts(DB, { exitCode: 1 })), withScripts, /pre-script \/root\/pre.sh exited 1/],
    [14, "the snapshot quota spent", async () => (await role(), admin("settings", { snapshotQuota: 0 })), {}, /QuotaExceed.Snapshot/],
    [1, "every ESSD disk excluded", async () => role(), { excludeDiskIds: "__ALL__" }, /All attached ESSD Disks were excluded/],
  ])("maps exit code %i (%s) to what went wrong, what to do, and the plugin's own message", async (code, _why, setup, extra, said) => {
    await setup();
    let news: Record<string, unknown> = extra;
    if (extra.excludeDiskIds === "__ALL__") news = { excludeDiskIds: (await state()).instances.find((i: any) => i.InstanceId === DB).disks.map((d: any) => d.DiskId) };
    const err = await group(news).then(() => expect.unreachable(), (e: Error) => e.message);
    expect(err).toMatch(new RegExp(`^ConsistentSnapshotGroup db-backup: the app-snapshot plugin exited with ${code}: .* What to do: .+ The plugin said: `));
    expect(err).toMatch(said);
    expect((await state()).snapshotGroups).toEqual([]);
  });

  it("maps a failing post-script (10), and deletes the group the plugin had already taken: a failed create leaves nothing", async () => {
    await role();
    await scripts(DB, {}, { exitCode: 2 });
    await expect(group(withScripts)).rejects.toThrow(/ConsistentSnapshotGroup db-backup: the app-snapshot plugin exited with 10: .* What to do: .*The snapshot group ssg-\w+ it made was deleted/s);
    expect((await state()).snapshotGroups).toEqual([]);
    expect(await emu.admin.calls({ action: "DeleteSnapshotGroup" })).toHaveLength(1);
  });

  it.each([4, 5, 6, 7, 8, 11, 12, 15, 16, 255])("explains exit code %i", async (code) => {
    await role();
    await admin("instance", { instanceId: DB, forcedExitCode: code });
    await expect(group({})).rejects.toThrow(new RegExp(`exited with ${code}: .+What to do: `));
  });

  it.each([
    [234, /PACKAGE_NOT_FOUND/],
    [240, /DOWNLOAD_FAIL.*downloaded on first use/],
    [247, /EXECUTE_TIMEOUT_ERR/],
  ])("says acs-plugin-manager's own exit code %i means the plugin never ran", async (code, what) => {
    await role();
    await admin("instance", { instanceId: DB, pluginManagerExitCode: code });
    const err = await group({}).then(() => expect.unreachable(), (e: Error) => e.message);
    expect(err).toMatch(new RegExp(`acs-plugin-manager exited with ${code} \\(\\w+\\): .+the app-snapshot plugin never ran\\. What to do: `));
    expect(err).toMatch(what);
    expect(err).toMatch(/The plugin said: [A-Z_]+: /);
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

  it("reports a snapshot DeleteSnapshotGroup kept (an image uses it) instead of leaving it silently", async () => {
    await role();
    const g = await group({});
    await admin("snapshot", { snapshotId: g.outs.snapshotIds[1], usedByImage: "m-golden" });
    await expect(consistentSnapshotGroupProvider.delete!(g.id, g.outs)).rejects.toThrow(new RegExp(`left 1 snapshot\\(s\\) in place: ${g.outs.snapshotIds[1]} \\(SnapshotCreatedImage: .*What to do: delete what uses them`));
    expect((await state()).snapshotGroups.map((x: any) => x.snapshots.length)).toEqual([1]);
  });

  it("retries throttled reads and surfaces a hint-bearing error otherwise", async () => {
    await role();
    await emu.admin.addFault({ cloud: "alicloud", action: "DescribeInvocationResults", kind: "throttle", count: 2 });
    const g = await group({});
    expect(g.outs.status).toBe("accomplished");
    expect((await emu.admin.calls({ action: "DescribeInvocationResults" })).filter((c) => c.fault)).toHaveLength(2);
  });

  it("rejects a bad signature as the cloud does", async () => {
    const c = new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: "not-the-secret" });
    await expect(c.call("ecs", "DescribeDisks", {})).rejects.toMatchObject({ code: "SignatureDoesNotMatch", httpStatus: 400 });
  });
});
