// The recovery controller against the emulator, through the real SDK, on a frozen clock: emulated time
// moves a fixed step per cloud request and by whatever the controller sleeps, never with the machine's
// clock, so every deadline here is decided the same way on any machine.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spotInstanceProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type ControllerOptions, type RecoveryEvent } from "../../provider/recovery/controller";
import { FileJournal, type StepName } from "../../provider/recovery/journal";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { useEmulator } from "../support/emulator";
import { killedAfter } from "../support/kill";
import { steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } });
const MARKER = "/var/lib/app/marker";
const DATA_MARKER = "/data/marker";
const USER_DATA = "#!/bin/sh\necho recovered > /etc/motd\n";

const stepped = (): Clock => steppedClock(ctx.emu);

async function protectedInstance(name: string, extra: Record<string, unknown> = {}) {
  const news = {
    zoneId: "cn-beijing-b",
    imageId: "image-debian12-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-emu-cn-beijing-b",
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    hostname: `${name}-host`,
    password: "Recover-Me-1!",
    userData: USER_DATA,
    dataVolumes: [{ size: 20, volumeType: "ESSD_FlexPL", deleteWithInstance: false }],
    tags: { team: "sre" },
    recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
    __identity: `test/dev/${name}`,
    ...extra,
  };
  const { inputs, failures } = await spotInstanceProvider.check!({}, news);
  expect(failures ?? []).toEqual([]);
  const created = await spotInstanceProvider.create(inputs!);
  await ctx.emu.admin.volcengine.writeFile({ instanceId: created.id, path: MARKER, content: `data of ${name}` });
  await ctx.emu.admin.volcengine.writeFile({ instanceId: created.id, path: DATA_MARKER, content: `more data of ${name}`, volume: 1 });
  return created;
}

const cloud = () => new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined)));

function controller(journalFile: string, extra: Partial<ControllerOptions> = {}) {
  const events: RecoveryEvent[] = [];
  const journal = new FileJournal(journalFile);
  const c = new RecoveryController({ cloud: cloud(), journal, clock: stepped(), onEvent: (e) => events.push(e), ...extra });
  return { c, events, journal };
}

const journalPath = () => path.join(mkdtempSync(path.join(tmpdir(), "recovery-test-")), "journal.json");
const tagsOf = (i: any) => Object.fromEntries(i.Tags.map((t: any) => [t.Key, t.Value]));

async function replacementsOf(instanceId: string) {
  const state = await ctx.emu.admin.volcengine.state();
  return state.instances.filter((i) => tagsOf(i)["pulumi-recovery:origin"] === instanceId && i.InstanceId !== instanceId);
}
async function pointsOf(instanceId: string, kind?: string) {
  const state = await ctx.emu.admin.volcengine.state();
  return state.snapshotGroups.filter((g) => tagsOf(g)["pulumi-recovery:source"] === instanceId && (!kind || tagsOf(g)["pulumi-recovery:point"].startsWith(`kind=${kind}`)));
}

