// AutoSnapshotPolicy's provider object through the real SDK over HTTP to the emulator, on a frozen clock
// stepped by the test: create (token tag, one Apply for every volume of the instance), the cloud firing
// the schedule, drift read back and undone, updates in place with only the calls they need, a create
// whose answer was lost, delete (Cancel, then Delete; the snapshots stay).
import { describe, expect, it } from "vitest";
import { autoSnapshotPolicyProvider, spotInstanceProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import { VolcengineClient } from "../../provider/volcengine/client";
import { useEmulator } from "../support/emulator";

// A Monday, 00:30 in UTC+8 (the emulator's default offset for TimePoints).
const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 10_000, start: Date.parse("2026-01-05T00:30:00+08:00") } });
const HOUR = 3_600_000;
const client = () => VolcengineClient.for(volcengineConnection(undefined));

async function instance(name: string) {
  const { inputs } = await spotInstanceProvider.check!({}, {
    zoneId: "cn-beijing-a",
    imageId: "image-ubuntu2204-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-emu-cn-beijing-a",
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    dataVolumes: [{ size: 20 }],
    __identity: `test/dev/${name}`,
  });
  return spotInstanceProvider.create(inputs!);
}

async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const res = await autoSnapshotPolicyProvider.check!(olds, { name: "nightly", __identity: "test/dev/nightly", ...news });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs!;
}

const calls = async (action: string, service = "storage_ebs") => (await ctx.emu.admin.calls()).filter((c) => c.action === action && c.service === service);
const autoSnapshots = async () => (await ctx.emu.admin.volcengine.state()).snapshots.filter((s: any) => s.auto);
/** Moves the frozen clock to the next hh:00 in UTC+8. */
function toNextHour(hh: number): void {
  const now = ctx.emu.clock.now();
  const local = now + 8 * HOUR;
  let target = Math.floor(local / (24 * HOUR)) * 24 * HOUR + hh * HOUR - 8 * HOUR;
  while (target <= now) target += 24 * HOUR;
  ctx.emu.clock.advance(target - now);
}

