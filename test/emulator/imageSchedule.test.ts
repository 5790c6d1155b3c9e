// RecoveryImage as a schedule (imageEvery + keepImages) on an instance that is not spot: the provider
// takes the first image and gets a stable id; the controller's passes (as `watch --once` runs them) take
// one more whenever the newest is imageEvery old and prune to keepImages, exactly the oldest first; the
// resource never reads as deleted because its first image was pruned. On a frozen clock the test steps.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { recoveryImageProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type RecoveryEvent } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { useEmulator } from "../support/emulator";
import { steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 10_000 } });
const HOUR = 3_600_000;
const client = () => VolcengineClient.for(volcengineConnection(undefined));
const stepped = (): Clock => steppedClock(ctx.emu);

/** An on-demand (NoSpot) instance with a data volume: what a schedule is for. */
async function onDemand(name: string): Promise<string> {
  const { InstanceIds } = await client().ecs("RunInstances", {
    ZoneId: "cn-beijing-a",
    ImageId: "image-ubuntu2204-emu",
    InstanceTypeId: "ecs.g3il.large",
    InstanceName: name,
    SpotStrategy: "NoSpot",
    NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
    Volumes: [{ VolumeType: "ESSD_PL0", Size: 40 }, { VolumeType: "ESSD_PL0", Size: 20 }],
  });
  ctx.emu.clock.advance(60_000);
  return InstanceIds[0];
}

async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const res = await recoveryImageProvider.check!(olds, { imageName: "nightly", __identity: "test/dev/nightly", ...news });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs!;
}

function controller() {
  const events: RecoveryEvent[] = [];
  const c = new RecoveryController({ cloud: new VolcengineRecovery(client()), journal: new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "sched-")), "j.json")), clock: stepped(), onEvent: (e) => events.push(e) });
  return { c, events };
}

const images = async () => (await ctx.emu.admin.volcengine.state()).images;
const calls = async (action: string) => (await ctx.emu.admin.calls()).filter((c) => c.action === action);

/** Passes a few minutes apart until the schedule has made its next image (a point, then its image). */
async function cycle(c: RecoveryController, known: string[]): Promise<void> {
  for (let i = 0; i < 8; i++) {
    await c.runOnce();
    const imgs = await images();
    if (imgs.some((x: any) => !known.includes(x.ImageId)) && imgs.every((x: any) => x.Status === "available")) return;
    ctx.emu.clock.advance(5 * 60_000);
  }
  throw new Error("the schedule made no new image in 8 passes");
}

