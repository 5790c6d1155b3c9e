// Snapshot and image policies as code, the pure parts: AutoSnapshotPolicy's checks (every bad schedule
// refused at preview, naming the field and the fix, never echoing the value).
import { describe, expect, it } from "vitest";
import { checkInputs, UNKNOWN } from "../../provider/core/check";
import { copiesToPrune, planSchedule } from "../../provider/recovery/planner";
import { encodePolicy, policyFromTags, recordedPolicy, recoverySchema, TAGS } from "../../provider/recovery/policy";
import { autoSnapshotPolicySchema } from "../../provider/volcengine/autoSnapshotPolicy";
import { spotInstanceSchema } from "../../provider/volcengine/spotInstance/schema";

const spot = { zoneId: "cn-beijing-a", imageId: "image-ubuntu2204-emu", instanceTypeId: "ecs.g3il.large", subnetId: "subnet-emu-cn-beijing-a", securityGroupIds: ["sg-emu-default"] };

const good = { name: "nightly", timePoints: [1, 13], repeatWeekdays: [1, 4], retentionDays: 7 };
const failuresOf = (news: Record<string, unknown>) => checkInputs(autoSnapshotPolicySchema, news).failures;

describe("AutoSnapshotPolicy check", () => {
  it("takes a good schedule, weekly or every N days", () => {
    expect(failuresOf(good)).toEqual([]);
    expect(failuresOf({ ...good, repeatWeekdays: undefined, repeatDays: 2, retentionDays: -1 })).toEqual([]);
    expect(failuresOf({ ...good, timePoints: [0, 23], repeatWeekdays: [7], retentionDays: 65536 })).toEqual([]);
  });

  it.each([
    ["an hour past 23", { timePoints: [1, 24] }, "timePoints[1]", /0 \(00:00\) to 23 \(23:00\): 24 is 0 of the next day/],
    ["a negative hour", { timePoints: [-1] }, "timePoints[0]", /use 0 for midnight/],
    ["a fractional hour", { timePoints: [1.5] }, "timePoints[0]", /must be a whole number, not a fraction/],
    ["no hour at all", { timePoints: [] }, "timePoints", /at least one hour/],
    ["an hour twice", { timePoints: [3, 3] }, "timePoints", /list each hour once/],
    ["weekday 0", { repeatWeekdays: [0] }, "repeatWeekdays[0]", /use 7 for Sunday, not 0/],
    ["weekday 8", { repeatWeekdays: [8] }, "repeatWeekdays[0]", /from 1 \(Monday\) to 7 \(Sunday\)/],
    ["repeatDays 0", { repeatWeekdays: undefined, repeatDays: 0 }, "repeatDays", /at least 1 \(every day\)/],
    ["repeatDays 31", { repeatWeekdays: undefined, repeatDays: 31 }, "repeatDays", /at most 30: for rarer snapshots use repeatWeekdays/],
    ["both weekdays and days", { repeatDays: 2 }, "repeatDays", /set only one of repeatWeekdays .* and repeatDays .*: remove one/],
    ["neither weekdays nor days", { repeatWeekdays: undefined }, "repeatWeekdays", /set repeatWeekdays .* or repeatDays/],
    ["retention 0", { retentionDays: 0 }, "retentionDays", /-1 \(keep forever\) or 1 to 65536 days/],
    ["retention -2", { retentionDays: -2 }, "retentionDays", /-1 \(keep forever\) or 1 to 65536 days/],
    ["retention past 65536", { retentionDays: 65537 }, "retentionDays", /-1 \(keep forever\) or 1 to 65536 days/],
    ["a volume id that is not one", { volumeIds: ["disk-1"] }, "volumeIds[0]", /volume ids such as "vol-abc123"/],
    ["a misspelt input", { retentiondays: 3 }, "retentiondays", /did you mean retentionDays\?/],
  ])("refuses %s, naming the field and the fix", (_what, patch, property, reason) => {
    const failures = failuresOf({ ...good, ...patch });
    expect(failures).toHaveLength(1);
    expect(failures[0].property).toBe(property);
    expect(failures[0].reason).toMatch(reason);
  });

  it("never quotes the value it refuses", () => {
    const failures = failuresOf({ ...good, name: "x".repeat(300), timePoints: [4242] });
    expect(failures.map((f) => f.property).sort()).toEqual(["name", "timePoints[0]"]);
    for (const f of failures) expect(f.reason).not.toMatch(/4242|xxxx/);
  });

  it("leaves a schedule that is not known during preview to `up`", () => {
    expect(failuresOf({ ...good, timePoints: UNKNOWN })).toEqual([]);
    expect(failuresOf({ ...good, repeatWeekdays: UNKNOWN })).toEqual([]);
  });
});

