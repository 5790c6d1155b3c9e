// SnapshotRole and ConsistentSnapshotGroup through Pulumi's dynamic-provider host over gRPC, with the
// credentials only in Configure (as secret stack config).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { type Host, serializeProvider, startEmulatorHost, urnOf } from "./harness";

let emu: RunningEmulator;
let host: Host;
let roleProvider: string;
let groupProvider: string;
let policyProvider: string;
let autoProvider: string;

function assertNoCredential(where: string, value: unknown) {
  const text = JSON.stringify(value);
  expect(text, where).not.toContain(emu.credentials.secretKey);
  expect(text, where).not.toContain(emu.credentials.accessKeyId);
}

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 100 });
  [roleProvider, groupProvider, policyProvider, autoProvider] = await Promise.all([
    serializeProvider("dist/provider/index.js", "snapshotRoleProvider"),
    serializeProvider("dist/provider/index.js", "consistentSnapshotGroupProvider"),
    serializeProvider("dist/provider/index.js", "consistentSnapshotPolicyProvider"),
    serializeProvider("dist/provider/index.js", "alicloudAutoSnapshotPolicyProvider"),
  ]);
  host = await startEmulatorHost(emu, ["alicloud"]);
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});

describe("Alibaba Cloud resources through the dynamic-provider host", () => {
  it("role, then an application-consistent group, then both deleted", async () => {
    for (const text of [roleProvider, groupProvider]) {
      assertNoCredential("serialized provider", text);
      expect(text).toContain("pulumi-recovery/dist/provider/runtime");
    }
    const rurn = urnOf("SnapshotRole", "snap");
    const role = await host.create(rurn, (await host.check(rurn, {}, { roleName: "snap", instanceIds: ["i-emu-db-linux"], __provider: roleProvider })).inputs);
    expect(role.properties).toMatchObject({ roleName: "snap", attachedInstanceIds: ["i-emu-db-linux"] });

    await emu.admin.request("alicloud/files", "POST", { instanceId: "i-emu-db-linux", path: "/root/pre.sh", owner: "root", mode: "700" });
    await emu.admin.request("alicloud/files", "POST", { instanceId: "i-emu-db-linux", path: "/root/post.sh", owner: "root", mode: "700" });
    const gurn = urnOf("ConsistentSnapshotGroup", "db");
    const bad = await host.check(gurn, {}, { instanceId: "i-emu-db-linux", ramRoleName: "snap", preScriptPath: "/root/pre.sh", __provider: groupProvider });
    expect(bad.failures).toEqual([{ property: "postScriptPath", reason: expect.stringMatching(/both or neither/) }]);
    const { inputs } = await host.check(gurn, {}, { instanceId: "i-emu-db-linux", ramRoleName: "snap", name: "db", preScriptPath: "/root/pre.sh", postScriptPath: "/root/post.sh", __provider: groupProvider });
    const g = await host.create(gurn, inputs);
    expect(g.properties).toMatchObject({ consistency: "application", status: "accomplished" });
    assertNoCredential("outputs", [role.properties, g.properties]);
    expect((await host.diff(g.id, gurn, g.properties, inputs)).changes).toBe("none");
    expect((await host.read(g.id, gurn, g.properties)).id).toBe(g.id);

    await host.delete(g.id, gurn, g.properties);
    await host.delete(role.id, rurn, role.properties);
    const state = await emu.admin.request("alicloud/state");
    expect([state.roles, state.policies, state.snapshotGroups]).toEqual([[], [], []]);
    assertNoCredential("host output", host.output());
  });

  it("ConsistentSnapshotPolicy: a bad schedule refused at preview, create, schedule changed in place, delete stops it", async () => {
    assertNoCredential("serialized provider", policyProvider);
    const rurn = urnOf("SnapshotRole", "snap2");
    const role = await host.create(rurn, (await host.check(rurn, {}, { roleName: "snap2", instanceIds: ["i-emu-db-linux"], __provider: roleProvider })).inputs);
    const urn = urnOf("ConsistentSnapshotPolicy", "db-nightly");
    const news = { instanceId: "i-emu-db-linux", ramRoleName: "snap2", name: "db-nightly", schedule: "0 0 2 * * ?", keepLast: 7, __provider: policyProvider };
    const bad = await host.check(urn, {}, news);
    expect(bad.failures).toEqual([{ property: "schedule", reason: expect.stringMatching(/names no time zone.*Asia\/Shanghai/) }]);
    const { inputs } = await host.check(urn, {}, { ...news, schedule: "0 0 2 * * ? Asia/Shanghai" });
    const p = await host.create(urn, inputs);
    expect(p.id).toMatch(/^t-/);
    expect(p.properties).toMatchObject({ invocationId: p.id, groupCount: 0, status: "Scheduled" });
    assertNoCredential("outputs", p.properties);

    const changed = (await host.check(urn, p.properties, { ...news, schedule: "rate(12h)", keepLast: 3 })).inputs;
    const d = await host.diff(p.id, urn, p.properties, changed);
    expect(d.changes).toBe("some");
    expect(d.replaces ?? []).toEqual([]);
    const u = await host.update(p.id, urn, p.properties, changed);
    expect(u.properties).toMatchObject({ invocationId: p.id, schedule: "rate(12h)", keepLast: 3 });
    const inv = (await emu.admin.request("alicloud/state")).invocations.find((i: any) => i.InvokeId === p.id);
    expect(inv.InvocationStatus).toBe("Scheduled");

    await host.delete(p.id, urn, u.properties);
    expect((await emu.admin.request("alicloud/state")).invocations.find((i: any) => i.InvokeId === p.id).InvocationStatus).toBe("Stopped");
    expect((await host.read(p.id, urn, u.properties)).id).toBe("");
    await host.delete(role.id, rurn, role.properties);
    assertNoCredential("host output", host.output());
  });

  it("AlicloudAutoSnapshotPolicy: bad time points refused at preview, create, modify in place, delete", async () => {
    const urn = urnOf("AlicloudAutoSnapshotPolicy", "nightly");
    const disks = (await emu.admin.request("alicloud/state")).instances.find((i: any) => i.InstanceId === "i-emu-db-linux").disks.map((d: any) => d.DiskId);
    const news = { name: "nightly", timePoints: [2], repeatWeekdays: [1, 3, 5], retentionDays: 7, diskIds: disks, __provider: autoProvider };
    const bad = await host.check(urn, {}, { ...news, timePoints: [24], repeatWeekdays: [0] });
    expect(bad.failures?.map((f: any) => f.property)).toEqual(["timePoints[0]", "repeatWeekdays[0]"]);
    const p = await host.create(urn, (await host.check(urn, {}, news)).inputs);
    expect(p.properties).toMatchObject({ autoSnapshotPolicyId: p.id, status: "Normal", appliedDiskIds: [...disks].sort() });
    const changed = (await host.check(urn, p.properties, { ...news, retentionDays: -1 })).inputs;
    const u = await host.update(p.id, urn, p.properties, changed);
    expect(u.properties.retentionDays).toBe(-1);
    await host.delete(p.id, urn, u.properties);
    expect((await emu.admin.request("alicloud/state")).instances.length).toBeGreaterThan(0);
    expect((await host.read(p.id, urn, u.properties)).id).toBe("");
    assertNoCredential("host output", host.output());
  });
});
