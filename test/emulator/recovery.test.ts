// The recovery controller against the emulator, through the real SDK: recovery with the data marker
// preserved, the controller killed at every step and restarted, several interruptions at once, a
// deadline that cannot be met, and injected faults.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { spotInstanceProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import { RecoveryController, type RecoveryEvent } from "../../provider/recovery/controller";
import { Journal, type StepName } from "../../provider/recovery/journal";
import { EcsClient } from "../../provider/volcengine/client";
import { useEmulator } from "../support/emulator";

const fixture = useEmulator({ timeScale: 100 });
let emu: RunningEmulator;
const MARKER = "/data/marker";

beforeAll(() => {
  emu = fixture.emu;
});

async function protectedInstance(name: string, extra: Record<string, unknown> = {}) {
  const news = {
    zoneId: "cn-beijing-b",
    imageId: "image-debian12-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-emu-cn-beijing-b",
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    tags: { team: "sre" },
    recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
    __identity: `test/dev/${name}`,
    ...extra,
  };
  const { inputs, failures } = await spotInstanceProvider.check!({}, news);
  expect(failures ?? []).toEqual([]);
  const created = await spotInstanceProvider.create(inputs!);
  await emu.admin.volcengine.writeFile({ instanceId: created.id, path: MARKER, content: `data of ${name}` });
  return created;
}

