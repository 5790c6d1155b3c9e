// recovery.copyToRegion through the controller, the real SDK and the emulator's regions, on a frozen
// clock the test steps: the newest point is copied to the second region over a few passes (image of the
// whole point, CopyImage, the home image removed), `keep` copies stay and exactly the oldest are pruned,
// a failed copy is made again, and a relaunch the home region cannot do comes from the copy.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spotInstanceProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type RecoveryEvent } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { useEmulator } from "../support/emulator";
import { steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } });
const DATA = "/data/app/marker";
const DEST = "cn-shanghai";
const relaunchAt = { zoneId: "cn-shanghai-a", subnetId: "subnet-emu-cn-shanghai-a", securityGroupIds: ["sg-emu-default"] };

const stepped = (): Clock => steppedClock(ctx.emu);
const tagsOf = (i: any) => Object.fromEntries((i.Tags ?? []).map((t: any) => [t.Key, t.Value]));

async function protectedInstance(name: string, copy: Record<string, unknown> = { region: DEST, keep: 2, relaunch: relaunchAt }) {
  const { inputs, failures } = await spotInstanceProvider.check!({}, {
    zoneId: "cn-beijing-a",
    imageId: "image-debian12-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-emu-cn-beijing-a",
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    password: "Recover-Me-1!",
    dataVolumes: [{ size: 20 }],
    tags: { team: "sre" },
    recovery: { keepImages: 2, imageEvery: "30m", copyToRegion: copy },
    __identity: `test/dev/${name}`,
  });
  expect(failures ?? []).toEqual([]);
  return spotInstanceProvider.create(inputs!);
}

function controller() {
  const events: RecoveryEvent[] = [];
  const journal = new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "copies-")), "journal.json"));
  const c = new RecoveryController({ cloud: new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined))), journal, clock: stepped(), onEvent: (e) => events.push(e) });
  return { c, events };
}

const copiesIn = async (region = DEST) => (await ctx.emu.admin.volcengine.state(region)).images.filter((i: any) => tagsOf(i)["pulumi-recovery:copy-of"]);
const homeSources = async () => (await ctx.emu.admin.volcengine.state()).images.filter((i: any) => tagsOf(i)["pulumi-recovery:copy-of"]);
const calls = async (action: string) => (await ctx.emu.admin.calls()).filter((c) => c.action === action);

/** Passes of the controller, `minutes` of emulated time apart, until `done` or `max` passes. */
async function passes(c: RecoveryController, o: { minutes: number; max: number; done?: () => Promise<boolean> }): Promise<number> {
  for (let n = 1; n <= o.max; n++) {
    await c.runOnce();
    if (o.done && (await o.done())) return n;
    ctx.emu.clock.advance(o.minutes * 60_000);
  }
  return o.max;
}