describe("AutoSnapshotPolicy lifecycle", () => {
  it("creates and applies to every volume of an instance; the cloud fires it; drift is read back and undone; updates change only what changed; delete keeps the snapshots", async () => {
    const inst = await instance("db");
    await ctx.emu.admin.clearCalls();
    const news = await checked({ timePoints: [2], repeatDays: 1, retentionDays: 3, instanceIds: [inst.id], tags: { team: "sre" } });
    const created = await autoSnapshotPolicyProvider.create(news);
    expect(created.id).toMatch(/^asp-/);
    expect(created.outs).toMatchObject({ policyId: created.id, volumeCount: 2, status: "available", name: "nightly", tags: { team: "sre" } });
    expect(created.outs.appliedVolumeIds).toHaveLength(2);
    expect(await calls("CreateAutoSnapshotPolicy")).toHaveLength(1);
    expect((await calls("ApplyAutoSnapshotPolicy")).map((c) => Object.keys(c.params).filter((k) => k.startsWith("VolumeIds.")).length)).toEqual([2]);
    expect(await calls("ModifyAutoSnapshotPolicy")).toHaveLength(0);

    // The cloud takes a snapshot of both volumes at 02:00 every day.
    toNextHour(3);
    expect((await autoSnapshots()).map((s: any) => s.VolumeId).sort()).toEqual([...created.outs.appliedVolumeIds].sort());

    // No drift: read and diff are clean.
    const read = await autoSnapshotPolicyProvider.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect((await autoSnapshotPolicyProvider.diff!(created.id, read.props, news)).changes).toBe(false);

    // Someone cancels the policy on the data volume and changes the retention behind Pulumi's back.
    await client().ebs("CancelAutoSnapshotPolicy", { AutoSnapshotPolicyId: created.id, VolumeIds: [created.outs.appliedVolumeIds[1]] });
    await client().ebs("ModifyAutoSnapshotPolicy", { AutoSnapshotPolicyId: created.id, RetentionDays: 30 });
    const drifted = await autoSnapshotPolicyProvider.read!(created.id, read.props);
    expect(drifted.props).toMatchObject({ retentionDays: 30, instanceIds: [], volumeCount: 1 });
    expect(drifted.props.appliedVolumeIds).toHaveLength(1);
    const d = await autoSnapshotPolicyProvider.diff!(created.id, drifted.props, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    await ctx.emu.admin.clearCalls();
    const undone = await autoSnapshotPolicyProvider.update!(created.id, drifted.props, news);
    expect(undone.outs).toMatchObject({ retentionDays: 3, volumeCount: 2 });
    expect((await calls("ModifyAutoSnapshotPolicy")).map((c) => c.params)).toEqual([{ AutoSnapshotPolicyId: created.id, RetentionDays: "3" }]);
    expect((await calls("ApplyAutoSnapshotPolicy")).map((c) => c.params["VolumeIds.1"])).toEqual([created.outs.appliedVolumeIds[1]]);

    // In place: weekdays instead of days, another hour, another tag; nothing is replaced.
    const changed = await checked({ timePoints: [2, 14], repeatWeekdays: [1, 2, 3, 4, 5], retentionDays: 3, instanceIds: [inst.id], tags: { team: "dba" } }, news);
    expect(await autoSnapshotPolicyProvider.diff!(created.id, undone.outs, changed)).toMatchObject({ changes: true, replaces: [] });
    await ctx.emu.admin.clearCalls();
    const updated = await autoSnapshotPolicyProvider.update!(created.id, undone.outs, changed);
    expect(updated.outs).toMatchObject({ timePoints: [2, 14], repeatWeekdays: [1, 2, 3, 4, 5], tags: { team: "dba" } });
    expect((await calls("ModifyAutoSnapshotPolicy")).map((c) => c.params)).toEqual([{ AutoSnapshotPolicyId: created.id, "TimePoints.1": "2", "TimePoints.2": "14", "RepeatWeekdays.1": "1", "RepeatWeekdays.2": "2", "RepeatWeekdays.3": "3", "RepeatWeekdays.4": "4", "RepeatWeekdays.5": "5" }]);
    expect(await calls("ApplyAutoSnapshotPolicy")).toHaveLength(0);
    expect((await calls("CreateTags")).map((c) => c.params.ResourceType)).toEqual(["snapshotpolicy"]);
    const [policy] = (await ctx.emu.admin.volcengine.state()).autoSnapshotPolicies;
    expect(Object.fromEntries(policy.Tags.map((t: any) => [t.Key, t.Value]))).toMatchObject({ team: "dba" });

    // Only the data volume now: the system volume's policy is cancelled, one call.
    const onlyData = await checked({ timePoints: [2, 14], repeatWeekdays: [1, 2, 3, 4, 5], retentionDays: 3, volumeIds: [created.outs.appliedVolumeIds[1]], tags: { team: "dba" } }, changed);
    await ctx.emu.admin.clearCalls();
    const narrowed = await autoSnapshotPolicyProvider.update!(created.id, updated.outs, onlyData);
    expect(narrowed.outs.appliedVolumeIds).toEqual([created.outs.appliedVolumeIds[1]]);
    expect((await calls("CancelAutoSnapshotPolicy")).map((c) => c.params["VolumeIds.1"])).toEqual([created.outs.appliedVolumeIds[0]]);

    const taken = (await autoSnapshots()).length;
    await autoSnapshotPolicyProvider.delete!(created.id, narrowed.outs);
    expect((await calls("CancelAutoSnapshotPolicy")).length).toBe(2);
    expect(await calls("DeleteAutoSnapshotPolicy")).toHaveLength(1);
    expect((await ctx.emu.admin.volcengine.state()).autoSnapshotPolicies).toEqual([]);
    expect(await autoSnapshots()).toHaveLength(taken);
    expect((await autoSnapshotPolicyProvider.read!(created.id, narrowed.outs)).id).toBe("");
  });

  it("a create whose answer was lost makes one policy, found again by its token", async () => {
    const inst = await instance("lost");
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "CreateAutoSnapshotPolicy", kind: "lose-response", count: 1 });
    const created = await autoSnapshotPolicyProvider.create(await checked({ timePoints: [1], repeatWeekdays: [1], retentionDays: 7, instanceIds: [inst.id] }));
    expect((await ctx.emu.admin.volcengine.state()).autoSnapshotPolicies.map((p: any) => p.AutoSnapshotPolicyId)).toEqual([created.id]);
    expect(await calls("CreateAutoSnapshotPolicy")).toHaveLength(1);
    // The same create again (a later `up` after a crash) adopts it.
    const again = await autoSnapshotPolicyProvider.create(await checked({ timePoints: [1], repeatWeekdays: [1], retentionDays: 7, instanceIds: [inst.id] }));
    expect(again.id).toBe(created.id);
    expect(await calls("CreateAutoSnapshotPolicy")).toHaveLength(1);
  });

  it("a create that cannot apply (a volume that does not exist) leaves nothing behind and says which", async () => {
    const err = await autoSnapshotPolicyProvider.create(await checked({ timePoints: [1], repeatWeekdays: [1], retentionDays: 7, volumeIds: ["vol-nowhere"] })).catch((e) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/volumeIds: no such volume in region cn-beijing: vol-nowhere.*nothing is left behind/s);
    expect((await ctx.emu.admin.volcengine.state()).autoSnapshotPolicies).toEqual([]);
  });
});
