// AutoSnapshotPolicy and a scheduled RecoveryImage through Pulumi's own dynamic-provider host, driven over
// gRPC as the engine drives them (Configure with secret credentials, Check, Diff, Create, Read, Update,
// Delete), the providers serialized from the compiled package as `new dynamic.Resource` does.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { type Host, serializeProvider, startEmulatorHost, urnOf } from "./harness";

let emu: RunningEmulator;
let host: Host;
let spotProvider: string;
let policyProvider: string;
let imageProvider: string;

const spot = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  instanceName: "host-db",
  dataVolumes: [{ size: 20 }],
  __identity: "host-test/dev/db",
};

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 200 });
  [spotProvider, policyProvider, imageProvider] = await Promise.all([
    serializeProvider("dist/provider/index.js", "spotInstanceProvider"),
    serializeProvider("dist/provider/index.js", "autoSnapshotPolicyProvider"),
    serializeProvider("dist/provider/index.js", "recoveryImageProvider"),
  ]);
  host = await startEmulatorHost(emu, ["volcengine"]);
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});
beforeEach(() => emu.admin.reset());

const noCredential = (value: unknown) => {
  const text = JSON.stringify(value);
  expect(text).not.toContain(emu.credentials.secretKey);
  expect(text).not.toContain(emu.credentials.accessKeyId);
};

describe("AutoSnapshotPolicy through the dynamic-provider host", () => {
  it("refuses a bad schedule at check, then runs the whole lifecycle with credentials only from Configure", async () => {
    noCredential(policyProvider);
    expect(policyProvider).toContain("pulumi-recovery/dist/provider/runtime");
    const surn = urnOf("SpotInstance", "db");
    const inst = await host.create(surn, (await host.check(surn, {}, { ...spot, __provider: spotProvider })).inputs);

    const urn = urnOf("AutoSnapshotPolicy", "nightly");
    const base = { name: "nightly", timePoints: [1, 13], repeatWeekdays: [1, 3, 5], retentionDays: 7, instanceIds: [inst.id], __identity: "host-test/dev/nightly", __provider: policyProvider };
    const bad = await host.check(urn, {}, { ...base, timePoints: [25], repeatDays: 2 });
    expect(bad.failures.map((f) => f.property).sort()).toEqual(["repeatDays", "timePoints[0]"]);
    expect(bad.failures.find((f) => f.property === "repeatDays")!.reason).toMatch(/set only one of repeatWeekdays .* and repeatDays .*: remove one/);

    const { inputs, failures } = await host.check(urn, {}, base);
    expect(failures).toEqual([]);
    const created = await host.create(urn, inputs);
    expect(created.id).toMatch(/^asp-/);
    expect(created.properties).toMatchObject({ policyId: created.id, volumeCount: 2, timePoints: [1, 13] });
    noCredential(created.properties);
    expect((await host.diff(created.id, urn, created.properties, inputs)).changes).toBe("none");

    const longer = (await host.check(urn, inputs, { ...base, retentionDays: 30 })).inputs;
    expect(await host.diff(created.id, urn, created.properties, longer)).toMatchObject({ changes: "some", replaces: [] });
    const updated = await host.update(created.id, urn, created.properties, longer);
    expect(updated.properties.retentionDays).toBe(30);
    const moved = (await host.check(urn, inputs, { ...base, projectName: "other" })).inputs;
    expect((await host.diff(created.id, urn, updated.properties, moved)).replaces).toEqual(["projectName"]);

    const read = await host.read(created.id, urn, updated.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties.__provider).toBe(policyProvider);
    await host.delete(created.id, urn, read.properties);
    expect((await emu.admin.volcengine.state()).autoSnapshotPolicies).toEqual([]);
    await host.delete(inst.id, surn, inst.properties);
    noCredential(host.output());
  });
});

describe("a scheduled RecoveryImage through the dynamic-provider host", () => {
  it("creates under a schedule id, reads back, retags in place, and deletes every image", async () => {
    const surn = urnOf("SpotInstance", "db");
    const inst = await host.create(surn, (await host.check(surn, {}, { ...spot, __provider: spotProvider })).inputs);
    const urn = urnOf("RecoveryImage", "nightly");
    const base = { instanceId: inst.id, imageName: "nightly", imageEvery: "6h", keepImages: 2, __identity: "host-test/dev/nightly-image", __provider: imageProvider };
    const { inputs } = await host.check(urn, {}, base);
    const created = await host.create(urn, inputs);
    expect(created.id).toMatch(/^schedule-/);
    expect(created.properties).toMatchObject({ count: 1, imageIds: [created.properties.imageId], latestImageId: created.properties.imageId });
    expect((await host.read(created.id, urn, created.properties)).id).toBe(created.id);
    const more = (await host.check(urn, inputs, { ...base, keepImages: 5 })).inputs;
    expect(await host.diff(created.id, urn, created.properties, more)).toMatchObject({ changes: "some", replaces: [] });
    const updated = await host.update(created.id, urn, created.properties, more);
    expect(updated.properties.keepImages).toBe(5);
    await host.delete(created.id, urn, updated.properties);
    expect((await emu.admin.volcengine.state()).images).toEqual([]);
    await host.delete(inst.id, surn, inst.properties);
  });
});
