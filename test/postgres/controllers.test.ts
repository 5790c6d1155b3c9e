// Controllers sharing one PostgreSQL journal, in this process, against the emulator on a frozen clock
// (time moves by a step per cloud request and by what the controllers sleep): they split the
// interruptions, none is recovered twice, a controller that died holding a claim is finished by another
// once its lease lapsed, and one that was paused past its lease cannot write over the new owner's
// progress. A lapse is made by moving the lease's expiry into the past, and charged to the cloud's clock
// as a whole lease, so every deadline below is decided on the emulated clock alone.
import { afterEach, describe, expect, it } from "vitest";
import { volcengineConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type ControllerOptions, type RecoveryEvent } from "../../provider/recovery/controller";
import type { RecoveryRecord, StepName } from "../../provider/recovery/journal";
import { ClaimLostError, PostgresJournal } from "../../provider/recovery/journalPg";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { useEmulator } from "../support/emulator";
import { usePostgres } from "../support/postgres";
import { protectedSpotInstance, steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1_000 } });
const pg = usePostgres("controllers");
const LEASE_MS = 60_000;
let scope = "";
let seq = 0;
const open: PostgresJournal[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close().catch(() => undefined)));
});

const stepped = (): Clock => steppedClock(ctx.emu);
const tagsOf = (i: any) => Object.fromEntries(i.Tags.map((t: any) => [t.Key, t.Value]));

const protectedInstance = async (name: string) => protectedSpotInstance(name, { identity: `test/dev/${name}` });

/** A replica: its own PostgreSQL connection, its own name, one shared scope. */
function replica(owner: string, extra: Partial<ControllerOptions> = {}) {
  const journal = new PostgresJournal({ url: pg.url, scope });
  open.push(journal);
  const events: RecoveryEvent[] = [];
  const c = new RecoveryController({
    cloud: new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined))),
    journal,
    owner,
    leaseMs: LEASE_MS,
    clock: stepped(),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { c, journal, events };
}

async function cloudCounts(instanceId: string) {
  const state = await ctx.emu.admin.volcengine.state();
  const replacements = state.instances.filter((i) => tagsOf(i)["pulumi-recovery:origin"] === instanceId && i.InstanceId !== instanceId);
  const finals = state.snapshotGroups.filter((g) => tagsOf(g)["pulumi-recovery:source"] === instanceId && tagsOf(g)["pulumi-recovery:point"].startsWith("kind=final"));
  return { replacements: replacements.length, finals: finals.length };
}

/** Every recovery of the scope, as the journal holds it. */
const rows = async (): Promise<{ owner: string; generation: number; record: RecoveryRecord }[]> =>
  pg.sql(`SELECT owner, generation::int AS generation, record FROM pulumi_recovery_journal WHERE scope = $1 ORDER BY event_id`, [scope]);

/** The dead replica's lease lapses: its expiry moves into the past, and the cloud's clock moves by a whole lease. */
async function lapseAll() {
  await pg.sql(`UPDATE pulumi_recovery_journal SET lease_until = clock_timestamp() - interval '1 second' WHERE scope = $1 AND lease_until IS NOT NULL`, [scope]);
  ctx.emu.clock.advance(LEASE_MS);
}

const beforeRelease = (r: RecoveryRecord) => Date.parse(r.steps["wait-running"]!.endedAt!) <= Date.parse(r.releaseAt);

