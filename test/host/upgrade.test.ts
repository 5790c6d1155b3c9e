// Upgrade safety: refresh and destroy run the provider stored in state, which loads the *installed*
// package. State written by every earlier release (test/host/fixtures/state-v*.json, one per release,
// never edited) must still refresh, diff clean and destroy with the current code, through the host.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { type Host, serializeProvider, startEmulatorHost, urnOf } from "./harness";

const dir = path.join(__dirname, "fixtures");
const fixtures = readdirSync(dir).filter((f) => /^state-v[\d.]+\.json$/.test(f));

let emu: RunningEmulator;
let host: Host;

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 200 });
  host = await startEmulatorHost(emu, ["volcengine", "alicloud"]);
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});

describe.each(fixtures)("state written by %s", (file) => {
  const fixture = JSON.parse(readFileSync(path.join(dir, file), "utf8"));

  it("refreshes, diffs clean against the current check, and destroys with the current code", async () => {
    // A live instance and image for the old state to point at.
    const current = await serializeProvider("dist/provider/index.js", "spotInstanceProvider");
    const urn = urnOf("SpotInstance", "web");
    const live = await host.create(urn, (await host.check(urn, {}, { ...stripOutputs(fixture.spotInstance), __provider: current })).inputs);
    const old = JSON.parse(JSON.stringify(fixture.spotInstance).split("{{INSTANCE_ID}}").join(live.id));

    const refreshed = await host.read(live.id, urn, old);
    expect(refreshed.id).toBe(live.id);
    expect(refreshed.properties.__provider).toBe(fixture.spotInstance.__provider);
    expect(refreshed.properties).toMatchObject({ instanceId: live.id, status: "RUNNING" });

    // The program (current code) declares the same inputs: nothing to do.
    const news = (await host.check(urn, stripOutputs(old), { ...stripOutputs(old), __provider: current })).inputs;
    expect((await host.diff(live.id, urn, refreshed.properties, news)).changes).toBe("none");

    const iurn = urnOf("RecoveryImage", "baseline");
    const currentImage = await serializeProvider("dist/provider/index.js", "recoveryImageProvider");
    const img = await host.create(iurn, (await host.check(iurn, {}, { ...stripOutputs(fixture.recoveryImage), instanceId: live.id, __provider: currentImage })).inputs);
    const oldImg = JSON.parse(
      JSON.stringify(fixture.recoveryImage)
        .split("{{IMAGE_ID}}")
        .join(img.id)
        .split("{{INSTANCE_ID}}")
        .join(live.id)
        .split("{{POINT_ID}}")
        .join(String(img.properties.snapshotGroupId)),
    );
    expect((await host.read(img.id, iurn, oldImg)).id).toBe(img.id);

    await host.delete(img.id, iurn, oldImg);
    await host.delete(live.id, urn, refreshed.properties);
    const state = await emu.admin.volcengine.state();
    expect(state.instances.filter((i) => i.Status !== "DELETING")).toEqual([]);
    expect(state.images).toEqual([]);
  });

  it.skipIf(!fixture.snapshotRole)("Alibaba resources: refresh, diff clean and destroy with the current code", async () => {
    const [roleNow, groupNow] = await Promise.all([
      serializeProvider("dist/provider/index.js", "snapshotRoleProvider"),
      serializeProvider("dist/provider/index.js", "consistentSnapshotGroupProvider"),
    ]);
    const rurn = urnOf("SnapshotRole", "snap");
    const roleInputs = pick(fixture.snapshotRole, ["roleName", "policyName", "description", "instanceIds", "region"]);
    const role = await host.create(rurn, (await host.check(rurn, {}, { ...roleInputs, __provider: roleNow })).inputs);
    const refreshedRole = await host.read(role.id, rurn, fixture.snapshotRole);
    expect(refreshedRole.id).toBe(fixture.snapshotRole.roleName);
    expect((await host.diff(role.id, rurn, refreshedRole.properties, (await host.check(rurn, roleInputs, { ...roleInputs, __provider: roleNow })).inputs)).changes).toBe("none");

    const gurn = urnOf("ConsistentSnapshotGroup", "db");
    const groupInputs = pick(fixture.consistentSnapshotGroup, ["instanceId", "osType", "ramRoleName", "name", "__identity"]);
    const live = await host.create(gurn, (await host.check(gurn, {}, { ...groupInputs, __provider: groupNow })).inputs);
    const old = JSON.parse(JSON.stringify(fixture.consistentSnapshotGroup).split("{{SNAPSHOT_GROUP_ID}}").join(live.id));
    const refreshed = await host.read(live.id, gurn, old);
    expect(refreshed.properties).toMatchObject({ snapshotGroupId: live.id, status: "accomplished" });
    expect((await host.diff(live.id, gurn, refreshed.properties, (await host.check(gurn, groupInputs, { ...groupInputs, __provider: groupNow })).inputs)).changes).toBe("none");

    await host.delete(live.id, gurn, refreshed.properties);
    await host.delete(role.id, rurn, refreshedRole.properties);
    const state = await emu.admin.request("alicloud/state");
    expect([state.roles, state.policies, state.snapshotGroups]).toEqual([[], [], []]);
  });
});

function pick(o: Record<string, any>, keys: string[]): Record<string, any> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** The inputs part of an old output bag (what a program declared). */
function stripOutputs(props: Record<string, any>): Record<string, any> {
  const image = "imageName" in props;
  const outputs = image
    ? ["imageId", "status", "size", "osType", "platform", "createdAt", "snapshotGroupId", "dataSnapshots", "lineOrigin", "sourceInstanceId", "latestImageId", "imageIds", "count", "__provider"]
    : ["instanceId", "status", "vpcId", "privateIpAddress", "createdAt", "interruptionScheduled", "interruptionEventId", "releaseAt", "clientToken", "recoveredFrom", "launchedFromImageId", "origin", "hookCommandId", "placement", "__provider"];
  return Object.fromEntries(Object.entries(props).filter(([k]) => !outputs.includes(k)));
}