describe("spot recovery", () => {
  it("takes a point of every disk and relaunches in the same zone before the release, keeping data, volumes, hostname, password and user data", async () => {
    const inst = await protectedInstance("web");
    const { releaseAt } = await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(journalPath());
    const pass = await c.runOnce();
    expect(pass).toMatchObject({ protectedInstances: 1, interruptions: 1, failed: 0 });
    const rec = pass.recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "final", deadlineMet: true });
    expect(events.map((e) => e.step ?? e.kind)).toEqual(["noticed", "point", "wait-point", "relaunch", "wait-running", "prune", "done"]);
    expect(Date.parse(rec.steps["wait-running"]!.endedAt!)).toBeLessThan(Date.parse(releaseAt));

    const [rep] = await replacementsOf(inst.id);
    expect(rep.InstanceId).toBe(rec.replacementId);
    expect(rep).toMatchObject({ ZoneId: "cn-beijing-b", Hostname: "web-host", credential: { kind: "password" }, userData: Buffer.from(USER_DATA).toString("base64") });
    expect(rep.volumes.map((v: any) => [v.Kind, v.VolumeType, v.Size, v.DeleteWithInstance])).toEqual([
      ["system", "ESSD_PL0", 40, true],
      ["data", "ESSD_FlexPL", 20, false],
    ]);
    expect(tagsOf(rep)).toMatchObject({ team: "sre", "pulumi-recovery:policy": "on=image-and-relaunch keep=2", "pulumi-recovery:origin": inst.id });
    expect(Object.keys(tagsOf(rep)).filter((k) => k.startsWith("volc:"))).toEqual(["volc:ecs:launch-source"]); // the cloud's own, not copied
    expect(await ctx.emu.admin.volcengine.files(rep.InstanceId, 0)).toMatchObject({ [MARKER]: "data of web" });
    expect(await ctx.emu.admin.volcengine.files(rep.InstanceId, 1)).toEqual({ [DATA_MARKER]: "more data of web" });

    // The stack converges: refresh reads the replacement in place of the released instance, and the next diff is clean.
    ctx.emu.clock.advance(301_000);
    const refreshed = await spotInstanceProvider.read!(inst.id, inst.outs);
    expect(refreshed.id).toBe(rec.replacementId);
    expect(refreshed.props).toMatchObject({ recoveredFrom: inst.id, origin: inst.id, imageId: "image-debian12-emu", instanceName: "web", tags: { team: "sre" } });
    expect((await spotInstanceProvider.diff!(refreshed.id, refreshed.props, (await spotInstanceProvider.check!(refreshed.props, { ...inst.outs })).inputs!)).changes).toBe(false);
  });

  it("a pass with nothing interrupted asks DescribeSystemEvents once for the whole fleet and takes no point", async () => {
    for (let i = 0; i < 3; i++) await protectedInstance(`idle-${i}`);
    await ctx.emu.admin.clearCalls();
    expect(await controller(journalPath()).c.runOnce()).toMatchObject({ protectedInstances: 3, interruptions: 0 });
    expect(await ctx.emu.admin.calls({ action: "DescribeSystemEvents" })).toHaveLength(1);
    expect(await ctx.emu.admin.calls({ action: "CreateSnapshotGroup" })).toHaveLength(0);
  });

  it("recovers several instances interrupted at once, with one batched event query", async () => {
    const insts = [];
    for (const n of ["a", "b", "c"]) insts.push(await protectedInstance(`multi-${n}`));
    for (const i of insts) await ctx.emu.admin.volcengine.spotInterruption({ instanceId: i.id, noticeSeconds: 300 });
    await ctx.emu.admin.clearCalls();
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries.map((r) => r.state)).toEqual(["done", "done", "done"]);
    expect(await ctx.emu.admin.calls({ action: "DescribeSystemEvents" })).toHaveLength(1);
    for (const i of insts) {
      const [rep] = await replacementsOf(i.id);
      expect(await ctx.emu.admin.volcengine.files(rep.InstanceId, 1)).toEqual({ [DATA_MARKER]: `more data of ${i.outs.instanceName}` });
    }
  });

  it.each<StepName>(["point", "wait-point", "relaunch", "wait-running", "prune"])(
    "a controller killed after the %s step, restarted on the same journal, finishes with one point and one replacement",
    async (killAt) => {
      const inst = await protectedInstance(`kill-${killAt}`);
      await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
      const file = journalPath();
      const first = controller(file, killedAfter(killAt));
      await expect(first.c.runOnce()).rejects.toThrow(`killed after ${killAt}`);
      const second = controller(file);
      const pass = await second.c.runOnce();
      expect(pass.recoveries.map((r) => r.state)).toEqual(["done"]);
      expect(await replacementsOf(inst.id)).toHaveLength(1);
      expect(await pointsOf(inst.id, "final")).toHaveLength(1);
      expect(second.events.filter((e) => e.kind === "step").map((e) => e.step)).not.toContain(killAt);
    },
  );

  it("a controller killed between a cloud call and its journal write repeats the call without duplicating anything", async () => {
    const inst = await protectedInstance("lost-write");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const file = journalPath();
    const before = `${file}.before-relaunch`;
    const abort = new AbortController();
    const first = controller(file, {
      signal: abort.signal,
      afterStep: (_r, step) => {
        if (step === "wait-point") copyFileSync(file, before); // the journal as it was before the relaunch
        if (step === "relaunch") {
          abort.abort(new Error("killed"));
          throw abort.signal.reason;
        }
      },
    });
    await expect(first.c.runOnce()).rejects.toThrow("killed");
    copyFileSync(before, file); // the relaunch happened in the cloud, but the journal never heard of it
    const pass = await controller(file).c.runOnce();
    expect(pass.recoveries[0].state).toBe("done");
    expect(await replacementsOf(inst.id)).toHaveLength(1);
    // The second relaunch looked first and found the replacement by its token: one RunInstances in all.
    expect((await ctx.emu.admin.calls({ action: "RunInstances" })).filter((r) => r.params["Tags.1.Key"] !== undefined && JSON.stringify(r.params).includes(inst.id))).toHaveLength(1);
  });

  it("still recovers when cloud calls are throttled, fail transiently, or lose their answers", async () => {
    const inst = await protectedInstance("faulty");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeSystemEvents", kind: "5xx", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "CreateSnapshotGroup", kind: "lose-response", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "CreateImage", kind: "throttle", count: 2 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "lose-response", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeSnapshotGroups", kind: "5xx", count: 2 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries[0]).toMatchObject({ state: "done", deadlineMet: true });
    expect(await replacementsOf(inst.id)).toHaveLength(1);
    expect(await pointsOf(inst.id, "final")).toHaveLength(1);
    expect((await ctx.emu.admin.volcengine.state()).images).toHaveLength(1);
    expect((await ctx.emu.admin.calls()).filter((c) => c.fault)).toHaveLength(7);
  });

  it("a failed step stays retryable within the notice: retried with backoff, never given up while it can succeed", async () => {
    const inst = await protectedInstance("stubborn");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    // Three RunInstances answers in a row that the retry policy does not retry (a permanent-looking code).
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "5xx", code: "InvalidParameter", status: 400, count: 3 });
    const { c, events } = controller(journalPath());
    const pass = await c.runOnce();
    expect(pass.recoveries[0]).toMatchObject({ state: "done", attempts: 3 });
    expect(events.filter((e) => e.kind === "retry").map((e) => e.step)).toEqual(["relaunch", "relaunch", "relaunch"]);
    expect(await replacementsOf(inst.id)).toHaveLength(1);
  });

  it("transient failures never give a recovery up, however many (--once leaves the rest to the next run); other failures do, after maxAttempts", async () => {
    const inst = await protectedInstance("patient");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    // Three relaunch tries in a row fail through every retry of CreateImage (5 attempts each): more than maxAttempts.
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "CreateImage", kind: "5xx", count: 15 });
    const file = journalPath();
    const { c, events } = controller(file, { maxAttempts: 2 });
    // One --once pass waits out maxAttempts retries, then leaves the recovery in progress for the next run.
    expect((await c.runOnce()).recoveries[0]).toMatchObject({ state: "in-progress", attempts: 3, hardFailures: 0, retryAt: expect.any(String) });
    expect(events.filter((e) => e.kind === "retry").map((e) => e.step)).toEqual(["relaunch", "relaunch", "relaunch"]);
    expect((await controller(file, { maxAttempts: 2 }).c.runOnce()).recoveries[0]).toMatchObject({ state: "done", attempts: 3, hardFailures: 0 });
    expect(await replacementsOf(inst.id)).toHaveLength(1);

    const other = await protectedInstance("refused");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: other.id, noticeSeconds: 300 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "5xx", code: "InvalidParameter", status: 400, count: 2 });
    const refused = (await controller(journalPath(), { maxAttempts: 2 }).c.runOnce()).recoveries[0];
    expect(refused).toMatchObject({ state: "failed", hardFailures: 2 });
    expect(refused.error).toMatch(/relaunch: .*InvalidParameter.*gave up after 2 tries/);
  });

  it("journaled recoveries are carried even when finding new interruptions fails; the pass still reports the failure", async () => {
    const inst = await protectedInstance("carried");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const file = journalPath();
    const abort = new AbortController();
    const first = controller(file, {
      signal: abort.signal,
      afterStep: (_r, step) => {
        if (step === "point") {
          abort.abort(new Error("killed"));
          throw abort.signal.reason;
        }
      },
    });
    await expect(first.c.runOnce()).rejects.toThrow("killed");
    // The next pass cannot list the fleet (every DescribeInstances attempt of it fails)…
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "5xx", count: 10 }); // both of its lists, 5 attempts each
    const second = controller(file);
    await expect(second.c.runOnce()).rejects.toThrow(/DescribeInstances failed: InternalServiceError/);
    // …and still carries the recovery it has on record to its end.
    expect(await second.journal.all()).toMatchObject([{ instanceId: inst.id, state: "done" }]);
    expect(await replacementsOf(inst.id)).toHaveLength(1);
  });

  it("with the journal lost after the release, still finds the interruption from its recovery point and recovers", async () => {
    const inst = await protectedInstance("amnesia", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "5m" } });
    await controller(journalPath()).c.runOnce(); // a healthy pass: a rolling point, with the configuration in its tags
    ctx.emu.clock.advance(3_600_000);
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    ctx.emu.clock.advance(301_000); // the controller's machine was down for the whole notice…
    expect((await ctx.emu.admin.volcengine.state()).instances.some((i) => i.InstanceId === inst.id)).toBe(false);
    const { c, events } = controller(journalPath()); // …and came back with an empty journal
    const pass = await c.runOnce();
    expect(events[0]).toMatchObject({ kind: "found", instanceId: inst.id });
    expect(pass.recoveries[0]).toMatchObject({ state: "done", pointSource: "rolling", deadlineMet: false });
    const [rep] = await replacementsOf(inst.id);
    expect(rep).toMatchObject({ Hostname: "amnesia-host", userData: Buffer.from(USER_DATA).toString("base64") });
    expect(await ctx.emu.admin.volcengine.files(rep.InstanceId, 1)).toEqual({ [DATA_MARKER]: "more data of amnesia" });
  });

  it("a stack destroyed during the notice, after the recovery but before any refresh, deletes the replacement too", async () => {
    const inst = await protectedInstance("hasty");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await controller(journalPath()).c.runOnce()).recoveries[0];
    expect(rec.state).toBe("done");
    // The stack still holds the interrupted instance (no refresh since): its destroy takes the line with it.
    await spotInstanceProvider.delete!(inst.id, inst.outs);
    const left = (await ctx.emu.admin.volcengine.state()).instances.filter((i) => i.Status !== "DELETING");
    expect(left.map((i) => i.InstanceId)).toEqual([]);
  });

  it("two controllers with separate journals: one point and one replacement in the end (duplicates found and deleted)", async () => {
    const inst = await protectedInstance("twins");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const [a, b] = [controller(journalPath()), controller(journalPath())];
    const passes = await Promise.all([a.c.runOnce(), b.c.runOnce()]);
    expect(passes.map((p) => p.recoveries[0].state)).toEqual(["done", "done"]);
    expect(passes[0].recoveries[0].replacementId).toBe(passes[1].recoveries[0].replacementId);
    ctx.emu.clock.advance(600_000);
    expect(await replacementsOf(inst.id)).toHaveLength(1);
    expect(await pointsOf(inst.id, "final")).toHaveLength(1);
  });
});