describe("controllers sharing a PostgreSQL journal", () => {
  it("split the interruptions between them; each is journaled once and recovered once, before its release", async () => {
    scope = `volcengine/split-${++seq}`;
    const insts = [];
    for (let i = 0; i < 4; i++) insts.push(await protectedInstance(`split-${i}`));
    for (const i of insts) await ctx.emu.admin.volcengine.spotInterruption({ instanceId: i.id, noticeSeconds: 300 });
    await ctx.emu.admin.clearCalls();
    // Two recoveries at once per replica: a claims two, and b — starting once a is under way — the other two.
    let started!: () => void;
    const underWay = new Promise<void>((resolve) => (started = resolve));
    const a = replica("a", { concurrency: 2, afterStep: () => started() });
    const b = replica("b", { concurrency: 2 });
    const passA = a.c.runOnce();
    await underWay;
    await Promise.all([passA, b.c.runOnce()]);
    const all = await rows();
    expect(all.map((r) => r.record.state)).toEqual(["done", "done", "done", "done"]);
    expect(all.map((r) => r.owner).sort()).toEqual(["a", "a", "b", "b"]);
    for (const r of all) expect(beforeRelease(r.record)).toBe(true);
    // One "noticed" per interruption across both replicas, and each recovery's steps run by one of them.
    expect([...a.events, ...b.events].filter((e) => e.kind === "noticed")).toHaveLength(4);
    for (const r of all) {
      const steps = [...a.events, ...b.events].filter((e) => e.eventId === r.record.eventId && e.kind === "step");
      expect(steps.map((e) => e.step)).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
    }
    for (const i of insts) expect(await cloudCounts(i.id)).toEqual({ replacements: 1, finals: 1 });
    expect(await ctx.emu.admin.calls({ action: "RunInstances" }).then((c) => c.filter((x) => x.status === 200))).toHaveLength(4);
  });

  it.each<StepName>(["point", "wait-point", "relaunch", "wait-running"])(
    "a replica that dies holding a claim after the %s step (no release) is finished by another once its lease lapsed, before the release",
    async (dieAt) => {
      scope = `volcengine/die-${dieAt}-${++seq}`;
      const inst = await protectedInstance(`die-${dieAt}`);
      await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
      const abort = new AbortController();
      const dying = replica("dying", {
        signal: abort.signal,
        afterStep: async (_r, step) => {
          if (step !== dieAt) return;
          await dying.journal.close(); // gone: it can neither release its claim nor write again
          abort.abort(new Error(`died after ${step}`));
          throw abort.signal.reason;
        },
      });
      await expect(dying.c.runOnce()).rejects.toThrow(`died after ${dieAt}`);
      expect((await rows())[0]).toMatchObject({ owner: "dying", generation: 1 });

      const heir = replica("heir");
      expect((await heir.c.runOnce()).recoveries.map((r) => r.state)).toEqual(["in-progress"]); // the lease still lives: left alone
      expect(heir.events.filter((e) => e.kind === "step")).toEqual([]);
      await lapseAll();
      const pass = await heir.c.runOnce();
      expect(pass.recoveries.map((r) => r.state)).toEqual(["done"]);
      expect(beforeRelease(pass.recoveries[0])).toBe(true);
      expect(pass.recoveries[0].deadlineMet).toBe(true);
      expect(heir.events.filter((e) => e.kind === "step").map((e) => e.step)).not.toContain(dieAt);
      expect((await rows())[0]).toMatchObject({ owner: "heir", generation: 2 });
      expect(await cloudCounts(inst.id)).toEqual({ replacements: 1, finals: 1 });
    },
  );

  it("a replica paused past its lease wakes up to a refused write; the new owner's finished recovery stands", async () => {
    scope = `volcengine/paused-${++seq}`;
    const inst = await protectedInstance("paused");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    let pausedOnce = false;
    let pause!: () => void;
    const paused = new Promise<void>((resolve) => (pause = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const sleeper = replica("sleeper", {
      // Its clock stops inside the wait for the point (as a process stopped by the OS would) until told.
      clock: {
        now: () => ctx.emu.clock.now(),
        sleep: async (ms) => {
          if (!pausedOnce) {
            pausedOnce = true;
            pause();
            await resumed;
          }
          ctx.emu.clock.advance(ms);
        },
      },
    });
    const asleep = sleeper.c.runOnce();
    await paused;
    await lapseAll();
    const heir = replica("heir");
    const pass = await heir.c.runOnce();
    expect(pass.recoveries.map((r) => r.state)).toEqual(["done"]);
    const done = (await rows())[0];
    resume();
    await expect(asleep).rejects.toThrow(ClaimLostError);
    await expect(asleep).rejects.toThrow(/by sleeper: its claim \(generation 1\) was taken over by heir \(generation 2\)/);
    expect((await rows())[0]).toEqual(done);
    expect(await cloudCounts(inst.id)).toEqual({ replacements: 1, finals: 1 });
  });
});
