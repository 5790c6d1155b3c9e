// The emulator's Volcengine API through the real @volcengine/openapi SDK (via our one client): the
// gateway (signatures per service name, envelope, codes), and every behaviour API-NOTES' "Corrections"
// section lists, each asserted here so a later change cannot quietly drift back to our old beliefs.
import { describe, expect, it } from "vitest";
import type { CloudError } from "../../provider/core/errors";
import { VolcengineClient } from "../../provider/volcengine/client";
import { findInterruptions } from "../../provider/volcengine/events";
import { listInstances } from "../../provider/volcengine/instances";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator({ clock: { frozen: true } });
const client = (secretKey = ctx.emu.credentials.secretKey, accessKeyId = ctx.emu.credentials.accessKeyId) =>
  new VolcengineClient({ region: "cn-beijing", endpoint: ctx.emu.url, accessKeyId, secretKey }, { retry: { maxAttempts: 1 } });
const run = (extra: Record<string, unknown> = {}) => ({
  ZoneId: "cn-beijing-a",
  ImageId: "image-ubuntu2204-emu",
  InstanceTypeId: "ecs.g3il.large",
  InstanceName: "api",
  SpotStrategy: "SpotAsPriceGo",
  NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
  ...extra,
});
const code = (p: Promise<unknown>) => p.then(() => "ok", (e: CloudError) => e.code);
const advance = (s: number) => ctx.emu.admin.advanceClock(s);

async function launch(c: VolcengineClient, extra: Record<string, unknown> = {}): Promise<string> {
  const { InstanceIds } = await c.ecs("RunInstances", run(extra));
  await advance(60);
  return InstanceIds[0];
}

describe("the Volcengine gateway", () => {
  it("rejects a wrong secret and an unknown key; answers an unknown action or service as the gateway does", async () => {
    expect(await code(client("wrong-secret").ecs("DescribeInstances"))).toBe("SignatureDoesNotMatch");
    expect(await code(client(undefined, "nobody").ecs("DescribeInstances"))).toBe("InvalidAccessKey");
    expect(await code(client().ecs("NoSuchAction"))).toBe("InvalidActionOrVersion");
    // storage_ebs is its own service: an ECS action signed for it is unknown there.
    expect(await code(client().ebs("DescribeInstances"))).toBe("InvalidActionOrVersion");
  });

  it("validates RunInstances as documented", async () => {
    const c = client();
    expect(await code(c.ecs("RunInstances", run({ ImageId: undefined })))).toBe("MissingParameter");
    expect(await code(c.ecs("RunInstances", run({ SpotPriceLimit: 0.5 })))).toBe("InvalidParameter");
    expect(await code(c.ecs("RunInstances", run({ SpotStrategy: "SpotWithPriceLimit", SpotPriceLimit: 0.01 })))).toBe("InsufficientInstanceStock");
    expect(await code(c.ecs("RunInstances", run({ ClientToken: "x".repeat(65) })))).toBe("InvalidClientToken.Malformed");
    expect(await code(c.ecs("RunInstances", run({ DryRun: true })))).toBe("DryRunOperation");
    expect(await code(c.ecs("RunInstances", run({ ZoneId: "cn-beijing-b" })))).toBe("InvalidParameter"); // subnet in another zone
    expect(await code(c.ecs("RunInstances", run({ Volumes: [{ VolumeType: "ESSD_PL3", Size: 40 }] })))).toBe("InvalidParameter");
    expect(await code(c.ecs("RunInstances", run({ Volumes: [{ VolumeType: "ESSD_PL0", Size: 10 }] })))).toBe("InvalidParameter"); // smaller than the image
    expect(await code(c.ecs("RunInstances", run({ UserData: Buffer.alloc(16 * 1024 + 1).toString("base64") })))).toBe("InvalidParameter");
    expect((await ctx.emu.admin.volcengine.state()).instances).toEqual([]);
  });

  it("answers a repeated ClientToken with the first result, and a changed request with IdempotentParameterMismatch", async () => {
    const c = client();
    const a = await c.ecs("RunInstances", run({ ClientToken: "tok-1" }));
    expect(await c.ecs("RunInstances", run({ ClientToken: "tok-1" }))).toEqual(a);
    expect(await code(c.ecs("RunInstances", run({ ClientToken: "tok-1", InstanceName: "other" })))).toBe("IdempotentParameterMismatch");
    expect((await ctx.emu.admin.volcengine.state()).instances).toHaveLength(1);
  });

  it("pages DescribeInstances (default 10, at most 100) and filters by tag; an unknown id is an empty list", async () => {
    const c = client();
    await c.ecs("RunInstances", run({ Count: 30, ClientToken: "many", Tags: [{ Key: "team", Value: "a" }] }));
    await c.ecs("RunInstances", run({ Count: 5, ClientToken: "few" }));
    expect((await c.ecs("DescribeInstances")).Instances).toHaveLength(10);
    const first = await c.ecs("DescribeInstances", { MaxResults: 20 });
    expect(first.Instances).toHaveLength(20);
    expect(first.NextToken).toBeTruthy();
    expect(await code(c.ecs("DescribeInstances", { MaxResults: 101 }))).toBe("InvalidParameter");
    expect(await listInstances(c, { tagKey: "team", tagValues: ["a"] })).toHaveLength(30);
    expect(await listInstances(c, {})).toHaveLength(35);
    expect((await c.ecs("DescribeInstances", { InstanceIds: ["i-doesnotexist"] })).Instances).toEqual([]);
    expect(await code(c.ecs("DescribeInstances", { TagFilters: [{ Key: "team", Values: ["a", "b", "c", "d"] }] }))).toBe("InvalidParameter"); // ≤ 3 values a key
  });
});

