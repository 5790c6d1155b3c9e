// The ConsistentSnapshotPolicy schedule (provider/alicloud/schedule.ts) against the emulator's reading of a
// Frequency (emulator/alicloud/assistant/periodic.ts) — two implementations of the agent's rules that must
// agree — and the retention plan (provider/alicloud/policyGroups.ts). Pure functions, fixed instants.
import { describe, expect, it } from "vitest";
import { acceptFrequency, fireTimes } from "../../emulator/alicloud/assistant/periodic";
import { decodeRetention, encodeRetention, retentionPlan } from "../../provider/alicloud/policyGroups";
import { nextRunAfter, parseSchedule, scheduleProblem } from "../../provider/alicloud/schedule";
import type { SnapshotGroup } from "../../provider/alicloud/snapshotGroups";
import { parseDuration } from "../../provider/core/waiter";

const NOW = Date.UTC(2026, 10, 25, 10, 17, 3); // a Wednesday
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** The next `n` fire times as the provider computes them. */
function providerRuns(text: string, n: number, createdAt = NOW): string[] {
  const s = parseSchedule(text, NOW);
  if ("problem" in s) throw new Error(s.problem);
  const out: string[] = [];
  let t = NOW;
  for (let i = 0; i < n; i++) out.push(iso((t = nextRunAfter(s, createdAt, t)!)));
  return out;
}

/** The same as the emulator fires them. */
function emulatorRuns(text: string, n: number): string[] {
  const r = acceptFrequency(text, { timeoutSeconds: 10, now: NOW, instanceTimeZone: "UTC" });
  if (!("schedule" in r)) throw new Error(r.refusal.code);
  return fireTimes(r.schedule, NOW, NOW, NOW + 2200 * 86_400_000, n).map(iso);
}

