// SnapshotRole and ConsistentSnapshotGroup through Pulumi's dynamic-provider host over gRPC, with the
// credentials only in Configure (as secret stack config).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { secret, serializeProvider, startHost, urnOf, type Host } from "./harness";

let emu: RunningEmulator;
let host: Host;
let roleProvider: string;
let groupProvider: string;

function assertNoCredential(where: string, value: unknown) {
  const text = JSON.stringify(value);
  expect(text, where).not.toContain(emu.credentials.secretKey);
  expect(text, where).not.toContain(emu.credentials.accessKeyId);
}

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 100 });
  [roleProvider, groupProvider] = await Promise.all([
    serializeProvider("dist/provider/index.js", "snapshotRoleProvider"),
    serializeProvider("dist/provider/index.js", "consistentSnapshotGroupProvider"),
  ]);
  host = await startHost({
    env: { ALIBABA_CLOUD_ACCESS_KEY_ID: undefined, ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined, ALIBABA_CLOUD_ECS_ENDPOINT: undefined, ALIBABA_CLOUD_RAM_ENDPOINT: undefined, ALIBABA_CLOUD_REGION: undefined, PULUMI_RECOVERY_POLL_MS: "20" },
  });
  await host.configure({
    "alicloud:region": "cn-hangzhou",
    "alicloud:ecsEndpoint": emu.url,
    "alicloud:ramEndpoint": emu.url,
    "alicloud:accessKey": secret(emu.credentials.accessKeyId),
    "alicloud:secretKey": secret(emu.credentials.secretKey),
  });
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
});