describe("the guest told first", () => {
  it("a guest hook flushes what the application wrote just before the notice into the final point (RPO 0); without it that data is lost", async () => {
    const hooked = await protectedInstance("hooked", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, guestHook: { command: "#!/bin/sh\nsync\n", timeoutSeconds: 20 } } });
    const plain = await protectedInstance("plain");
    for (const inst of [hooked, plain]) {
      // Written by the application, still in the guest's page cache when the notice comes.
      await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: "/data/last-second", content: "committed", volume: 1, buffered: true });
      await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    }
    const { c, events } = controller(journalPath());
    const pass = await c.runOnce();
    const rec = (id: string) => pass.recoveries.find((r) => r.instanceId === id)!;
    expect(rec(hooked.id)).toMatchObject({ state: "done", guest: { answered: true }, deadlineMet: true });
    expect(rec(plain.id).guest).toBeUndefined();
    expect(events.filter((e) => e.step === "guest-hook").map((e) => e.instanceId)).toEqual([hooked.id]);
    const [hookedRep] = await replacementsOf(hooked.id);
    const [plainRep] = await replacementsOf(plain.id);
    expect(await ctx.emu.admin.volcengine.files(hookedRep.InstanceId, 1)).toMatchObject({ "/data/last-second": "committed" });
    expect(await ctx.emu.admin.volcengine.files(plainRep.InstanceId, 1)).not.toHaveProperty("/data/last-second");
  });

  it("a guest that does not answer costs at most its budget; the recovery images anyway and says so", async () => {
    const inst = await protectedInstance("silent", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, guestHook: { command: "sync", timeoutSeconds: 30 } } });
    await ctx.emu.admin.volcengine.guest({ instanceId: inst.id, hang: true });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await controller(journalPath()).c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", deadlineMet: true, guest: { answered: false, detail: expect.stringMatching(/no answer within 30s|ended Timeout/) } });
    expect(rec.steps["guest-hook"]!.ms!).toBeLessThanOrEqual(40_000); // the budget, plus the requests' steps
  });
});

