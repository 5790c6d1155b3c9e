// The recovery controller on Alibaba Cloud, against the emulator through the real SDK, on a frozen clock:
// emulated time moves a fixed step per cloud request and by whatever the controller sleeps, never with the
// machine's clock, so every deadline here is decided the same way on any machine. The controller, planner
// and journal are the ones Volcengine runs (provider/recovery/); AlicloudRecovery is the cloud side.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AlicloudClient } from "../../provider/alicloud/client";
import { AlicloudRecovery } from "../../provider/alicloud/recovery";
import { syncTags } from "../../provider/alicloud/tags";
import { alicloudConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type ControllerOptions, type RecoveryEvent } from "../../provider/recovery/controller";
import { FileJournal, type StepName } from "../../provider/recovery/journal";
import { encodePolicy, TAGS, type RecoveryPolicy } from "../../provider/recovery/policy";
import { useEmulator } from "../support/emulator";
import { killedAfter } from "../support/kill";
import { steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } });
const SYSTEM_MARKER = "/var/lib/app/marker";
const DATA_MARKER = "/data/marker";
const USER_DATA = Buffer.from("#!/bin/sh\necho recovered > /etc/motd\n").toString("base64");
const POLICY: RecoveryPolicy = { onInterruption: "image-and-relaunch", keepImages: 2 };

const stepped = (): Clock => steppedClock(ctx.emu);
const client = () => AlicloudClient.for(alicloudConnection(undefined));
const cloud = () => new AlicloudRecovery(client(), stepped());

/** A preemptible instance launched through the API, markers on both disks, protected by `policy` (the policy tag). */
async function protectedInstance(name: string, o: { policy?: RecoveryPolicy; dataSize?: number; extra?: Record<string, string | number | boolean> } = {}): Promise<string> {
  const res = await client().call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", {
    ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
    InstanceType: "ecs.g7.large",
    VSwitchId: "vsw-emu-cn-hangzhou-i",
    SecurityGroupIds: ["sg-emu-default"],
    InstanceName: name,
    HostName: `${name}-host`,
    Password: "Recover-Me-1!",
    UserData: USER_DATA,
    SpotStrategy: "SpotWithPriceLimit",
    SpotPriceLimit: 0.5,
    "SystemDisk.Category": "cloud_essd",
    "SystemDisk.Size": 40,
    "SystemDisk.PerformanceLevel": "PL0",
    "DataDisk.1.Category": "cloud_auto",
    "DataDisk.1.Size": o.dataSize ?? 100,
    "DataDisk.1.DeleteWithInstance": false,
    "Tag.1.Key": "team",
    "Tag.1.Value": "sre",
    ...o.extra,
  });
  const id = res.InstanceIdSets.InstanceIdSet[0];
  ctx.emu.clock.advance(30_000);
  await syncTags(client(), "instance", id, {}, { [TAGS.policy]: encodePolicy(o.policy ?? POLICY) });
  await ctx.emu.admin.alicloud.writeFile({ instanceId: id, path: SYSTEM_MARKER, content: `data of ${name}` });
  await ctx.emu.admin.alicloud.writeFile({ instanceId: id, path: DATA_MARKER, content: `more data of ${name}`, disk: 1 });
  return id;
}

function controller(journalFile: string, extra: Partial<ControllerOptions> = {}) {
  const events: RecoveryEvent[] = [];
  const journal = new FileJournal(journalFile);
  const c = new RecoveryController({ cloud: cloud(), journal, clock: stepped(), onEvent: (e) => events.push(e), ...extra });
  return { c, events, journal };
}

const journalPath = () => path.join(mkdtempSync(path.join(tmpdir(), "alicloud-recovery-")), "journal.json");
const tagsOf = (i: any) => Object.fromEntries((i.tags ?? []).map((t: any) => [t.Key, t.Value]));

async function replacementsOf(instanceId: string) {
  const state = await ctx.emu.admin.alicloud.state();
  return state.instances.filter((i) => tagsOf(i)[TAGS.origin] === instanceId && i.InstanceId !== instanceId);
}
async function pointsOf(instanceId: string, kind?: string) {
  const state = await ctx.emu.admin.alicloud.state();
  return state.images.filter((g) => tagsOf(g)[TAGS.source] === instanceId && (!kind || tagsOf(g)[TAGS.point].startsWith(`kind=${kind}`)));
}