describe("as the real API behaves (API-NOTES, Corrections)", () => {
  it("DescribeInstances Volumes[] carries only VolumeId; kind, type, size and DeleteWithInstance come from storage_ebs DescribeVolumes, paged by number", async () => {
    const c = client();
    const id = await launch(c, { Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_FlexPL", Size: 100, DeleteWithInstance: "false" }] });
    const inst = (await c.ecs("DescribeInstances", { InstanceIds: [id] })).Instances[0];
    expect(inst.Volumes.every((v: object) => Object.keys(v).join() === "VolumeId")).toBe(true);
    const vols = await c.ebs("DescribeVolumes", { InstanceId: id, PageNumber: 1, PageSize: 10 });
    expect(vols).toMatchObject({ TotalCount: 2, PageNumber: 1, PageSize: 10 });
    expect(vols.Volumes.map((v: any) => [v.Kind, v.VolumeType, v.Size, v.DeleteWithInstance])).toEqual([
      ["system", "ESSD_PL0", "40", true],
      ["data", "ESSD_FlexPL", "100", false],
    ]);
  });

  it("DescribeImages without Status.N lists only available images: a new image is found only by asking for its status", async () => {
    const c = client();
    const id = await launch(c);
    const { ImageId } = await c.ecs("CreateImage", { InstanceId: id, ImageName: "img" });
    expect((await c.ecs("DescribeImages", { ImageIds: [ImageId] })).Images).toEqual([]);
    expect((await c.ecs("DescribeImages", { ImageIds: [ImageId], Status: ["creating"] })).Images[0].Status).toBe("creating");
    await advance(3600);
    expect((await c.ecs("DescribeImages", { ImageIds: [ImageId] })).Images[0].Status).toBe("available");
  });

  it("CreateImage of an instance carries the system disk only; whole-instance images are not enabled on an ordinary account", async () => {
    const c = client();
    const id = await launch(c, { Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20 }] });
    await ctx.emu.admin.volcengine.writeFile({ instanceId: id, path: "/etc/sys", content: "system" });
    await ctx.emu.admin.volcengine.writeFile({ instanceId: id, path: "/data/d", content: "data", volume: 1 });
    const { ImageId } = await c.ecs("CreateImage", { InstanceId: id, ImageName: "img" });
    await advance(3600);
    expect(await ctx.emu.admin.volcengine.imageFiles(ImageId)).toEqual({ "/etc/sys": "system" });
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "whole", CreateWholeImage: true }))).toBe("OperationDenied.WholeImage");
  });

  it("takes exactly one of InstanceId, SnapshotId and SnapshotGroupId; an image of a system snapshot carries that disk", async () => {
    const c = client();
    const id = await launch(c);
    await ctx.emu.admin.volcengine.writeFile({ instanceId: id, path: "/etc/sys", content: "at snapshot" });
    const vols = (await c.ebs("DescribeVolumes", { InstanceId: id })).Volumes;
    const { SnapshotId } = await c.ebs("CreateSnapshot", { VolumeId: vols[0].VolumeId, SnapshotName: "s" });
    expect(await code(c.ecs("CreateImage", { InstanceId: id, SnapshotId, ImageName: "two" }))).toBe("InvalidParameter");
    await advance(3600);
    const { ImageId } = await c.ecs("CreateImage", { SnapshotId, ImageName: "from-snap" });
    await advance(3600);
    const img = (await c.ecs("DescribeImages", { ImageIds: [ImageId] })).Images[0];
    expect(img.Snapshots).toEqual([{ SnapshotId, VolumeKind: "system", Size: 40 }]);
    expect(await ctx.emu.admin.volcengine.imageFiles(ImageId)).toEqual({ "/etc/sys": "at snapshot" });
  });

  it("a snapshot group covers every volume consistently, and RunInstances restores data volumes from Volumes.N.SnapshotId", async () => {
    const c = client();
    const id = await launch(c, { Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20 }] });
    await ctx.emu.admin.volcengine.writeFile({ instanceId: id, path: "/data/d", content: "kept", volume: 1 });
    const vols = (await c.ebs("DescribeVolumes", { InstanceId: id })).Volumes.map((v: any) => v.VolumeId);
    const { SnapshotGroupId } = await c.ebs("CreateSnapshotGroup", { InstanceId: id, VolumeIds: vols, Name: "g", ClientToken: "grp-1" });
    expect((await c.ebs("CreateSnapshotGroup", { InstanceId: id, VolumeIds: vols, Name: "g", ClientToken: "grp-1" })).SnapshotGroupId).toBe(SnapshotGroupId);
    expect((await c.ebs("DescribeSnapshotGroups", { SnapshotGroupIds: [SnapshotGroupId] })).SnapshotGroups[0].Status).toBe("creating");
    await advance(3600);
    const group = (await c.ebs("DescribeSnapshotGroups", { SnapshotGroupIds: [SnapshotGroupId] })).SnapshotGroups[0];
    expect(group.Status).toBe("available");
    const data = group.Snapshots.find((s: any) => s.VolumeKind === "data");
    const { InstanceIds } = await c.ecs("RunInstances", run({ Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20, SnapshotId: data.SnapshotId }] }));
    expect(await ctx.emu.admin.volcengine.files(InstanceIds[0], 1)).toEqual({ "/data/d": "kept" });
  });

  it("incremental snapshots: the second takes the base time plus what changed, not the whole disk", async () => {
    const c = client();
    const id = await launch(c, { Volumes: [{ VolumeType: "ESSD_PL0", Size: 1000 }] });
    await ctx.emu.admin.volcengine.changeRate({ instanceId: id, changeGiBPerHour: 2 });
    const [vol] = (await c.ebs("DescribeVolumes", { InstanceId: id })).Volumes;
    const ready = async () => {
      const { SnapshotId } = await c.ebs("CreateSnapshot", { VolumeId: vol.VolumeId, SnapshotName: "s" });
      const s = (await ctx.emu.admin.volcengine.state()).snapshots.find((x: any) => x.SnapshotId === SnapshotId);
      return (s.readyAt - s.createdAt) / 1000;
    };
    expect(await ready()).toBe(10 + 1000 * 2); // the first copies everything
    await advance(3600); // an hour at 2 GiB/h
    expect(await ready()).toBe(10 + 2 * 2);
  });

  it("an instance on PTSSD disks must be stopped before CreateImage (ESSD need not be)", async () => {
    const c = client();
    const id = await launch(c, { Volumes: [{ VolumeType: "PTSSD", Size: 40 }] });
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "img" }))).toBe("InvalidInstanceStatus");
    await c.ecs("StopInstance", { InstanceId: id });
    await advance(60);
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "img" }))).toBe("ok");
  });

  it("a region holds at most 50 custom images", async () => {
    const c = client();
    await ctx.emu.admin.volcengine.settings({ customImageQuota: 2 });
    const id = await launch(c);
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "a" }))).toBe("ok");
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "b" }))).toBe("ok");
    expect(await code(c.ecs("CreateImage", { InstanceId: id, ImageName: "c" }))).toBe("QuotaExceeded.Image");
    expect((await ctx.emu.admin.volcengine.settings()).customImageQuota).toBe(2);
  });

  it("at most 20 tags, none with a volc:/sys: key; instances carry a tag of the cloud's own; CreateTags answers per resource", async () => {
    const c = client();
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(await code(c.ecs("RunInstances", run({ Tags: tags(21) })))).toBe("InvalidParameter");
    expect(await code(c.ecs("RunInstances", run({ Tags: [{ Key: "volc:mine", Value: "x" }] })))).toBe("InvalidParameter");
    const id = await launch(c, { Tags: tags(19) });
    const inst = (await c.ecs("DescribeInstances", { InstanceIds: [id] })).Instances[0];
    expect(inst.Tags.some((t: any) => t.Key.startsWith("volc:"))).toBe(true);
    const res = await c.ecs("CreateTags", { ResourceType: "instance", ResourceIds: [id, "i-gone"], Tags: tags(2).map((t) => ({ ...t, Key: `${t.Key}-new` })) });
    expect(res.OperationDetails.map((d: any) => [d.ResourceId, d.Error?.Code])).toEqual([
      [id, "InvalidParameter"], // 19 + 2 > 20
      ["i-gone", "InvalidInstance.NotFound"],
    ]);
    const described = await c.ecs("DescribeTags", { ResourceType: "instance", ResourceIds: [id], MaxResults: 100 });
    expect(described.TagResources[0]).toEqual({ ResourceId: id, ResourceType: "instance", TagKey: "k0", TagValue: "v" });
  });

  it("spot interruptions: only the API's spelling, Category ResourceEvent, ExtraInfo an object", async () => {
    const c = client();
    const id = await launch(c);
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: id });
    const [e] = (await c.ecs("DescribeSystemEvents", { ResourceIds: [id] })).SystemEvents;
    expect(e).toMatchObject({ Type: "SpotInstanceInterruption_Delete", Status: "Scheduled", Category: "ResourceEvent" });
    expect(typeof e.ExtraInfo).toBe("object");
    expect((await findInterruptions(c, [id])).map((i) => i.instanceId)).toEqual([id]);
    expect((await ctx.emu.admin.calls({ action: "DescribeSystemEvents" })).at(-1)!.params).toMatchObject({ "Types.1": "SpotInstanceInterruption_Delete" });
    expect(await code(c.ecs("DescribeSystemEvents", { Status: Array(11).fill("Scheduled") }))).toBe("InvalidParameter");
  });

  it("KeepImageCredential keeps a custom image's password; without it (or a key pair) the relaunch has no credential", async () => {
    const c = client();
    const id = await launch(c, { Password: "Abcdef12!" });
    const [vol] = (await c.ebs("DescribeVolumes", { InstanceId: id })).Volumes;
    const { SnapshotId } = await c.ebs("CreateSnapshot", { VolumeId: vol.VolumeId, SnapshotName: "s" });
    await advance(3600);
    const { ImageId } = await c.ecs("CreateImage", { SnapshotId, ImageName: "img" });
    await advance(3600);
    const kept = (await c.ecs("RunInstances", run({ ImageId, KeepImageCredential: true }))).InstanceIds[0];
    const none = (await c.ecs("RunInstances", run({ ImageId }))).InstanceIds[0];
    const state = (await ctx.emu.admin.volcengine.state()).instances;
    expect(state.find((i) => i.InstanceId === kept).credential).toEqual({ kind: "password" });
    expect(state.find((i) => i.InstanceId === none).credential).toEqual({ kind: "none" });
  });

  it("DescribeUserData answers the instance's base64 user data; Hostname is kept", async () => {
    const c = client();
    const UserData = Buffer.from("#!/bin/sh\necho hi").toString("base64");
    const id = await launch(c, { UserData, Hostname: "web-01" });
    expect(await c.ecs("DescribeUserData", { InstanceId: id })).toEqual({ InstanceId: id, UserData });
    expect((await c.ecs("DescribeInstances", { InstanceIds: [id] })).Instances[0].Hostname).toBe("web-01");
  });

  it("a dropped connection on a read is retried by the retry policy; a write without a ClientToken is not", async () => {
    const retrying = new VolcengineClient({ region: "cn-beijing", endpoint: ctx.emu.url, accessKeyId: ctx.emu.credentials.accessKeyId, secretKey: ctx.emu.credentials.secretKey }, { retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "drop", count: 1 });
    expect((await retrying.ecs("DescribeInstances")).Instances).toEqual([]);
    expect((await ctx.emu.admin.calls({ action: "DescribeInstances" })).map((c) => c.fault ?? "answered")).toEqual(["drop", "answered"]);
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "drop", count: 1 });
    await expect(retrying.ecs("RunInstances", run())).rejects.toThrow(/RunInstances failed/);
    expect(await ctx.emu.admin.calls({ action: "RunInstances" })).toHaveLength(1);
  });
});