describe("relaunch elsewhere when there is no stock", () => {
  it("recovers in the first fallback zone that has stock, inside the notice; other recoveries skip the exhausted zone; the stack still converges", async () => {
    const fallbacks = [{ zoneId: "cn-beijing-c", subnetId: "subnet-emu-cn-beijing-c" }];
    const a = await protectedInstance("stock-a", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, fallbacks } });
    const b = await protectedInstance("stock-b", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, fallbacks } });
    await ctx.emu.admin.volcengine.settings({ stockOut: [{ zoneId: "cn-beijing-b" }] });
    const { c } = controller(journalPath(), { concurrency: 1, exhaustedTtlMs: 30 * 60_000 });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: a.id, noticeSeconds: 300 });
    const first = (await c.runOnce()).recoveries[0];
    expect(first).toMatchObject({ state: "done", deadlineMet: true, placement: { zoneId: "cn-beijing-c", subnetId: "subnet-emu-cn-beijing-c" } });
    expect(first.placementNote).toMatch(/cn-beijing-b .*had no stock: InsufficientInstanceStock; relaunched in cn-beijing-c/);
    const [repA] = await replacementsOf(a.id);
    expect(repA.ZoneId).toBe("cn-beijing-c");
    // The next recovery (while the cache remembers) does not even try the exhausted zone.
    const before = (await ctx.emu.admin.calls({ action: "RunInstances" })).length;
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: b.id, noticeSeconds: 300 });
    const second = (await c.runOnce()).recoveries.find((r) => r.instanceId === b.id)!;
    expect(second).toMatchObject({ state: "done", placement: { zoneId: "cn-beijing-c" } });
    const tried = (await ctx.emu.admin.calls({ action: "RunInstances" })).slice(before);
    expect(tried.map((t) => t.params.ZoneId)).toEqual(["cn-beijing-c"]);
    // Refresh follows the replacement wherever it landed; the declared zone stays, `placement` says where it runs.
    ctx.emu.clock.advance(301_000);
    const refreshed = await spotInstanceProvider.read!(a.id, a.outs);
    expect(refreshed).toMatchObject({ id: repA.InstanceId, props: { zoneId: "cn-beijing-b", placement: { zoneId: "cn-beijing-c" }, recoveredFrom: a.id } });
    expect((await spotInstanceProvider.diff!(refreshed.id, refreshed.props, (await spotInstanceProvider.check!(refreshed.props, { ...a.outs })).inputs!)).changes).toBe(false);
  });

  it("with no placement in stock, keeps the recovery retryable and says which placements were tried", async () => {
    const inst = await protectedInstance("nowhere", { recovery: { onInterruption: "image-and-relaunch", keepImages: 2, fallbacks: [{ zoneId: "cn-beijing-c", subnetId: "subnet-emu-cn-beijing-c" }] } });
    await ctx.emu.admin.volcengine.settings({ stockOut: [{ zoneId: "cn-beijing-b" }, { zoneId: "cn-beijing-c" }] });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(journalPath(), { waitForRetries: false });
    const rec = (await c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "in-progress", attempts: 1 });
    expect(events.find((e) => e.kind === "retry" && e.step === "relaunch" && /no placement had stock/.test(e.message))!.message).toMatch(/cn-beijing-b .*cn-beijing-c/);
  });
});