describe("schedules as the agent reads them", () => {
  it.each([
    ["rate(90m)", ["2026-11-25T11:47:03Z", "2026-11-25T13:17:03Z", "2026-11-25T14:47:03Z"]],
    ["RATE(1D)", ["2026-11-26T10:17:03Z", "2026-11-27T10:17:03Z", "2026-11-28T10:17:03Z"]],
    ["0 0 2 * * ? Asia/Shanghai", ["2026-11-25T18:00:00Z", "2026-11-26T18:00:00Z", "2026-11-27T18:00:00Z"]],
    ["0 0/20 10-11 * * ? GMT+8:00", ["2026-11-26T02:00:00Z", "2026-11-26T02:20:00Z", "2026-11-26T02:40:00Z"]],
    ["0 15 10 ? * 7 UTC", ["2026-11-29T10:15:00Z", "2026-12-06T10:15:00Z", "2026-12-13T10:15:00Z"]], // 7 = Sunday (cronexpr)
    ["0 15 10 ? * sunday UTC", ["2026-11-29T10:15:00Z", "2026-12-06T10:15:00Z", "2026-12-13T10:15:00Z"]],
    ["0 0 12 13 * 5 UTC", ["2026-11-27T12:00:00Z", "2026-12-04T12:00:00Z", "2026-12-11T12:00:00Z"]], // day 13 OR Friday
    ["0 0 0 L * ? UTC", ["2026-11-30T00:00:00Z", "2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"]],
    ["0 0 0 1 1 ? 2027/2 UTC", ["2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z", "2031-01-01T00:00:00Z"]],
  ])("%s fires at the same times in the provider and the emulator", (text, expected) => {
    expect(providerRuns(text, 3)).toEqual(expected);
    expect(emulatorRuns(text, 3)).toEqual(expected);
  });

  it("a rate counts from the policy's creation, never at once", () => {
    expect(providerRuns("rate(1h)", 2, NOW - 30 * 60_000)).toEqual(["2026-11-25T10:47:03Z", "2026-11-25T11:47:03Z"]);
    expect(fireTimes({ kind: "rate", periodMs: 3_600_000 }, NOW, NOW, NOW + 3_600_000 - 1, 10)).toEqual([]);
  });

  it.each([
    ["rate(59s)", 10, /at least 60 seconds/],
    ["rate(0m)", 10, /rate\(<whole number>/],
    ["rate(5 minutes)", 10, /rate\(<whole number>/],
    ["*/5 * * * * ? UTC", 1, /5s apart: runs must be at least 10 seconds apart/],
    ["0 */5 * * * ? UTC", 300, /every 5m, but one run may take up to 300s/],
    ["0 0 2 * * ? * * UTC", 10, /6 or 7 fields/],
    ["0 0 2 30 2 ? UTC", 10, /never fires/],
    ["0 0 2 * * 8 UTC", 10, /day of week field "8" is not valid/],
    ["0 0 2 * * MON+TUE UTC", 10, /day of week field/],
    ["0 0 2 * * ? GMT+15:00", 10, /time zone "GMT\+15:00"/],
  ])("refuses %s (timeout %is)", (text, timeout, reason) => {
    expect(scheduleProblem(text, timeout, NOW)).toMatch(reason);
  });

  it("the emulator refuses what the API refuses, and leaves the expired to the agent", () => {
    const accept = (f: string, timeoutSeconds = 60) => acceptFrequency(f, { timeoutSeconds, now: NOW, instanceTimeZone: "Asia/Shanghai" });
    expect(() => accept("rate(59s)")).toThrow(/60 seconds to 7 days/);
    expect(() => accept("rate(2m)", 120)).toThrow(/longer than the Timeout/);
    expect(() => accept("*/5 * * * * ?")).toThrow(/at least the Timeout/);
    expect(accept("at(2020-01-01 00:00:00)")).toEqual({ refusal: expect.objectContaining({ code: "AtExpressionExpired" }) });
    expect(accept("0 0 0 1 1 ? 2020")).toEqual({ refusal: expect.objectContaining({ code: "CronExpressionExpired" }) });
    // at() in a named zone: 2027-01-01 08:00 Shanghai is 00:00 UTC.
    const at = accept("at(2027-01-01 08:00:00 Asia/Shanghai)");
    expect("schedule" in at && at.schedule.kind === "at" && iso(at.schedule.at)).toBe("2027-01-01T00:00:00Z");
  });
});

describe("retention", () => {
  const g = (id: string, hoursAgo: number, Status: SnapshotGroup["Status"] = "accomplished"): SnapshotGroup => ({ SnapshotGroupId: id, Status, CreationTime: iso(NOW - hoursAgo * 3_600_000) });
  const ids = (gs: SnapshotGroup[]) => gs.map((x) => x.SnapshotGroupId);

  it("keepLast prunes exactly the oldest, oldest first", () => {
    const plan = retentionPlan([g("a", 5), g("b", 4), g("c", 3), g("d", 2), g("e", 1)], { keepLast: 3 }, NOW);
    expect([ids(plan.keep), ids(plan.prune)]).toEqual([["e", "d", "c"], ["a", "b"]]);
  });

  it("keepFor prunes by age; with keepLast a group must satisfy both", () => {
    const gs = [g("a", 50), g("b", 30), g("c", 20), g("d", 10)];
    expect(ids(retentionPlan(gs, { keepForMs: 24 * 3_600_000 }, NOW).prune)).toEqual(["a", "b"]);
    expect(ids(retentionPlan(gs, { keepForMs: 24 * 3_600_000, keepLast: 1 }, NOW).prune)).toEqual(["a", "b", "c"]);
  });

  it("keeps groups still progressing, prunes failed ones, and always keeps the newest accomplished group", () => {
    const plan = retentionPlan([g("old", 100), g("bad", 2, "failed"), g("busy", 0, "progressing")], { keepForMs: 3_600_000 }, NOW);
    expect([ids(plan.keep), ids(plan.prune)]).toEqual([["busy", "old"], ["bad"]]);
  });

  it("the invocation's retention tag round-trips; an unreadable one is left alone", () => {
    expect(decodeRetention(encodeRetention({ keepLast: 7, keepFor: "30d" }), parseDuration)).toEqual({ keepLast: 7, keepForMs: 30 * 86_400_000 });
    expect(decodeRetention("keepLast=7 keepEvery=1h", parseDuration)).toBeUndefined();
    expect(decodeRetention("", parseDuration)).toBeUndefined();
  });
});
