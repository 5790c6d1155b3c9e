// A small fixed-seed soak (the one `npm run soak` runs at full size): every resource's lifecycle and spot
// interruptions recovered by the controller, under seeded faults of every kind the emulator injects,
// lost responses included. What must not happen is counted, and every count must be 0.
import { describe, expect, it } from "vitest";
import { runSoak } from "../../bench/soak";
import { FAULT_KINDS } from "../../emulator/faults";

describe("soak under seeded faults", () => {
  it("at 20% of calls: no orphans, no duplicates, no failed recovery, every fault kind injected", async () => {
    const rep = await runSoak({ seed: 7, rate: 0.2, lifecycles: 1, interruptions: 4 });
    expect(Object.keys(rep.faultsByKind).sort()).toEqual([...FAULT_KINDS].sort());
    expect(rep.faultsInjected).toBeGreaterThan(rep.calls * 0.1);
    expect(rep.orphans).toEqual([]);
    expect(rep.duplicates).toEqual([]);
    expect(rep.recoveries).toMatchObject({ interruptions: 4, done: 4, failed: 0, unfinished: 0, wrong: 0 });
    expect(rep.recoveries.fromRolling).toBeGreaterThan(0); // a disk too busy for the notice: the rolling point saved it
    expect(rep.abandonedOperations).toEqual([]);
    expect(rep.unknownParams).toEqual([]);
    expect(rep.ok).toBe(true);
  }, 180_000);

  it("at 40% of calls: recoveries still succeed wherever the deadline allows, and nothing is left behind", async () => {
    const rep = await runSoak({ seed: 11, rate: 0.4, lifecycles: 0, interruptions: 4 });
    expect(rep.faultsInjected).toBeGreaterThan(rep.calls * 0.3);
    expect(rep.orphans).toEqual([]);
    expect(rep.duplicates).toEqual([]);
    // Failed only where no point could be made before the release and there was no rolling one.
    expect(rep.recoveries.failedRecoverable).toBe(0);
    expect(rep.recoveries.unfinished).toBe(0);
    expect(rep.recoveries.done + rep.recoveries.failedDeadline).toBe(4);
    expect(rep.ok).toBe(true);
  }, 180_000);
});