describe("rolling points that make the final point fast (a 1,000 GiB disk)", () => {
  const big = { dataVolumes: [{ size: 1000, volumeType: "ESSD_FlexPL", deleteWithInstance: true }] };
  const hours = (h: number) => h * 3_600_000;

  it("with imageEvery auto and a guest hook: the final point and the relaunch fit the notice, and the data written up to the notice is on the replacement (RPO 0)", async () => {
    const inst = await protectedInstance("bigdisk", { ...big, recovery: { onInterruption: "image-and-relaunch", keepImages: 3, imageEvery: "auto", guestHook: { command: "sync" } } });
    await ctx.emu.admin.volcengine.changeRate({ instanceId: inst.id, changeGiBPerHour: 60 });
    const file = journalPath();
    const { c, events } = controller(file);
    // Four hours of a service's passes, one every two minutes.
    for (let t = 0; t < hours(4); t += 120_000) {
      await c.runOnce();
      ctx.emu.clock.advance(120_000);
    }
    const rolling = events.filter((e) => e.kind === "rolling-point" && /started/.test(e.message));
    expect(rolling.length).toBeGreaterThanOrEqual(3);
    expect(rolling.at(-1)!.message).toMatch(/auto: every \d+m/);
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: "/data/up-to-the-notice", content: "the last write", volume: 1, buffered: true });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await c.runOnce()).recoveries.find((r) => r.instanceId === inst.id)!;
    expect(rec).toMatchObject({ state: "done", pointSource: "final", deadlineMet: true, guest: { answered: true } });
    expect(Date.parse(rec.steps["wait-running"]!.endedAt!)).toBeLessThan(Date.parse(rec.releaseAt));
    const [rep] = await replacementsOf(inst.id);
    expect(await ctx.emu.admin.volcengine.files(rep.InstanceId, 1)).toMatchObject({ "/data/up-to-the-notice": "the last write", [DATA_MARKER]: "more data of bigdisk" });
  });

  it("without rolling points the same disk cannot be copied within the notice: it falls back to the stack's baseline and says how old the data is", async () => {
    const { recoveryImageProvider } = await import("../../provider");
    const inst = await protectedInstance("bigdisk-plain", big);
    await ctx.emu.admin.volcengine.changeRate({ instanceId: inst.id, changeGiBPerHour: 60 });
    // The baseline's full copy is made fast here (the test is not about it), then snapshots copy at the default 2 s/GiB.
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 0.01 });
    const baseline = await recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "bigdisk-baseline", __identity: "test/dev/bigdisk-baseline" })).inputs!);
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 2 });
    ctx.emu.clock.advance(hours(3)); // three hours of changes since the baseline: 180 GiB to copy, 370 s
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(journalPath());
    const rec = (await c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "rolling", pointId: baseline.outs.snapshotGroupId, deadlineMet: false });
    expect(rec.dataAgeMs!).toBeGreaterThan(hours(3));
    expect(events.find((e) => e.kind === "done")!.message).toMatch(/deadline MISSED .*recovered data is 3h\d\dm\d\ds old/);
  });
});

