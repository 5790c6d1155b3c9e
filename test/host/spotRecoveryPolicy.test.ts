// SpotRecoveryPolicy through Pulumi's dynamic-provider host over gRPC, on both clouds in one host (one
// Configure with both clouds' secret stack config): check at preview (an unknown instanceId, a policy too
// long for Alibaba's tag values), create, a clean diff, read following a recovery, update, delete.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { AlicloudClient } from "../../provider/alicloud/client";
import { AlicloudRecovery } from "../../provider/alicloud/recovery";
import { externalClock } from "../../provider/core/clock";
import { RecoveryController } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { TAGS } from "../../provider/recovery/policy";
import { type Host, serializeProvider, startEmulatorHost, UNKNOWN, urnOf } from "./harness";

let emu: RunningEmulator;
let host: Host;
let provider: string;

const client = () => new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 100 });
  provider = await serializeProvider("dist/provider/index.js", "spotRecoveryPolicyProvider");
  host = await startEmulatorHost(emu, ["volcengine", "alicloud"]);
});
afterAll(async () => {
  await host?.close();
  await emu?.close();
});

describe("SpotRecoveryPolicy through the dynamic-provider host", () => {
  it("checks at preview, creates, diffs clean, follows a recovery on read, updates in place, deletes — no credential anywhere", async () => {
    expect(provider).toContain("pulumi-recovery/dist/provider/runtime");
    expect(provider).not.toContain(emu.credentials.secretKey);
    const urn = urnOf("SpotRecoveryPolicy", "web");
    // Preview: the instance is another resource's output, unknown yet.
    const preview = await host.check(urn, {}, { cloud: "alicloud", instanceId: UNKNOWN, keepImages: 2, __provider: provider });
    expect(preview.failures).toEqual([]);
    const tooLong = await host.check(urn, {}, { cloud: "alicloud", instanceId: "i-abc", fallbacks: ["h", "i", "j"].map((z) => ({ zoneId: `cn-hangzhou-${z}`, subnetId: `vsw-emu-cn-hangzhou-${z}-with-a-long-name`, instanceTypeId: "ecs.g7.xlarge" })), __provider: provider });
    expect(tooLong.failures).toEqual([{ property: "fallbacks", reason: expect.stringMatching(/over the 128 a alicloud tag value holds: use fewer or shorter fallbacks/) }]);
    expect((await host.check(urn, {}, { cloud: "alicloud", instanceId: "i-abc", keepImage: 2, __provider: provider })).failures).toEqual([{ property: "keepImage", reason: "keepImage is not a known input; did you mean keepImages?" }]);

    const launched = await client().call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", { ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd", InstanceType: "ecs.g7.large", VSwitchId: "vsw-emu-cn-hangzhou-h", SecurityGroupIds: ["sg-emu-default"], Password: "Host-Test-Pass1", SpotStrategy: "SpotAsPriceGo", "SystemDisk.Category": "cloud_essd" });
    const id = launched.InstanceIdSets.InstanceIdSet[0];
    emu.clock.advance(60_000);
    const { inputs } = await host.check(urn, {}, { cloud: "alicloud", instanceId: id, keepImages: 2, __identity: "host/dev/web", __provider: provider });
    const made = await host.create(urn, inputs);
    expect(made).toMatchObject({ id, properties: { attachedInstanceId: id, recordedPolicy: "on=image-and-relaunch keep=2" } });
    expect((await host.diff(made.id, urn, made.properties, inputs)).changes).toBe("none");

    // The cloud reclaims it; the controller relaunches it; read (refresh) follows.
    await emu.admin.alicloud.preemption({ instanceId: id });
    const clock = externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale);
    const saved = process.env.PULUMI_RECOVERY_POLL_MS;
    process.env.PULUMI_RECOVERY_POLL_MS = "20";
    const rec = (await new RecoveryController({ cloud: new AlicloudRecovery(client(), clock), journal: new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "srp-host-")), "journal.json")), clock }).runOnce().finally(() => (process.env.PULUMI_RECOVERY_POLL_MS = saved))).recoveries[0];
    expect(rec.state).toBe("done");
    emu.clock.advance(301_000);
    const read = await host.read(made.id, urn, made.properties);
    expect(read).toMatchObject({ id: rec.replacementId, properties: { instanceId: id, attachedInstanceId: rec.replacementId, recoveredFrom: id } });
    expect((await host.diff(read.id, urn, read.properties, inputs)).changes).toBe("none");

    const { inputs: more } = await host.check(urn, read.properties, { ...inputs, keepImages: 4 });
    const d = await host.diff(read.id, urn, read.properties, more);
    expect(d).toMatchObject({ changes: "some", replaces: [] });
    const updated = await host.update(read.id, urn, read.properties, more);
    expect(updated.properties.recordedPolicy).toBe("on=image-and-relaunch keep=4");
    await host.delete(read.id, urn, updated.properties);
    const tags = (await emu.admin.alicloud.state()).instances.find((i) => i.InstanceId === rec.replacementId)!.tags.map((t: any) => t.Key);
    expect(tags).not.toContain(TAGS.policy);
    expect(tags).not.toContain(TAGS.policyOwner);
    for (const v of [made, read, updated, host.output()]) expect(JSON.stringify(v)).not.toContain(emu.credentials.secretKey);
  }, 120_000);

  it("on Volcengine from the same host (its stack config beside Alibaba's)", async () => {
    const urn = urnOf("SpotRecoveryPolicy", "volc");
    const { VolcengineClient } = await import("../../provider/volcengine/client");
    const volc = new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey });
    const { InstanceIds } = await volc.ecs<{ InstanceIds: string[] }>("RunInstances", { ZoneId: "cn-beijing-a", ImageId: "image-ubuntu2204-emu", InstanceTypeId: "ecs.g3il.large", InstanceName: "volc", SpotStrategy: "SpotAsPriceGo", ClientToken: "host-volc", NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }] });
    emu.clock.advance(60_000);
    const { inputs } = await host.check(urn, {}, { cloud: "volcengine", instanceId: InstanceIds[0], onInterruption: "image-only", __identity: "host/dev/volc", __provider: provider });
    const made = await host.create(urn, inputs);
    expect(made.properties).toMatchObject({ attachedInstanceId: InstanceIds[0], recordedPolicy: "on=image-only keep=3" });
    await host.delete(made.id, urn, made.properties);
    const inst = (await emu.admin.volcengine.state()).instances.find((i) => i.InstanceId === InstanceIds[0]);
    expect(inst.Tags.map((t: any) => t.Key)).not.toContain(TAGS.policy);
  }, 120_000);
});
