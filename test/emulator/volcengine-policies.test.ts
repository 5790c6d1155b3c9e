// The emulator's automatic snapshot policies, regions and image copies, through the real SDK (our one
// client) on a frozen clock that only the test moves: a schedule fires exactly at the time points the
// test steps past, retention expires exactly the oldest, a copy takes its copy time.
import { describe, expect, it } from "vitest";
import type { CloudError } from "../../provider/core/errors";
import { VolcengineClient } from "../../provider/volcengine/client";
import { useEmulator } from "../support/emulator";

// Monday 2026-01-05 00:30 in UTC+8 (the emulator's default offset for TimePoints).
const START = Date.parse("2026-01-05T00:30:00+08:00");
const ctx = useEmulator({ clock: { frozen: true, start: START } });
const HOUR = 3_600_000;

const client = (region = "cn-beijing") => new VolcengineClient({ region, endpoint: ctx.emu.url, accessKeyId: ctx.emu.credentials.accessKeyId, secretKey: ctx.emu.credentials.secretKey }, { retry: { maxAttempts: 1 } });
const code = (p: Promise<unknown>) => p.then(() => "ok", (e: CloudError) => e.code);
const advanceMs = (ms: number) => ctx.emu.clock.advance(ms);
/** Moves the frozen clock to the next `weekday` (1 = Monday) at hh:mm in UTC+8. */
function toNext(weekday: number, hh: number, mm = 0): void {
  const now = ctx.emu.clock.now();
  const local = new Date(now + 8 * HOUR);
  const day = ((local.getUTCDay() + 6) % 7) + 1;
  let target = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hh, mm) - 8 * HOUR + ((weekday - day + 7) % 7) * 24 * HOUR;
  if (target <= now) target += 7 * 24 * HOUR;
  advanceMs(target - now);
}

async function launch(c = client(), zone = "cn-beijing-a"): Promise<{ instanceId: string; volumeIds: string[] }> {
  const { InstanceIds } = await c.ecs("RunInstances", {
    ZoneId: zone,
    ImageId: "image-ubuntu2204-emu",
    InstanceTypeId: "ecs.g3il.large",
    InstanceName: "policies",
    SpotStrategy: "SpotAsPriceGo",
    NetworkInterfaces: [{ SubnetId: `subnet-emu-${zone}`, SecurityGroupIds: ["sg-emu-default"] }],
    Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20 }],
  });
  advanceMs(60_000);
  const { Volumes } = await c.ebs("DescribeVolumes", { InstanceId: InstanceIds[0], PageNumber: 1, PageSize: 100 });
  return { instanceId: InstanceIds[0], volumeIds: Volumes.map((v: any) => v.VolumeId) };
}