describe("the journal", () => {
  it("refuses a second controller process on the same file journal", async () => {
    const file = journalPath();
    writeFileSync(`${file}.lock`, String(process.ppid)); // another live process holds it
    expect(() => new FileJournal(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by another controller .*--store postgres`));
  });

  it("a corrupt or unreadable journal is an error naming the file and what to do; an unknown record is an error, not a skip", async () => {
    const file = journalPath();
    writeFileSync(file, "{ not json");
    expect(() => new FileJournal(file)).toThrow(new RegExp(`journal .*journal.json is not valid JSON.*What to do: move it aside`));
    writeFileSync(file, JSON.stringify({ version: 2, recoveries: { "event-1": { eventId: "event-1", instanceId: "i-1", releaseAt: "x", steps: {}, state: "paused" } } }));
    expect(() => new FileJournal(file)).toThrow(/record event-1 .*unknown state "paused"/);
    writeFileSync(file, JSON.stringify({ version: 1, recoveries: {} }));
    expect(() => new FileJournal(file)).toThrow(/version 1; this controller reads version 2/);
    expect(readFileSync(file, "utf8")).toContain('"version":1'); // never overwritten
  });
});

describe("rolling recovery points", () => {
  it("keeps one rolling point per interval while healthy, prunes to keepImages, and after a recovery keeps the one it used", async () => {
    const inst = await protectedInstance("pruned", { recovery: { onInterruption: "image-and-relaunch", keepImages: 1, imageEvery: "5m" } });
    const file = journalPath();
    await controller(file).c.runOnce();
    await controller(file).c.runOnce(); // same interval: no second rolling point
    expect(await pointsOf(inst.id, "rolling")).toHaveLength(1);
    ctx.emu.clock.advance(6 * 60_000);
    await controller(file).c.runOnce(); // next interval: a new rolling point, the old one pruned (keepImages 1)
    const rolling = await pointsOf(inst.id, "rolling");
    expect(rolling).toHaveLength(1);
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await controller(file).c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "final", prunedPointIds: [rolling[0].SnapshotGroupId] });
    expect((await pointsOf(inst.id)).map((g) => g.SnapshotGroupId)).toEqual([rec.pointId]);
  });
});

describe("deadlines (on the frozen clock)", () => {
  it("recovers from the newest rolling point when the final point cannot finish before the release, and says how old the data is", async () => {
    const inst = await protectedInstance("big", { recovery: { onInterruption: "image-and-relaunch", keepImages: 3, imageEvery: "30m" } });
    const file = journalPath();
    expect((await controller(file).c.runOnce()).interruptions).toBe(0); // a healthy pass takes the rolling point
    ctx.emu.clock.advance(600_000);
    // Then the disk changes too fast to snapshot within the notice, and newer data is written.
    await ctx.emu.admin.volcengine.changeRate({ instanceId: inst.id, changeGiBPerHour: 100_000 });
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 60 }); // 40 GiB changed × 60 s: far beyond the notice
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: MARKER, content: "newer, lost" });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(file);
    const rec = (await c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "rolling", deadlineMet: false });
    expect(rec.dataAgeMs).toBeGreaterThanOrEqual(600_000);
    expect(events.find((e) => e.kind === "done")!.message).toMatch(/deadline MISSED.*recovered data is \d+m\d+s old/);
    expect(await ctx.emu.admin.volcengine.files(rec.replacementId!, 0)).toMatchObject({ [MARKER]: "data of big" });
  });

  it("says the data is lost when there is neither time nor a rolling point, and fails the pass", async () => {
    const inst = await protectedInstance("doomed");
    await ctx.emu.admin.volcengine.changeRate({ instanceId: inst.id, changeGiBPerHour: 100_000 });
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 60 }); // the first point is a full copy: 60 GiB × 60 s
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.failed).toBe(1);
    expect(pass.recoveries[0].error).toMatch(/no earlier recovery point.*data on i-\w+ is lost/);
  });

  it("a disk too big for the notice recovers from its final point, whose image, copied from the finished snapshot after the release, completes", async () => {
    const inst = await protectedInstance("huge", { systemVolume: { size: 1000 }, recovery: { onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "30m" } });
    const file = journalPath();
    await controller(file).c.runOnce(); // the rolling point: a full copy of 1000 GiB (2010 s)
    ctx.emu.clock.advance(3_600_000);
    const { releaseAt } = await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await controller(file).c.runOnce()).recoveries[0];
    // The final point only copies the last hour's changes, in time; its image (520 s) outlives the instance.
    expect(rec).toMatchObject({ state: "done", pointSource: "final", deadlineMet: true });
    expect(rec.attempts).toBeUndefined();
    expect(Date.parse(rec.steps["wait-running"]!.endedAt!)).toBeGreaterThan(Date.parse(releaseAt));
    expect((await ctx.emu.admin.volcengine.state()).images.map((i: any) => i.Status)).toEqual(["available"]);
  });

  it("with a point that completes after the release, recovers late and says the deadline was missed", async () => {
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 10, imageWhenInstanceReleased: "completes" });
    const inst = await protectedInstance("late");
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await controller(journalPath()).c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "final", deadlineMet: false });
    expect(await ctx.emu.admin.volcengine.files(rec.replacementId!, 1)).toEqual({ [DATA_MARKER]: "more data of late" });
  });
});
