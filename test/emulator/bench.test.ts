// The counts `npm run bench` reports, asserted (never its times): a controller pass reads pages, not
// instances; a rolling-point pass is bounded; a read the cloud keeps failing costs at most the retry
// strategy's maxAttempts calls (one level of retries); a recovery survives lost answers.
import { describe, expect, it } from "vitest";
import { failingReads, fleetPass, survivesResets, waiterOvershoot } from "../../bench";

describe("bench counts", () => {
  it("a pass over 1,000 protected instances reads pages of 100, not instances", async () => {
    const pass = await fleetPass(1000);
    expect(pass.pages).toEqual({ instances: 11, events: 10 }); // 10 pages of the policy tag, 1 of release 0.1.0's tag; 10 of events
    expect(pass.calls).toBe(24); // and 1 page of recovery points, 2 listings for scheduled RecoveryImages (whatever their number)
    expect(pass.peakConcurrentRequests).toBeLessThanOrEqual(2);
  }, 120_000);

  it("a pass over 1,000 instances all due a rolling point starts maxRollingPerPass of them, at most `concurrency` at once", async () => {
    const pass = await fleetPass(1000, { imageEvery: true, controller: { maxRollingPerPass: 20, concurrency: 4 } });
    expect([pass.rollingStarted, pass.rollingDeferred]).toEqual([20, 980]);
    expect(pass.byAction.CreateSnapshotGroup).toBe(20);
    expect(pass.peakConcurrentRequests).toBeLessThanOrEqual(4 * 2); // a point's config reads two things at once
  }, 120_000);

  it("a read the cloud fails every time costs at most maxAttempts calls, whoever makes it", async () => {
    const { maxAttempts, reads } = await failingReads();
    for (const r of reads) {
      expect(r.failed, r.read).toBe(true);
      // Never more; exactly that for one read (the fleet's two lists fail together: the first to give up ends it).
      expect(r.callsPerRead, r.read).toBeLessThanOrEqual(maxAttempts);
      if (!r.read.includes("fleet")) expect(r.calls, r.read).toBe(maxAttempts);
    }
  }, 120_000);

  it("a recovery whose CreateSnapshotGroup and RunInstances lose their answers makes one point and one replacement", async () => {
    expect(await survivesResets()).toMatchObject({ state: "done", finalPoints: 1, replacements: 1, lostAnswers: 2, deadlineMet: true });
  }, 120_000);

  it("the waiter sees a change at most 5% of the wait late (1 s for short waits), where fixed 5 s is 1.06x late, for under twice its polls", async () => {
    const { summary, rows } = await waiterOvershoot();
    const of = (poller: string) => summary.find((r) => r.poller.startsWith(poller))!;
    for (const r of rows.filter((r) => r.poller.startsWith("ours"))) {
      // One request's step of the frozen clock on top (the poll itself takes emulated time).
      expect(r.overshootSeconds, `${r.transitionSeconds} s`).toBeLessThanOrEqual(Math.max(1, 0.05 * r.transitionSeconds) * 1.06 + 0.1);
    }
    expect(of("ours").meanSeenAfterPerTransition).toBeLessThanOrEqual(1.05);
    expect(of("fixed 5 s").meanSeenAfterPerTransition).toBeGreaterThan(of("ours").meanSeenAfterPerTransition);
    expect(of("ours").polls).toBeLessThan(2 * of("fixed 5 s").polls);
  }, 120_000);
});