/** After toNext(1, 0, 30): the ISO time `hours` after that Monday's midnight (UTC+8), as the API prints it. */
const mondayPlus = (monday: number, hours: number) => new Date(monday + hours * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
const autoSnapshots = async (c = client()) => ((await c.ebs("DescribeSnapshots", { PageNumber: 1, PageSize: 100 })).Snapshots as any[]).filter((s) => s.SnapshotType === "auto");

describe("automatic snapshot policies", () => {
  it("take a snapshot of every applied volume at each time point of the listed weekdays, and expire exactly the oldest after RetentionDays", async () => {
    const c = client();
    toNext(1, 0, 30);
    const monday = ctx.emu.clock.now() - 30 * 60_000;
    const t = (h: number) => mondayPlus(monday, h);
    const { volumeIds } = await launch(c);
    const { AutoSnapshotPolicyId: id } = await c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "nightly", TimePoints: ["1", "13"], RepeatWeekdays: ["1", "3"], RetentionDays: 2 });
    await c.ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, VolumeIds: volumeIds });
    expect(await autoSnapshots(c)).toEqual([]);

    toNext(1, 0, 59); // Monday 00:59: not yet
    expect(await autoSnapshots(c)).toEqual([]);
    advanceMs(60_000); // 01:00
    const first = await autoSnapshots(c);
    expect(first.map((s) => [s.VolumeId, s.CreationTime, s.RetentionDays])).toEqual(volumeIds.map((v) => [v, t(1), 2]));
    toNext(1, 13, 30); // 13:00 fired too
    expect((await autoSnapshots(c)).map((s) => s.CreationTime)).toEqual([t(1), t(1), t(13), t(13)]);
    toNext(2, 23, 59); // Tuesday is not a weekday of the policy
    expect(await autoSnapshots(c)).toHaveLength(4);
    // Wednesday 01:00 fires; the 2-day retention of Monday 01:00's snapshots ends then, and only theirs.
    toNext(3, 1, 0);
    const after = (await autoSnapshots(c)).map((s) => s.CreationTime);
    expect(after).toEqual([t(13), t(13), t(49), t(49)]);
    const vols = (await c.ebs("DescribeVolumes", { VolumeIds: volumeIds, PageNumber: 1, PageSize: 10 })).Volumes;
    expect(vols.map((v: any) => [v.AutoSnapshotPolicyId, v.AutoSnapshotPolicyName])).toEqual([[id, "nightly"], [id, "nightly"]]);
    const [policy] = (await c.ebs("DescribeAutoSnapshotPolicy", { AutoSnapshotPolicyIds: [id], PageNumber: 1, PageSize: 10 })).AutoSnapshotPolicies;
    expect(policy).toMatchObject({ AutoSnapshotPolicyId: id, TimePoints: ["1", "13"], RepeatWeekdays: ["1", "3"], RetentionDays: 2, VolumeNums: 2 });
  });

  it("RepeatDays fires every that many days from the policy's creation; a jump of the clock catches up every missed point", async () => {
    const c = client();
    toNext(1, 0, 30);
    const monday = ctx.emu.clock.now() - 30 * 60_000;
    const { volumeIds } = await launch(c);
    const { AutoSnapshotPolicyId: id } = await c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "every-3-days", TimePoints: ["2"], RepeatDays: 3, RetentionDays: -1 });
    await c.ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, VolumeIds: [volumeIds[0]] });
    advanceMs(10 * 24 * HOUR); // Monday 00:30 + 10 days: days 0, 3, 6, 9 at 02:00
    const snaps = await autoSnapshots(c);
    expect(snaps.map((s) => s.CreationTime)).toEqual([2, 3 * 24 + 2, 6 * 24 + 2, 9 * 24 + 2].map((h) => mondayPlus(monday, h)));
    expect(snaps.every((s) => s.RetentionDays === -1)).toBe(true);
  });

  it("Modify changes the schedule in place, Cancel stops it for a volume, Delete keeps the snapshots already taken", async () => {
    const c = client();
    toNext(1, 0, 30);
    const { volumeIds } = await launch(c);
    const { AutoSnapshotPolicyId: id } = await c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "p", TimePoints: ["1"], RepeatWeekdays: ["1"], RetentionDays: 7 });
    await c.ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, VolumeIds: volumeIds });
    await c.ebs("ModifyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, TimePoints: ["3"], AutoSnapshotPolicyName: "p2" });
    toNext(1, 2, 0);
    expect(await autoSnapshots(c)).toEqual([]); // 01:00 is no longer a time point
    await c.ebs("CancelAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, VolumeIds: [volumeIds[1]] });
    toNext(1, 4, 0);
    expect((await autoSnapshots(c)).map((s) => s.VolumeId)).toEqual([volumeIds[0]]);
    await c.ebs("DeleteAutoSnapshotPolicy", { AutoSnapshotPolicyId: id });
    expect((await c.ebs("DescribeAutoSnapshotPolicy", { PageNumber: 1, PageSize: 10 })).AutoSnapshotPolicies).toEqual([]);
    expect(await autoSnapshots(c)).toHaveLength(1);
    expect((await c.ebs("DescribeVolumes", { VolumeIds: volumeIds, PageNumber: 1, PageSize: 10 })).Volumes.map((v: any) => v.AutoSnapshotPolicyId)).toEqual(["", ""]);
  });

  it("refuses schedules outside the documented ranges, both weekdays and days, and (as a setting) deleting a policy still applied", async () => {
    const c = client();
    const create = (extra: Record<string, unknown>) => code(c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "bad", TimePoints: ["1"], RepeatWeekdays: ["1"], RetentionDays: 1, ...extra }));
    expect(await create({ TimePoints: ["24"] })).toBe("InvalidParameter");
    expect(await create({ RepeatWeekdays: ["8"] })).toBe("InvalidParameter");
    expect(await create({ RepeatWeekdays: undefined, RepeatDays: 31 })).toBe("InvalidParameter");
    expect(await create({ RepeatDays: 2 })).toBe("InvalidParameter");
    expect(await create({ RetentionDays: 0 })).toBe("InvalidParameter");
    expect(await create({ RetentionDays: 65537 })).toBe("InvalidParameter");
    expect(await create({ RetentionDays: undefined })).toBe("MissingParameter");
    expect((await ctx.emu.admin.volcengine.state()).autoSnapshotPolicies).toEqual([]);

    await ctx.emu.admin.volcengine.settings({ deleteAppliedPolicy: "refuses" });
    const { volumeIds } = await launch(c);
    const { AutoSnapshotPolicyId: id } = await c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "in-use", TimePoints: ["1"], RepeatWeekdays: ["1"], RetentionDays: 1 });
    await c.ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, VolumeIds: [volumeIds[0]] });
    expect(await code(c.ebs("DeleteAutoSnapshotPolicy", { AutoSnapshotPolicyId: id }))).toBe("OperationDenied.AutoSnapshotPolicyInUse");
    expect(await code(c.ebs("ApplyAutoSnapshotPolicy", { AutoSnapshotPolicyId: "asp-nope", VolumeIds: [volumeIds[0]] }))).toBe("InvalidAutoSnapshotPolicy.NotFound");
  });

  it("carry tags set through storage_ebs CreateTags/DeleteTags (ResourceType snapshotpolicy) and are found by TagFilters", async () => {
    const c = client();
    const { AutoSnapshotPolicyId: id } = await c.ebs("CreateAutoSnapshotPolicy", { AutoSnapshotPolicyName: "tagged", TimePoints: ["1"], RepeatWeekdays: ["1"], RetentionDays: 1, Tags: [{ Key: "team", Value: "sre" }] });
    expect((await c.ebs("CreateTags", { ResourceType: "snapshotpolicy", ResourceIds: [id], Tags: [{ Key: "tier", Value: "db" }] })).OperationDetails).toEqual([{ ResourceId: id }]);
    await c.ebs("DeleteTags", { ResourceType: "snapshotpolicy", ResourceIds: [id], TagKeys: ["team"] });
    const found = (await c.ebs("DescribeAutoSnapshotPolicy", { TagFilters: [{ Key: "tier", Values: ["db"] }], PageNumber: 1, PageSize: 10 })).AutoSnapshotPolicies;
    expect(found.map((p: any) => [p.AutoSnapshotPolicyId, p.Tags])).toEqual([[id, [{ Key: "tier", Value: "db" }]]]);
    expect(await code(c.ebs("CreateTags", { ResourceType: "volume-group", ResourceIds: [id], Tags: [{ Key: "a", Value: "b" }] }))).toBe("InvalidParameter");
  });
});