describe("recovery.copyToRegion", () => {
  const copy = { region: "cn-shanghai", keep: 2, relaunch: { zoneId: "cn-shanghai-a", subnetId: "subnet-sh-1", securityGroupIds: ["sg-1", "sg-2"] } };

  it("is one field of the one policy tag, within tag characters, and reads back", () => {
    const policy = recordedPolicy(recoverySchema.parse({ keepImages: 3, imageEvery: "30m", copyToRegion: copy }));
    const tag = encodePolicy(policy);
    expect(tag).toBe("on=image-and-relaunch keep=3 every=30m copy=cn-shanghai/2/cn-shanghai-a/subnet-sh-1/sg-1+sg-2");
    expect(tag).toMatch(/^[\p{L}\p{N} _.:/=+\-@]*$/u);
    expect(policyFromTags({ [TAGS.policy]: tag })).toEqual(policy);
    const short = encodePolicy(recordedPolicy(recoverySchema.parse({ copyToRegion: { region: "cn-guangzhou" } })));
    expect(short).toBe("on=image-and-relaunch keep=3 copy=cn-guangzhou/2");
    expect(policyFromTags({ [TAGS.policy]: short })?.copy).toEqual({ region: "cn-guangzhou", keep: 2 });
    const typed = encodePolicy({ onInterruption: "image-only", keepImages: 1, copy: { region: "cn-shanghai", keep: 1, relaunch: { ...copy.relaunch, instanceTypeId: "ecs.g3il.xlarge" } } });
    expect(policyFromTags({ [TAGS.policy]: typed })?.copy?.relaunch?.instanceTypeId).toBe("ecs.g3il.xlarge");
  });

  it("reads every older encoding, and ignores a copy field it cannot read instead of dropping the policy", () => {
    expect(policyFromTags({ [TAGS.policy]: "on=image-and-relaunch keep=2 every=30m" })).toEqual({ onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "30m" });
    expect(policyFromTags({ "pulumi-recovery:on-interruption": "image-only", "pulumi-recovery:keep-images": "4" })).toEqual({ onInterruption: "image-only", keepImages: 4 });
    expect(policyFromTags({ [TAGS.policy]: "on=image-and-relaunch;keep=2" })).toEqual({ onInterruption: "image-and-relaunch", keepImages: 2 });
    expect(policyFromTags({ [TAGS.policy]: "on=none keep=1 copy=Not A Region/x" })).toEqual({ onInterruption: "none", keepImages: 1 });
  });

  it.each([
    ["a region that is not one", { region: "Shanghai" }, "recovery.copyToRegion.region", /a region such as "cn-shanghai"/],
    ["keep 0", { region: "cn-shanghai", keep: 0 }, "recovery.copyToRegion.keep", /at least 1/],
    ["keep 11", { region: "cn-shanghai", keep: 11 }, "recovery.copyToRegion.keep", /at most 10 \(each copy is a custom image there, and a region holds 50\)/],
    ["a relaunch zone of another region", { ...copy, relaunch: { ...copy.relaunch, zoneId: "cn-beijing-a" } }, "recovery.copyToRegion.relaunch.zoneId", /a zone of recovery.copyToRegion.region/],
    ["a relaunch without security groups", { ...copy, relaunch: { ...copy.relaunch, securityGroupIds: [] } }, "recovery.copyToRegion.relaunch.securityGroupIds", /at least one security group of that region/],
  ])("refuses %s at preview, naming the field and the fix", (_what, copyToRegion, property, reason) => {
    const { failures } = checkInputs(spotInstanceSchema, { ...spot, recovery: { copyToRegion } });
    expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
  });

  it("refuses the instance's own region, and a policy that no longer fits one tag", () => {
    expect(checkInputs(spotInstanceSchema, { ...spot, region: "cn-shanghai", recovery: { copyToRegion: copy } }).failures).toEqual([{ property: "recovery", reason: expect.stringMatching(/the instance's own region: name another region/) }]);
    const long = { ...copy, relaunch: { ...copy.relaunch, securityGroupIds: ["sg-".padEnd(40, "x"), "sg-".padEnd(40, "y"), "sg-".padEnd(40, "z")] } };
    const fallbacks = ["b", "c"].map((z) => ({ zoneId: `cn-beijing-${z}`, subnetId: "subnet-".padEnd(30, z), instanceTypeId: "ecs.g3il.xlarge" }));
    expect(checkInputs(spotInstanceSchema, { ...spot, recovery: { copyToRegion: long, fallbacks } }).failures).toEqual([{ property: "recovery", reason: expect.stringMatching(/over the 256 a tag value holds/) }]);
  });
});

describe("copiesToPrune", () => {
  const c = (id: string, hour: number, state = "available") => ({ id, state, createdAt: `2026-01-05T0${hour}:30:00Z`, pointCreatedAt: `2026-01-05T0${hour}:00:00Z` });
  it("prunes exactly the oldest available copies beyond keep, never one still copying or failed", () => {
    const copies = [c("b", 2), c("d", 4, "creating"), c("a", 1), c("c", 3), c("e", 5, "failed")];
    expect(copiesToPrune(copies, 2).map((x) => x.id)).toEqual(["a"]);
    expect(copiesToPrune(copies, 1).map((x) => x.id)).toEqual(["b", "a"]);
    expect(copiesToPrune(copies, 3)).toEqual([]);
    expect(copiesToPrune(copies, 0).map((x) => x.id)).toEqual(["b", "a"]); // the newest always stays
  });
});

describe("planSchedule (a scheduled RecoveryImage's pass)", () => {
  const H = 3_600_000;
  const t0 = Date.parse("2026-01-05T00:00:00Z");
  const at = (h: number) => new Date(t0 + h * H).toISOString();
  const done = (id: string, h: number) => ({ pointId: `ssg-${id}`, pointState: "available", imageId: `image-${id}`, imageState: "available", createdAt: at(h) });
  const o = (nowH: number, keep = 2) => ({ now: t0 + nowH * H, everyMs: 6 * H, keep });

  it("starts a point exactly when the newest is imageEvery old, not before", () => {
    expect(planSchedule([done("a", 0)], o(5.99)).start).toBe(false);
    expect(planSchedule([done("a", 0)], o(6)).start).toBe(true);
    expect(planSchedule([], o(0)).start).toBe(true);
  });

  it("starts nothing while a point or its image is in progress, and makes the image of a ready point", () => {
    const taking = { pointId: "ssg-b", pointState: "creating", createdAt: at(6) };
    expect(planSchedule([done("a", 0), taking], o(20))).toMatchObject({ start: false, finish: [] });
    const ready = { pointId: "ssg-b", pointState: "available", createdAt: at(6) };
    expect(planSchedule([done("a", 0), ready], o(20))).toMatchObject({ start: false, finish: [ready] });
    const imaging = { ...ready, imageId: "image-b", imageState: "creating" };
    expect(planSchedule([done("a", 0), imaging], o(20))).toMatchObject({ start: false, finish: [] });
  });

  it("prunes exactly the oldest available images beyond keep, counting one in progress, never the newest", () => {
    const three = [done("c", 12), done("a", 0), done("b", 6)];
    expect(planSchedule(three, o(13)).prune.map((p) => p.imageId)).toEqual(["image-a"]);
    expect(planSchedule(three, o(18)).prune.map((p) => p.imageId)).toEqual(["image-b", "image-a"]); // a new one starts: keep 2 = 1 + it
    expect(planSchedule(three, o(18, 1)).prune.map((p) => p.imageId)).toEqual(["image-b", "image-a"]); // the newest always stays
    expect(planSchedule([done("a", 0)], o(100, 1)).prune).toEqual([]);
  });

  it("removes what failed and carries on", () => {
    const failed = { pointId: "ssg-x", pointState: "failed", createdAt: at(6) };
    const badImage = { pointId: "ssg-y", pointState: "available", imageId: "image-y", imageState: "failed", createdAt: at(7) };
    const plan = planSchedule([done("a", 0), failed, badImage], o(8));
    expect(plan.remove).toEqual([badImage, failed]);
    expect(plan.start).toBe(true); // the newest good one is 8 h old
  });
});