describe("recovery points copied to a second region", () => {
  it("copies the newest point over a few passes, keeps `keep` copies there pruning exactly the oldest, and leaves no image at home", async () => {
    const inst = await protectedInstance("web");
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: DATA, content: "v1", volume: 1 });
    const { c, events } = controller();
    // Pass 1 takes a rolling point; the next ones make the image of the whole point, copy it, and tidy up.
    const n = await passes(c, { minutes: 3, max: 10, done: async () => (await copiesIn()).some((i) => i.Status === "available") && (await homeSources()).length === 0 });
    expect(n).toBeLessThan(10);
    const [first] = await copiesIn();
    expect(first.Snapshots.map((s: any) => s.VolumeKind)).toEqual(["system", "data"]);
    expect(events.filter((e) => e.kind === "copy").map((e) => e.message.replace(/(ssg|image)-\w+/g, "$1")).join("\n")).toMatch(/being prepared[\s\S]*started[\s\S]*available/);
    expect(await calls("CopyImage")).toHaveLength(1);

    // Cycles of the rolling schedule: each new point is copied; two copies stay, the oldest go first.
    const copied: string[] = [first.ImageId];
    for (let cycle = 0; cycle < 3; cycle++) {
      ctx.emu.clock.advance(31 * 60_000);
      await passes(c, { minutes: 3, max: 10, done: async () => (await copiesIn()).filter((i) => i.Status === "available").length >= 2 && !(await copiesIn()).some((i) => !copied.includes(i.ImageId) && i.Status !== "available") && (await homeSources()).length === 0 && (await copiesIn()).some((i) => !copied.includes(i.ImageId)) });
      const now = await copiesIn();
      copied.push(...now.map((i) => i.ImageId).filter((id) => !copied.includes(id)));
      await c.runOnce(); // the pass that prunes
    }
    const left = await copiesIn();
    expect(left.map((i) => i.ImageId).sort()).toEqual(copied.slice(-2).sort());
    expect(await calls("CopyImage")).toHaveLength(4);
    expect(await homeSources()).toEqual([]);
    // Pruning took exactly the two oldest copies, oldest first.
    const pruned = events.filter((e) => e.kind === "pruned" && e.message.includes(DEST)).flatMap((e) => e.message.match(/image-\w+/g) ?? []);
    expect(pruned).toEqual(copied.slice(0, 2));
  });

  it("a copy that fails is deleted and made again; the image to copy from is kept for the retry; a full destination quota is reported each pass", async () => {
    const inst = await protectedInstance("flaky");
    await ctx.emu.admin.volcengine.settings({ copyImageFails: true });
    const { c, events } = controller();
    await passes(c, { minutes: 3, max: 10, done: async () => events.some((e) => e.kind === "copy" && /failed/.test(e.message)) });
    expect((await copiesIn()).filter((i) => i.Status === "error")).toEqual([]); // deleted
    expect(events.find((e) => /failed/.test(e.message))!.message).toMatch(/ended in error; it was deleted and is made again next pass/);
    await ctx.emu.admin.volcengine.settings({ copyImageFails: false });
    await passes(c, { minutes: 3, max: 10, done: async () => (await copiesIn()).some((i) => i.Status === "available") });
    expect((await copiesIn()).map((i) => i.Status)).toEqual(["available"]);
    expect(await calls("CreateImage")).toHaveLength(1); // one image of the point to copy from, copied twice
    expect(await calls("CopyImage")).toHaveLength(2);
    expect(inst.id).toMatch(/^i-/);

    await ctx.emu.admin.volcengine.settings({ customImageQuota: 1 }, DEST);
    ctx.emu.clock.advance(31 * 60_000);
    await passes(c, { minutes: 3, max: 6 });
    expect(events.some((e) => e.kind === "copy" && /copy to cn-shanghai not advanced: volcengine CopyImage failed: QuotaExceeded.Image/.test(e.message))).toBe(true);
  });

  it("relaunches from the newest copy in the second region when the home region has no stock anywhere, with the data the copy holds", async () => {
    const inst = await protectedInstance("db");
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: DATA, content: "copied", volume: 1 });
    const { c, events } = controller();
    await passes(c, { minutes: 3, max: 10, done: async () => (await copiesIn()).some((i) => i.Status === "available") });
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: DATA, content: "after the copy", volume: 1 });

    await ctx.emu.admin.volcengine.settings({ stockOut: ["cn-beijing-a", "cn-beijing-b", "cn-beijing-c"].map((zoneId) => ({ zoneId })) });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const pass = await c.runOnce();
    const rec = pass.recoveries.find((r) => r.instanceId === inst.id)!;
    expect(rec).toMatchObject({ state: "done", placement: { region: DEST, zoneId: "cn-shanghai-a" }, deadlineMet: false });
    expect(rec.dataAgeMs).toBeGreaterThan(0);
    expect(rec.placementNote).toMatch(/relaunched in cn-shanghai .* from copy image-\w+ of recovery point ssg-\w+; every disk restored/);
    expect(events.some((e) => /could not relaunch .*no placement had stock.*relaunching from the copy in cn-shanghai/.test(e.message))).toBe(true);

    const rep = (await ctx.emu.admin.volcengine.state(DEST)).instances.find((i: any) => i.InstanceId === rec.replacementId);
    expect(rep).toMatchObject({ ZoneId: "cn-shanghai-a", InstanceName: "db", credential: { kind: "password" } });
    expect(tagsOf(rep)).toMatchObject({ team: "sre", "pulumi-recovery:origin": inst.id, "pulumi-recovery:policy": "on=image-and-relaunch keep=2 every=30m" });
    const files = await ctx.emu.admin.request(`volcengine/disk?instanceId=${rec.replacementId}&volume=1&region=${DEST}`);
    expect(files.files).toEqual({ [DATA]: "copied" });
  });

  it("relaunches from the copy when the home region stops answering after the final point: one failed try at home, then the copy; pruning at home waits", async () => {
    const inst = await protectedInstance("outage");
    const { c: warm } = controller();
    await passes(warm, { minutes: 3, max: 10, done: async () => (await copiesIn()).some((i) => i.Status === "available") });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    // A client that does not retry by itself, so the test does not wait out real backoffs.
    const client = new VolcengineClient(volcengineConnection(undefined), { retry: { maxAttempts: 1 } });
    const events: RecoveryEvent[] = [];
    const c = new RecoveryController({
      cloud: new VolcengineRecovery(client),
      journal: new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "outage-")), "journal.json")),
      clock: stepped(),
      onEvent: (e) => events.push(e),
      afterStep: async (_r, step) => {
        if (step === "wait-point") await ctx.emu.admin.volcengine.settings({ regionUnavailable: true });
      },
    });
    const rec = (await c.runOnce()).recoveries.find((r) => r.instanceId === inst.id)!;
    expect(rec).toMatchObject({ state: "done", pointSource: "final", placement: { region: DEST } });
    expect(events.filter((e) => e.kind === "retry").map((e) => e.message)).toEqual([
      expect.stringMatching(/^relaunch: .*ServiceUnavailableTemp.*retrying at/),
      expect.stringMatching(/home region cn-beijing could not relaunch .*ServiceUnavailableTemp.*relaunching from the copy in cn-shanghai/),
    ]);
    expect(rec.steps.prune?.note).toMatch(/not pruned: the home region did not answer/);
    expect((await ctx.emu.admin.volcengine.state(DEST)).instances.map((i: any) => i.InstanceId)).toEqual([rec.replacementId]);
  });

  it("says so when a copy carries the system disk only, and relaunches with that data volume empty", async () => {
    await ctx.emu.admin.volcengine.settings({ copyImageIncludesDataVolumes: false });
    const inst = await protectedInstance("sys");
    const { c, events } = controller();
    await passes(c, { minutes: 3, max: 10, done: async () => (await homeSources()).length === 0 && (await copiesIn()).some((i) => i.Status === "available") });
    expect(events.some((e) => e.kind === "copy" && /carries the system disk only/.test(e.message))).toBe(true);
    await ctx.emu.admin.volcengine.settings({ stockOut: ["cn-beijing-a", "cn-beijing-b", "cn-beijing-c"].map((zoneId) => ({ zoneId })) });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const rec = (await c.runOnce()).recoveries.find((r) => r.instanceId === inst.id)!;
    expect(rec.placementNote).toMatch(/carries the system disk only: 1 data volume\(s\) started EMPTY/);
    const rep = (await ctx.emu.admin.volcengine.state(DEST)).instances.find((i: any) => i.InstanceId === rec.replacementId);
    expect(rep.volumes.map((v: any) => [v.Kind, v.Size])).toEqual([["system", 40], ["data", 20]]);
  });
});