describe("regions and CopyImage", () => {
  async function groupImage(c: VolcengineClient) {
    const { instanceId, volumeIds } = await launch(c);
    await ctx.emu.admin.volcengine.writeFile({ instanceId, path: "/etc/marker", content: "system" });
    await ctx.emu.admin.volcengine.writeFile({ instanceId, path: "/data/marker", content: "data", volume: 1 });
    const { SnapshotGroupId } = await c.ebs("CreateSnapshotGroup", { InstanceId: instanceId, VolumeIds: volumeIds, Name: "g", ClientToken: `g-${instanceId}` });
    advanceMs(3_600_000);
    const { ImageId } = await c.ecs("CreateImage", { SnapshotGroupId, ImageName: "group-image" });
    advanceMs(3_600_000);
    return { instanceId, ImageId, SnapshotGroupId };
  }

  it("each region has its own state; a client signed for an unknown region is refused", async () => {
    await launch(client());
    expect((await client("cn-shanghai").ecs("DescribeInstances")).Instances).toEqual([]);
    expect((await client().ecs("DescribeInstances")).Instances).toHaveLength(1);
    expect(await code(client("mars-north-1").ecs("DescribeInstances"))).toBe("InvalidParameter");
  });

  it("copies an image of a snapshot group with its data-volume snapshots; the copy takes its time, the source cannot be deleted meanwhile, and an instance launched from the copy holds both disks' data", async () => {
    const home = client();
    const dest = client("cn-shanghai");
    const { ImageId: source, SnapshotGroupId } = await groupImage(home);
    const [img] = (await home.ecs("DescribeImages", { ImageIds: [source] })).Images;
    expect(img.Snapshots.map((s: any) => s.VolumeKind)).toEqual(["system", "data"]);

    const { ImageId: copy } = await home.ecs("CopyImage", { ImageId: source, ImageName: "dr-copy", DestinationRegion: "cn-shanghai", Tags: [{ Key: "k", Value: "v" }] });
    expect((await dest.ecs("DescribeImages", { ImageIds: [copy], Status: ["creating"] })).Images).toHaveLength(1);
    expect((await home.ecs("DescribeImages", { ImageIds: [copy], Status: ["creating", "available"] })).Images).toEqual([]); // not in the home region
    const del = await home.ecs("DeleteImages", { ImageIds: [source], DeleteBindedSnapshots: false });
    expect(del.OperationDetails[0].Error.Code).toBe("OperationDenied.ImageIsCopying");
    advanceMs((60 + 60 * 2) * 1000); // base 60 s + 2 s per GiB of 40 + 20 GiB
    const [copied] = (await dest.ecs("DescribeImages", { ImageIds: [copy] })).Images;
    expect(copied).toMatchObject({ ImageId: copy, Status: "available", Tags: [{ Key: "k", Value: "v" }] });
    expect(copied.Snapshots.map((s: any) => [s.VolumeKind, s.Size])).toEqual([["system", 40], ["data", 20]]);

    const { InstanceIds } = await dest.ecs("RunInstances", {
      ZoneId: "cn-shanghai-a",
      ImageId: copy,
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "from-copy",
      SpotStrategy: "SpotAsPriceGo",
      KeepImageCredential: true,
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-shanghai-a", SecurityGroupIds: ["sg-emu-default"] }],
      Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20, SnapshotId: copied.Snapshots[1].SnapshotId }],
    });
    const state = await ctx.emu.admin.volcengine.state("cn-shanghai");
    expect(state.instances.map((i) => i.InstanceId)).toEqual(InstanceIds);
    expect(await ctx.emu.admin.request(`volcengine/disk?instanceId=${InstanceIds[0]}&volume=1&region=cn-shanghai`)).toMatchObject({ files: { "/data/marker": "data" } });
    expect((await home.ecs("DeleteImages", { ImageIds: [source], DeleteBindedSnapshots: false })).OperationDetails).toEqual([{ ImageId: source }]);
    await home.ebs("DeleteSnapshotGroup", { SnapshotGroupId });
  });

  it("as settings: a copy that fails ends in error after its copy time; group images and copies of the system disk only; a region outage", async () => {
    const home = client();
    const dest = client("cn-shanghai");
    await ctx.emu.admin.volcengine.settings({ copyImageFails: true, copyImageIncludesDataVolumes: false });
    const { ImageId: source } = await groupImage(home);
    const { ImageId: copy } = await home.ecs("CopyImage", { ImageId: source, ImageName: "doomed", DestinationRegion: "cn-shanghai" });
    advanceMs(59_000);
    expect((await dest.ecs("DescribeImages", { ImageIds: [copy], Status: ["creating", "available", "error"] })).Images[0].Status).toBe("creating");
    advanceMs(60_000 + 40 * 2_000);
    const [failed] = (await dest.ecs("DescribeImages", { ImageIds: [copy], Status: ["error"] })).Images;
    expect(failed.Snapshots.map((s: any) => s.VolumeKind)).toEqual(["system"]);

    await ctx.emu.admin.volcengine.settings({ groupImageIncludesDataVolumes: false });
    const { ImageId: systemOnly } = await groupImage(home);
    expect((await home.ecs("DescribeImages", { ImageIds: [systemOnly] })).Images[0].Snapshots.map((s: any) => s.VolumeKind)).toEqual(["system"]);

    await ctx.emu.admin.volcengine.settings({ regionUnavailable: true });
    expect(await code(home.ecs("DescribeInstances"))).toBe("ServiceUnavailableTemp");
    expect((await dest.ecs("DescribeImages", { ImageIds: [copy], Status: ["error"] })).Images).toHaveLength(1);
  });

  it("a copy counts against the destination's custom-image quota", async () => {
    const home = client();
    await ctx.emu.admin.volcengine.settings({ customImageQuota: 0 }, "cn-shanghai");
    const { ImageId: source } = await groupImage(home);
    expect(await code(home.ecs("CopyImage", { ImageId: source, ImageName: "over", DestinationRegion: "cn-shanghai" }))).toBe("QuotaExceeded.Image");
    expect(await code(home.ecs("CopyImage", { ImageId: source, ImageName: "nowhere", DestinationRegion: "mars-north-1" }))).toBe("InvalidParameter");
  });
});
