// The Volcengine resources through Pulumi's own dynamic-provider host, driven over gRPC as the engine
// drives it: Configure (stack config, secrets), Check, Diff, Create, Read, Update, Delete. The host
// gets no credentials in its environment: they arrive only through Configure, as secret config.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { type Host, type HostError, serializeProvider, startEmulatorHost, urnOf } from "./harness";

let emu: RunningEmulator;
let host: Host;
let spotProvider: string;
let imageProvider: string;

const news = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  instanceName: "host-web",
  password: "Host-Pass-123",
  __identity: "host-test/dev/web",
};
const urn = urnOf("SpotInstance", "web");

function assertNoCredential(where: string, value: unknown) {
  const text = JSON.stringify(value);
  expect(text, where).not.toContain(emu.credentials.secretKey);
  expect(text, where).not.toContain(emu.credentials.accessKeyId);
}

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 200 });
  [spotProvider, imageProvider] = await Promise.all([
    serializeProvider("dist/provider/index.js", "spotInstanceProvider"),
    serializeProvider("dist/provider/index.js", "recoveryImageProvider"),
  ]);
  host = await startEmulatorHost(emu, ["volcengine"]);
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});
beforeEach(() => emu.admin.reset());

describe("serialized providers", () => {
  it("are small shims that hold no credential, client or SDK", () => {
    for (const text of [spotProvider, imageProvider]) {
      assertNoCredential("serialized provider", text);
      expect(text).toContain("pulumi-recovery/dist/provider/runtime");
      expect(text).not.toMatch(/@volcengine\/openapi|secretKey\s*:/);
      expect(text.length).toBeLessThan(20_000);
    }
  });
});

describe("SpotInstance through the dynamic-provider host", () => {
  it("runs the whole lifecycle as the engine does, with credentials only from Configure", async () => {
    const bad = await host.check(urn, {}, { ...news, spotPriceLimit: 0.3, __provider: spotProvider });
    expect(bad.failures).toEqual([{ property: "spotPriceLimit", reason: expect.stringMatching(/applies only with spotStrategy/) }]);

    const { inputs, failures } = await host.check(urn, {}, { ...news, __provider: spotProvider });
    expect(failures).toEqual([]);
    expect(inputs.__provider).toBe(spotProvider);

    const created = await host.create(urn, inputs);
    expect(created.id).toMatch(/^i-/);
    expect(created.properties).toMatchObject({ instanceId: created.id, status: "RUNNING", interruptionScheduled: false });
    assertNoCredential("create outputs", created.properties);

    expect((await host.diff(created.id, urn, created.properties, inputs)).changes).toBe("none");

    const renamedNews = (await host.check(urn, inputs, { ...news, instanceName: "host-web-2", __provider: spotProvider })).inputs;
    const diff = await host.diff(created.id, urn, created.properties, renamedNews);
    expect(diff).toMatchObject({ changes: "some", replaces: [] });
    const updated = await host.update(created.id, urn, created.properties, renamedNews);
    expect(updated.properties.instanceName).toBe("host-web-2");

    const moved = (await host.check(urn, inputs, { ...news, zoneId: "cn-beijing-b", subnetId: "subnet-emu-cn-beijing-b", __provider: spotProvider })).inputs;
    expect((await host.diff(created.id, urn, updated.properties, moved)).replaces.sort()).toEqual(["subnetId", "zoneId"]);

    const read = await host.read(created.id, urn, updated.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties.__provider).toBe(spotProvider);
    assertNoCredential("read outputs", read.properties);

    await host.delete(created.id, urn, read.properties);
    expect((await host.read(created.id, urn, read.properties)).id).toBe("");
    assertNoCredential("host output", host.output());
  });

  it("hands the engine a partial resource when a create can neither finish nor be undone", async () => {
    await emu.admin.volcengine.settings({ instanceCreateSeconds: 400 });
    await emu.admin.addFault({ cloud: "volcengine", action: "DeleteInstance", kind: "5xx", count: 100 });
    const { inputs } = await host.check(urn, {}, { ...news, timeouts: { create: "1s", delete: "5s" }, __provider: spotProvider });
    const err = (await host.create(urn, inputs).catch((e) => e)) as HostError;
    expect(err.initFailure, err.message).toBeDefined();
    expect(err.initFailure!.id).toMatch(/^i-/);
    expect(err.initFailure!.properties.__provider).toBe(spotProvider);
    expect(err.initFailure!.reasons.join(" ")).toMatch(/timed out.*cleanup/s);
    const state = await emu.admin.volcengine.state();
    expect(state.instances.map((i) => i.InstanceId)).toEqual([err.initFailure!.id]);
  });
});

describe("RecoveryImage through the dynamic-provider host", () => {
  it("creates, reads and deletes an image of an instance", async () => {
    const inst = await host.create(urn, (await host.check(urn, {}, { ...news, __provider: spotProvider })).inputs);
    const iurn = urnOf("RecoveryImage", "baseline");
    const { inputs } = await host.check(iurn, {}, { instanceId: inst.id, imageName: "baseline", __provider: imageProvider });
    const img = await host.create(iurn, inputs);
    expect(img.properties).toMatchObject({ imageId: img.id, status: "available" });
    expect((await host.read(img.id, iurn, img.properties)).id).toBe(img.id);
    await host.delete(img.id, iurn, img.properties);
    await host.delete(inst.id, urn, inst.properties);
    const state = await emu.admin.volcengine.state();
    expect(state.images).toEqual([]);
  });
});