describe("RecoveryImage with imageEvery", () => {
  it("takes the first image at create under a stable id; the controller takes one per interval and keeps keepImages, pruning exactly the oldest; the resource always reads back", async () => {
    const instanceId = await onDemand("db");
    const news = await checked({ instanceId, imageEvery: "6h", keepImages: 2, tags: { team: "dba" } });
    const created = await recoveryImageProvider.create(news);
    expect(created.id).toMatch(/^schedule-[0-9a-f]{20}$/);
    expect(created.outs).toMatchObject({ imageId: created.outs.latestImageId, count: 1, imageIds: [created.outs.latestImageId], status: "available", imageEvery: "6h", keepImages: 2, tags: { team: "dba" } });
    expect(created.outs.dataSnapshots).toHaveLength(1);

    // Not due yet: a pass lists the schedules (two calls) and starts nothing.
    const { c, events } = controller();
    await ctx.emu.admin.clearCalls();
    await c.runOnce();
    expect(await calls("CreateSnapshotGroup")).toHaveLength(0);
    expect((await calls("DescribeSnapshotGroups")).filter((x) => x.params["TagFilters.1.Key"] === "pulumi-recovery:schedule")).toHaveLength(1);

    const made: string[] = [created.outs.latestImageId];
    for (let n = 0; n < 4; n++) {
      ctx.emu.clock.advance(6 * HOUR);
      await cycle(c, made);
      const now = (await images()).map((i: any) => i.ImageId);
      made.push(...now.filter((id: string) => !made.includes(id)));
      // Never more than keepImages, and always the newest ones.
      expect(now.sort()).toEqual(made.slice(-2).sort());
      const read = await recoveryImageProvider.read!(created.id, created.outs);
      expect(read.id).toBe(created.id);
      expect(read.props).toMatchObject({ latestImageId: made[made.length - 1], imageId: made[made.length - 1], count: 2, imageIds: [made[made.length - 1], made[made.length - 2]] });
    }
    expect(made).toHaveLength(5);
    const pruned = events.filter((e) => e.kind === "pruned").flatMap((e) => e.message.match(/image-\w+/g) ?? []);
    expect(pruned).toEqual(made.slice(0, 3));
    // One point and one image per interval, however many passes it took.
    expect(await calls("CreateSnapshotGroup")).toHaveLength(4);
    expect(await calls("CreateImage")).toHaveLength(4);
  });

  it("keepImages and imageEvery change in place (the images are retagged); adding imageEvery to a single image replaces it; delete removes every image and point", async () => {
    const instanceId = await onDemand("app");
    const news = await checked({ instanceId, imageEvery: "6h" });
    const created = await recoveryImageProvider.create(news);
    expect(created.outs.keepImages).toBeUndefined(); // the default, 3
    const more = await checked({ instanceId, imageEvery: "12h", keepImages: 4 }, news);
    expect(await recoveryImageProvider.diff!(created.id, created.outs, more)).toMatchObject({ changes: true, replaces: [] });
    const updated = await recoveryImageProvider.update!(created.id, created.outs, more);
    expect(updated.outs).toMatchObject({ imageEvery: "12h", keepImages: 4, count: 1 });
    const tag = (await images())[0].Tags.find((t: any) => t.Key === "pulumi-recovery:schedule").Value;
    expect(tag).toBe(`${created.id} every=12h keep=4`);

    // Drift: someone retags the images; read shows it, and the next update puts it back.
    await client().ecs("CreateTags", { ResourceType: "image", ResourceIds: [updated.outs.imageId], Tags: [{ Key: "pulumi-recovery:schedule", Value: `${created.id} every=1h keep=1` }] });
    const drifted = await recoveryImageProvider.read!(created.id, updated.outs);
    expect(drifted.props).toMatchObject({ imageEvery: "1h", keepImages: 1 });
    expect((await recoveryImageProvider.diff!(created.id, drifted.props, more)).changes).toBe(true);

    const single = await checked({ instanceId }, more);
    expect((await recoveryImageProvider.diff!(created.id, updated.outs, single)).replaces).toEqual(["imageEvery"]);

    const { c } = controller();
    ctx.emu.clock.advance(13 * HOUR);
    await c.runOnce(); // a point is being taken while the resource is deleted: delete waits for it
    await recoveryImageProvider.delete!(created.id, updated.outs);
    const state = await ctx.emu.admin.volcengine.state();
    expect([state.images, state.snapshotGroups]).toEqual([[], []]);
    expect((await recoveryImageProvider.read!(created.id, updated.outs)).id).toBe("");
  });

  it("pauses, saying why, when its instance is gone and no instance of its line remains", async () => {
    const instanceId = await onDemand("gone");
    const created = await recoveryImageProvider.create(await checked({ instanceId, imageEvery: "1h", keepImages: 1 }));
    await client().ecs("DeleteInstance", { InstanceId: instanceId });
    ctx.emu.clock.advance(2 * HOUR);
    const { c, events } = controller();
    await c.runOnce();
    expect(events.map((e) => e.message)).toContainEqual(expect.stringMatching(new RegExp(`schedule ${created.id} not advanced: instance ${instanceId} of schedule .* is gone and no instance of its line remains`)));
    expect((await recoveryImageProvider.read!(created.id, created.outs)).id).toBe(created.id);
  });

  it("refuses, at preview, keepImages without imageEvery, an interval under an hour, and a schedule of whole images", async () => {
    const bad = async (news: Record<string, unknown>) => (await recoveryImageProvider.check!({}, { imageName: "x", instanceId: "i-abc", ...news })).failures;
    expect(await bad({ keepImages: 2 })).toEqual([{ property: "keepImages", reason: expect.stringMatching(/applies only to a schedule: set imageEvery .* or remove keepImages/) }]);
    expect(await bad({ imageEvery: "30m" })).toEqual([{ property: "imageEvery", reason: expect.stringMatching(/at least "1h"/) }]);
    expect(await bad({ imageEvery: "6h", wholeImage: true })).toEqual([{ property: "imageEvery", reason: expect.stringMatching(/remove wholeImage/) }]);
    expect(await bad({ imageEvery: "6h", keepImages: 11 })).toEqual([{ property: "keepImages", reason: expect.stringMatching(/at most 10/) }]);
  });
});
