// The planner decides a recovery's next step from its journal record alone: a restarted controller or
// another replica must reach the same decision, and the same interruption must always ask the cloud for
// the same point and instance.
import { describe, expect, it } from "vitest";
import type { RecoveryRecord } from "../../provider/recovery/journal";
import { formatMs, MAX_ATTEMPTS, nextStep, retryDelayMs, rollingToken, tokensFor } from "../../provider/recovery/planner";

const done = { startedAt: "2026-11-25T00:00:00Z", endedAt: "2026-11-25T00:00:01Z" };

function record(over: Partial<RecoveryRecord> = {}): RecoveryRecord {
  return {
    eventId: "ev-1",
    cloud: "volcengine",
    region: "cn-beijing",
    instanceId: "i-1",
    noticedAt: "2026-11-25T00:00:00Z",
    releaseAt: "2026-11-25T00:05:00Z",
    policy: { onInterruption: "image-and-relaunch", keepImages: 3 } as RecoveryRecord["policy"],
    config: {},
    state: "in-progress",
    steps: {},
    ...over,
  };
}

describe("nextStep", () => {
  it("walks image-and-relaunch through point, wait, relaunch, wait-running, prune, then nothing", () => {
    let r = record();
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const step = nextStep(r);
      if (!step) break;
      seen.push(step);
      r = { ...r, steps: { ...r.steps, [step]: done }, ...(step === "point" ? { pointId: "sg-1" } : {}), ...(step === "relaunch" ? { replacementId: "i-2" } : {}) };
    }
    expect(seen).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
  });

  it("runs the guest hook first when the policy has one, and never again once the point exists", () => {
    const policy = { onInterruption: "image-and-relaunch", keepImages: 3, hook: { commandId: "cmd-1", timeoutSeconds: 30 } } as RecoveryRecord["policy"];
    expect(nextStep(record({ policy }))).toBe("guest-hook");
    expect(nextStep(record({ policy, steps: { "guest-hook": done } }))).toBe("point");
    // A point taken by a controller that died before it journaled the hook's end: no second hook.
    expect(nextStep(record({ policy, pointId: "sg-1" }))).toBe("wait-point");
  });

  it("image-only never relaunches", () => {
    const r = record({ policy: { onInterruption: "image-only", keepImages: 3 } as RecoveryRecord["policy"], pointId: "sg-1", steps: { point: done, "wait-point": done } });
    expect(nextStep(r)).toBe("prune");
  });

  it("a finished or failed record has no next step", () => {
    expect(nextStep(record({ state: "done" }))).toBeUndefined();
    expect(nextStep(record({ state: "failed" }))).toBeUndefined();
  });
});

describe("tokens", () => {
  it("the same event asks for the same point and instance; a lost replacement gets a new relaunch token only", () => {
    expect(tokensFor("ev-1")).toEqual(tokensFor("ev-1"));
    expect(tokensFor("ev-1").point).not.toBe(tokensFor("ev-2").point);
    expect(tokensFor("ev-1", 1).point).toBe(tokensFor("ev-1").point);
    expect(tokensFor("ev-1", 1).relaunch).not.toBe(tokensFor("ev-1").relaunch);
    expect(tokensFor("ev-1", 2).relaunch).not.toBe(tokensFor("ev-1", 1).relaunch);
  });

  it("tokens fit Volcengine's 64-character ClientToken", () => {
    for (const t of Object.values(tokensFor("ev-" + "x".repeat(200), 7))) expect(t.length).toBeLessThanOrEqual(64);
  });

  it("one rolling point per interval and instance, and a new interval length starts new buckets", () => {
    const every = 30 * 60_000;
    const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);
    expect(rollingToken("i-1", t0, every)).toBe(rollingToken("i-1", t0 + every - 1, every));
    expect(rollingToken("i-1", t0, every)).not.toBe(rollingToken("i-1", t0 + every, every));
    expect(rollingToken("i-1", t0, every)).not.toBe(rollingToken("i-2", t0, every));
    expect(rollingToken("i-1", t0, every)).not.toBe(rollingToken("i-1", t0, 2 * every));
  });
});

describe("backoff and formatting", () => {
  it("doubles from 5 s and stops at 5 minutes", () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(MAX_ATTEMPTS + 10)).toBe(5 * 60_000);
    expect(retryDelayMs(0)).toBe(5_000);
  });

  it("prints durations as people read them", () => {
    expect(formatMs(0)).toBe("0s");
    expect(formatMs(59_400)).toBe("59s");
    expect(formatMs(61_000)).toBe("1m01s");
    expect(formatMs(-90_000)).toBe("-1m30s");
    expect(formatMs(3 * 3600_000 + 5 * 60_000 + 7_000)).toBe("3h05m07s");
  });
});
