// Snapshot and image policies as code, the pure parts: AutoSnapshotPolicy's checks (every bad schedule
// refused at preview, naming the field and the fix, never echoing the value).
import { describe, expect, it } from "vitest";
import { checkInputs, UNKNOWN } from "../../provider/core/check";
import { autoSnapshotPolicySchema } from "../../provider/volcengine/autoSnapshotPolicy";

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