describe("spot recovery on Alibaba Cloud", () => {
  it("images every disk and relaunches in the same zone and vSwitch before the release, keeping data, disks, spot settings, login, user data and tags", async () => {
    const id = await protectedInstance("web");
    const { releaseAt } = await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const { c, events } = controller(journalPath());
    const pass = await c.runOnce();
    expect(pass).toMatchObject({ protectedInstances: 1, interruptions: 1, failed: 0 });
    const rec = pass.recoveries[0];
    expect(rec).toMatchObject({ cloud: "alicloud", state: "done", pointSource: "final", deadlineMet: true, eventId: `preempt-${id}` });
    expect(events.map((e) => e.step ?? e.kind)).toEqual(["noticed", "point", "wait-point", "relaunch", "wait-running", "prune", "done"]);
    expect(Date.parse(rec.steps["wait-running"]!.endedAt!)).toBeLessThan(Date.parse(releaseAt));
    // The release the controller computed: when it first saw the lock + 5 minutes — a few requests late here,
    // as no earlier pass had seen the instance unlocked (see the margins test for the conservative bound).
    expect(Math.abs(Date.parse(rec.releaseAt) - Date.parse(releaseAt))).toBeLessThanOrEqual(10_000);

    const [rep] = await replacementsOf(id);
    expect(rep.InstanceId).toBe(rec.replacementId);
    expect(rep).toMatchObject({ ZoneId: "cn-hangzhou-i", VSwitchId: "vsw-emu-cn-hangzhou-i", InstanceType: "ecs.g7.large", SecurityGroupIds: ["sg-emu-default"], HostName: "web-host", SpotStrategy: "SpotWithPriceLimit", SpotPriceLimit: 0.5, credential: "password", UserData: USER_DATA, ImageId: rec.pointId });
    expect(rep.disks.map((d: any) => [d.Type, d.Category, d.Size, d.PerformanceLevel ?? null, d.DeleteWithInstance])).toEqual([
      ["system", "cloud_essd", 40, "PL0", true],
      ["data", "cloud_auto", 100, null, false],
    ]);
    expect(tagsOf(rep)).toMatchObject({ team: "sre", [TAGS.policy]: "on=image-and-relaunch keep=2", [TAGS.origin]: id });
    expect(await ctx.emu.admin.alicloud.files(rep.InstanceId, 0)).toEqual({ [SYSTEM_MARKER]: "data of web" });
    expect(await ctx.emu.admin.alicloud.files(rep.InstanceId, 1)).toEqual({ [DATA_MARKER]: "more data of web" });
    ctx.emu.clock.advance(300_000);
    expect((await ctx.emu.admin.alicloud.state()).instances.some((i) => i.InstanceId === id)).toBe(false);
  });

  it("a pass with nothing interrupted reads the fleet in pages (no call per instance) and takes no point", async () => {
    for (let i = 0; i < 3; i++) await protectedInstance(`idle-${i}`);
    await ctx.emu.admin.clearCalls();
    expect(await controller(journalPath()).c.runOnce()).toMatchObject({ protectedInstances: 3, interruptions: 0 });
    const calls = (await ctx.emu.admin.calls({ cloud: "alicloud" })).map((c) => c.action);
    expect(calls.filter((a) => a === "ListTagResources")).toHaveLength(1);
    expect(calls.filter((a) => a === "DescribeInstances")).toHaveLength(2); // the fleet, then its locks
    expect(calls.filter((a) => a === "CreateImage")).toHaveLength(0);
  });

  it.each<StepName>(["point", "wait-point", "relaunch", "wait-running", "prune"])(
    "a controller killed after the %s step, restarted on the same journal, finishes with one point and one replacement",
    async (killAt) => {
      const id = await protectedInstance(`kill-${killAt}`);
      await ctx.emu.admin.alicloud.preemption({ instanceId: id });
      const file = journalPath();
      const first = controller(file, killedAfter(killAt));
      await expect(first.c.runOnce()).rejects.toThrow(`killed after ${killAt}`);
      const second = controller(file);
      const pass = await second.c.runOnce();
      expect(pass.recoveries.map((r) => r.state)).toEqual(["done"]);
      expect(await replacementsOf(id)).toHaveLength(1);
      expect(await pointsOf(id, "final")).toHaveLength(1);
      expect(second.events.filter((e) => e.kind === "step").map((e) => e.step)).not.toContain(killAt);
    },
  );

  it("a controller killed between RunInstances and its journal write repeats the relaunch without a second instance", async () => {
    const id = await protectedInstance("lost-write");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const file = journalPath();
    const before = `${file}.before-relaunch`;
    const abort = new AbortController();
    const first = controller(file, {
      signal: abort.signal,
      afterStep: (_r, step) => {
        if (step === "wait-point") copyFileSync(file, before);
        if (step === "relaunch") {
          abort.abort(new Error("killed"));
          throw abort.signal.reason;
        }
      },
    });
    await expect(first.c.runOnce()).rejects.toThrow("killed");
    copyFileSync(before, file);
    expect((await controller(file).c.runOnce()).recoveries[0].state).toBe("done");
    expect(await replacementsOf(id)).toHaveLength(1);
    expect((await ctx.emu.admin.calls({ action: "RunInstances" })).filter((r) => JSON.stringify(r.params).includes(id))).toHaveLength(1);
  });

  it("still recovers when calls are throttled, fail transiently, or lose their answers", async () => {
    const id = await protectedInstance("faulty");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    await ctx.emu.admin.addFault({ cloud: "alicloud", action: "DescribeInstances", kind: "5xx", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "alicloud", action: "CreateImage", kind: "lose-response", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "alicloud", action: "DescribeImages", kind: "throttle", count: 2 });
    await ctx.emu.admin.addFault({ cloud: "alicloud", action: "RunInstances", kind: "lose-response", count: 1 });
    await ctx.emu.admin.addFault({ cloud: "alicloud", action: "ListTagResources", kind: "throttle", count: 1 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries[0]).toMatchObject({ state: "done", deadlineMet: true });
    expect(await replacementsOf(id)).toHaveLength(1);
    expect(await pointsOf(id, "final")).toHaveLength(1);
    expect((await ctx.emu.admin.calls()).filter((c) => c.fault)).toHaveLength(6);
  });

  it("two controllers with separate journals: one point and one replacement in the end", async () => {
    const id = await protectedInstance("twins");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const [a, b] = [controller(journalPath()), controller(journalPath())];
    const passes = await Promise.all([a.c.runOnce(), b.c.runOnce()]);
    expect(passes.map((p) => p.recoveries[0].state)).toEqual(["done", "done"]);
    expect(passes[0].recoveries[0].replacementId).toBe(passes[1].recoveries[0].replacementId);
    ctx.emu.clock.advance(600_000);
    expect(await replacementsOf(id)).toHaveLength(1);
    expect(await pointsOf(id, "final")).toHaveLength(1);
  });

  it("with the journal lost after the release, finds the interruption from its final point and recovers", async () => {
    const id = await protectedInstance("amnesia");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const abort = new AbortController();
    const first = controller(journalPath(), {
      signal: abort.signal,
      afterStep: (_r, step) => {
        if (step === "wait-point") {
          abort.abort(new Error("machine lost"));
          throw abort.signal.reason;
        }
      },
    });
    await expect(first.c.runOnce()).rejects.toThrow("machine lost");
    ctx.emu.clock.advance(301_000); // the controller's machine was down for the rest of the notice…
    const { c, events } = controller(journalPath()); // …and came back with an empty journal
    const pass = await c.runOnce();
    expect(events[0]).toMatchObject({ kind: "found", instanceId: id });
    expect(pass.recoveries[0]).toMatchObject({ state: "done", pointSource: "final" });
    const [rep] = await replacementsOf(id);
    expect(await ctx.emu.admin.alicloud.files(rep.InstanceId, 1)).toEqual({ [DATA_MARKER]: "more data of amnesia" });
  });

  it("relaunches in the first fallback zone with stock, inside the notice", async () => {
    const id = await protectedInstance("stock", { policy: { ...POLICY, fallbacks: [{ zoneId: "cn-hangzhou-j", subnetId: "vsw-emu-cn-hangzhou-j" }] } });
    await ctx.emu.admin.alicloud.settings({ stockOut: [{ zoneId: "cn-hangzhou-i" }] });
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const rec = (await controller(journalPath()).c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", deadlineMet: true, placement: { zoneId: "cn-hangzhou-j", subnetId: "vsw-emu-cn-hangzhou-j" } });
    expect(rec.placementNote).toMatch(/cn-hangzhou-i .*had no stock: OperationDenied\.NoStock; relaunched in cn-hangzhou-j/);
    const [rep] = await replacementsOf(id);
    expect(rep).toMatchObject({ ZoneId: "cn-hangzhou-j", VSwitchId: "vsw-emu-cn-hangzhou-j" });
  });

  it("relaunches an instance that had neither password nor key pair (keys in user data) without PasswordInherit, and one with a key pair with it", async () => {
    const bare = await protectedInstance("bare", { extra: { Password: undefined } as any });
    const keyed = await protectedInstance("keyed", { extra: { Password: undefined, KeyPairName: "ops" } as any });
    for (const id of [bare, keyed]) await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries.map((r) => r.state)).toEqual(["done", "done"]);
    const [bareRep] = await replacementsOf(bare);
    const [keyedRep] = await replacementsOf(keyed);
    expect(bareRep).toMatchObject({ credential: "none", UserData: USER_DATA });
    expect(keyedRep).toMatchObject({ credential: "keypair", KeyPairName: "ops" });
    expect((await ctx.emu.admin.calls({ action: "RunInstances" })).filter((c) => c.code).map((c) => c.code)).toEqual(["InvalidParameter.PasswordInherit"]);
  });

  it("a pushed CloudMonitor event names the instance; the push's time is the notice's start, and the poll after it recovers nothing twice", async () => {
    const id = await protectedInstance("pushed");
    const { lockedAt } = await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    ctx.emu.clock.advance(40_000); // the controller hears of it 40 s late
    const { c, journal, events } = controller(journalPath());
    expect(await c.handlePush(id, { at: lockedAt })).toBe("recovering");
    expect(await journal.get(`preempt-${id}`)).toMatchObject({ state: "done", noticedAt: new Date(lockedAt).toISOString(), releaseAt: new Date(Date.parse(lockedAt) + 300_000).toISOString() });
    expect(events[0]).toMatchObject({ kind: "noticed", source: "push" });
    await c.runOnce(); // the poll sees the same lock: journaled already, nothing more happens
    expect(events.filter((e) => e.kind === "noticed")).toHaveLength(1);
    expect(await replacementsOf(id)).toHaveLength(1);
  });
});

describe("deadlines on Alibaba Cloud (the frozen clock)", () => {
  it("recovers from the newest rolling point when the final image cannot finish before the release, and says how old the data is", async () => {
    const id = await protectedInstance("big", { policy: { ...POLICY, keepImages: 3, imageEvery: "30m" } });
    const file = journalPath();
    expect((await controller(file).c.runOnce()).interruptions).toBe(0); // a healthy pass takes the rolling point
    ctx.emu.clock.advance(600_000);
    await ctx.emu.admin.alicloud.changeRate({ instanceId: id, changeGiBPerHour: 100_000 });
    await ctx.emu.admin.alicloud.settings({ imageSecondsPerGiB: 60 }); // 140 GiB changed × 60 s: far beyond the notice
    await ctx.emu.admin.alicloud.writeFile({ instanceId: id, path: SYSTEM_MARKER, content: "newer, lost" });
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const { c, events } = controller(file);
    const rec = (await c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "rolling", deadlineMet: false });
    expect(rec.dataAgeMs).toBeGreaterThanOrEqual(600_000);
    expect(events.find((e) => e.kind === "done")!.message).toMatch(/deadline MISSED.*recovered data is \d+m\d+s old/);
    expect(await ctx.emu.admin.alicloud.files(rec.replacementId!, 0)).toEqual({ [SYSTEM_MARKER]: "data of big" });
    expect(await ctx.emu.admin.alicloud.files(rec.replacementId!, 1)).toEqual({ [DATA_MARKER]: "more data of big" });
  });

  it("says the data is lost when there is neither time nor a rolling point, and fails the pass", async () => {
    const id = await protectedInstance("doomed");
    await ctx.emu.admin.alicloud.settings({ imageSecondsPerGiB: 60 }); // the first image is a full copy: 140 GiB × 60 s
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.failed).toBe(1);
    expect(pass.recoveries[0].error).toMatch(new RegExp(`no earlier recovery point.*data on ${id} is lost`));
  });

  it("with an image that completes after the release, recovers late and says the deadline was missed", async () => {
    await ctx.emu.admin.alicloud.settings({ imageSecondsPerGiB: 3, imageWhenInstanceReleased: "completes" });
    const id = await protectedInstance("late");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const rec = (await controller(journalPath()).c.runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", pointSource: "final", deadlineMet: false });
    expect(await ctx.emu.admin.alicloud.files(rec.replacementId!, 1)).toEqual({ [DATA_MARKER]: "more data of late" });
  });

  it("measures the margin of every step on the stepped clock; after a pass that saw the instance unlocked, the release it assumes is never later than the cloud's", async () => {
    const id = await protectedInstance("margins");
    const file = journalPath();
    const { c } = controller(file);
    await c.runOnce(); // a healthy pass: the instance is seen unlocked
    ctx.emu.clock.advance(30_000);
    const { releaseAt } = await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    ctx.emu.clock.advance(20_000); // the next pass comes 20 s after the lock
    const rec = (await c.runOnce()).recoveries[0];
    expect(Date.parse(rec.releaseAt)).toBeLessThanOrEqual(Date.parse(releaseAt));
    expect(Date.parse(releaseAt) - Date.parse(rec.releaseAt)).toBeLessThanOrEqual(40_000); // at most the gap since that pass
    const margins = Object.fromEntries(Object.entries(rec.steps).map(([k, v]) => [k, v!.marginMs]));
    // Every step ends before the release the controller assumed (a first, full image of 140 GiB takes 160 s here).
    expect(Object.keys(margins)).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
    for (const m of Object.values(margins)) expect(m!).toBeGreaterThan(0);
    if (process.env.PRINT_MARGINS) console.log(JSON.stringify(margins));
  });
});