function controller(journalFile: string, extra: Partial<ConstructorParameters<typeof RecoveryController>[0]> = {}) {
  const events: RecoveryEvent[] = [];
  const c = new RecoveryController({
    client: new EcsClient(volcengineConnection(undefined)),
    journal: new Journal(journalFile),
    now: () => emu.clock.now(),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { c, events };
}

const journalPath = () => path.join(mkdtempSync(path.join(tmpdir(), "recovery-test-")), "journal.json");

async function replacementsOf(instanceId: string) {
  const state = await emu.admin.volcengine.state();
  return state.instances.filter((i) => i.Tags.some((t: any) => t.Key === "pulumi-recovery:recovered-from" && t.Value === instanceId));
}
async function finalImagesOf(instanceId: string) {
  const state = await emu.admin.volcengine.state();
  return state.images.filter((i) => i.Tags.some((t: any) => t.Key === "pulumi-recovery:source-instance" && t.Value === instanceId) && i.Tags.some((t: any) => t.Value === "final"));
}

describe("spot recovery", () => {
  it("images the instance and relaunches it in the same zone before the release, data intact", async () => {
    const inst = await protectedInstance("web");
    const { releaseAt } = await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(journalPath());
    const pass = await c.runOnce();
    expect(pass).toMatchObject({ protectedInstances: 1, interruptions: 1, failed: 0 });
    const rec = pass.recoveries[0];
    expect(rec).toMatchObject({ state: "done", imageSource: "final", deadlineMet: true });
    const [replacement] = await replacementsOf(inst.id);
    expect(replacement).toMatchObject({ InstanceId: rec.replacementId, ZoneId: "cn-beijing-b", InstanceTypeId: "ecs.g3il.large", ImageId: rec.imageId, SpotStrategy: "SpotAsPriceGo" });
    expect(replacement.Tags).toEqual(expect.arrayContaining([{ Key: "team", Value: "sre" }, { Key: "pulumi-recovery:on-interruption", Value: "image-and-relaunch" }]));
    expect(await emu.admin.volcengine.files(rec.replacementId!)).toEqual({ [MARKER]: "data of web" });
    expect(events.map((e) => e.step ?? e.kind)).toEqual(["noticed", "image", "wait-image", "relaunch", "wait-running", "prune", "done"]);
    expect(Date.parse(rec.steps["wait-running"]!.endedAt!)).toBeLessThan(Date.parse(releaseAt));

    // The stack converges: refresh reads the replacement in place of the released instance.
    emu.clock.advance(301_000);
    const refreshed = await spotInstanceProvider.read!(inst.id, inst.outs);
    expect(refreshed.id).toBe(rec.replacementId);
    expect(refreshed.props).toMatchObject({ recoveredFrom: inst.id, imageId: "image-debian12-emu", instanceName: "web" });
    expect((await spotInstanceProvider.diff!(refreshed.id, refreshed.props, (await spotInstanceProvider.check!({}, { ...inst.outs })).inputs!)).changes).toBe(false);
  });

  it("a pass with nothing interrupted asks DescribeSystemEvents once for the whole fleet", async () => {
    for (let i = 0; i < 3; i++) await protectedInstance(`idle-${i}`);
    await emu.admin.clearCalls();
    const { c } = controller(journalPath());
    expect(await c.runOnce()).toMatchObject({ protectedInstances: 3, interruptions: 0 });
    expect(await emu.admin.calls({ action: "DescribeSystemEvents" })).toHaveLength(1);
    expect(await emu.admin.calls({ action: "CreateImage" })).toHaveLength(0);
  });

  it("recovers several instances interrupted at once, with one batched event query", async () => {
    const insts = await Promise.all(["a", "b", "c"].map((n) => protectedInstance(`multi-${n}`)));
    for (const i of insts) await emu.admin.volcengine.spotInterruption({ instanceId: i.id, noticeSeconds: 300 });
    await emu.admin.clearCalls();
    const { c } = controller(journalPath());
    const pass = await c.runOnce();
    expect(pass.recoveries.map((r) => r.state)).toEqual(["done", "done", "done"]);
    expect(await emu.admin.calls({ action: "DescribeSystemEvents" })).toHaveLength(1);
    for (const i of insts) {
      const [rep] = await replacementsOf(i.id);
      expect(await emu.admin.volcengine.files(rep.InstanceId)).toEqual({ [MARKER]: `data of ${i.outs.instanceName}` });
    }
  });

  it.each<StepName>(["image", "wait-image", "relaunch", "wait-running", "prune"])(
    "a controller killed after the %s step, restarted on the same journal, finishes with one image and one replacement",
    async (killAt) => {
      const inst = await protectedInstance(`kill-${killAt}`);
      await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
      const file = journalPath();
      const abort = new AbortController();
      const first = controller(file, {
        signal: abort.signal,
        afterStep: (_r, step) => {
          if (step === killAt) {
            abort.abort(new Error(`killed after ${step}`));
            throw abort.signal.reason;
          }
        },
      });
      await expect(first.c.runOnce()).rejects.toThrow(`killed after ${killAt}`);
      const second = controller(file);
      const pass = await second.c.runOnce();
      expect(pass.recoveries).toHaveLength(1);
      expect(pass.recoveries[0].state).toBe("done");
      expect(await replacementsOf(inst.id)).toHaveLength(1);
      expect(await finalImagesOf(inst.id)).toHaveLength(1);
      // The second controller did not redo finished steps.
      expect(second.events.filter((e) => e.kind === "step").map((e) => e.step)).not.toContain(killAt);
    },
  );

  it("a controller killed between a cloud call and its journal write repeats the call without duplicating anything", async () => {
    const inst = await protectedInstance("lost-write");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const file = journalPath();
    const before = `${file}.before-relaunch`;
    const abort = new AbortController();
    const first = controller(file, {
      signal: abort.signal,
      afterStep: (_r, step) => {
        if (step === "wait-image") copyFileSync(file, before); // the journal as it was before relaunch
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
    const runs = await emu.admin.calls({ action: "RunInstances" });
    const relaunches = runs.filter((r) => r.params.ClientToken?.startsWith("rec-"));
    expect(relaunches).toHaveLength(2);
    expect(new Set(relaunches.map((r) => r.params.ClientToken)).size).toBe(1);
  });

  it("still recovers when cloud calls are throttled or fail transiently", async () => {
    const inst = await protectedInstance("faulty");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    await emu.admin.addFault({ cloud: "volcengine", action: "DescribeSystemEvents", kind: "5xx", count: 1 });
    await emu.admin.addFault({ cloud: "volcengine", action: "CreateImage", kind: "throttle", count: 2 });
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "throttle", count: 2 });
    await emu.admin.addFault({ cloud: "volcengine", action: "DescribeImages", kind: "5xx", count: 2 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries[0]).toMatchObject({ state: "done", deadlineMet: true });
    expect(await replacementsOf(inst.id)).toHaveLength(1);
    expect(await finalImagesOf(inst.id)).toHaveLength(1);
    const faulted = (await emu.admin.calls()).filter((c) => c.fault);
    expect(faulted).toHaveLength(7);
  });
});

describe("recovery images", () => {
  it("keeps one rolling image per interval while healthy, and prunes down to keepImages after a recovery", async () => {
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 0.1 });
    const inst = await protectedInstance("pruned", { recovery: { onInterruption: "image-and-relaunch", keepImages: 1, imageEvery: "5m" } });
    const file = journalPath();
    const ofInstance = async () => (await emu.admin.volcengine.state()).images.filter((i) => i.Tags.some((t: any) => t.Key === "pulumi-recovery:source-instance" && t.Value === inst.id));
    await controller(file).c.runOnce();
    await controller(file).c.runOnce(); // same interval: no second rolling image
    expect(await ofInstance()).toHaveLength(1);
    emu.clock.advance(6 * 60_000);
    await controller(file).c.runOnce(); // next interval: a new rolling image, the old one pruned (keepImages 1)
    const rolling = await ofInstance();
    expect(rolling).toHaveLength(1);
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const pass = await controller(file).c.runOnce();
    const rec = pass.recoveries[0];
    expect(rec).toMatchObject({ state: "done", imageSource: "final", prunedImageIds: [rolling[0].ImageId] });
    expect((await ofInstance()).map((i) => i.ImageId)).toEqual([rec.imageId]);
  });
});

describe("deadlines", () => {
  it("recovers from the newest rolling image when the final image cannot finish before the release, and says how old the data is", async () => {
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 1 });
    const inst = await protectedInstance("big", { recovery: { onInterruption: "image-and-relaunch", keepImages: 3, imageEvery: "30m" } });
    const file = journalPath();
    // A healthy pass takes the rolling image (40 GiB × 1 s = 40 s).
    const healthy = await controller(file).c.runOnce();
    expect(healthy.interruptions).toBe(0);
    emu.clock.advance(60_000);
    // Then the disk is slow to image (a big disk), and newer data is written.
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 60, imageWhenInstanceReleased: "fails" });
    await emu.admin.volcengine.writeFile({ instanceId: inst.id, path: MARKER, content: "newer, lost" });
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { c, events } = controller(file);
    const pass = await c.runOnce();
    const rec = pass.recoveries[0];
    expect(rec).toMatchObject({ state: "done", imageSource: "rolling", deadlineMet: false });
    expect(rec.dataAgeMs).toBeGreaterThan(300_000);
    expect(events.find((e) => e.kind === "done")!.message).toMatch(/deadline MISSED.*recovered data is \d+m\d+s old/);
    expect(await emu.admin.volcengine.files(rec.replacementId!)).toEqual({ [MARKER]: "data of big" });
  });

  it("says the data is lost when there is neither time nor a rolling image, and fails the pass", async () => {
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 60, imageWhenInstanceReleased: "fails" });
    const inst = await protectedInstance("doomed");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.failed).toBe(1);
    expect(pass.recoveries[0].error).toMatch(/no rolling recovery image.*data on i-\w+ is lost/);
  });

  it("with an image that completes after the release, recovers late and says the deadline was missed", async () => {
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 10, imageWhenInstanceReleased: "completes" });
    const inst = await protectedInstance("late");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const pass = await controller(journalPath()).c.runOnce();
    expect(pass.recoveries[0]).toMatchObject({ state: "done", imageSource: "final", deadlineMet: false });
    expect(await emu.admin.volcengine.files(pass.recoveries[0].replacementId!)).toEqual({ [MARKER]: "data of late" });
  });
});
