// SpotInstance and RecoveryImage provider objects driven directly (as tests and tools use them, without
// `configure`: connection from env vars), through the real @volcengine/openapi SDK over HTTP to the
// emulator. The clock is frozen and moves a fixed step per cloud request: every wait takes the same
// number of polls on any machine.
import { describe, expect, it } from "vitest";
import { recoveryImageProvider, spotInstanceProvider } from "../../provider";
import { volcengineConnection } from "../../provider/config";
import { VolcengineClient } from "../../provider/volcengine/client";
import { useEmulator } from "../support/emulator";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 10_000 } });

const inputs = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  instanceName: "web",
  __identity: "test/dev/web",
};

async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const res = await spotInstanceProvider.check!(olds, news);
  expect(res.failures ?? []).toEqual([]);
  return res.inputs!;
}

async function calls(action?: string) {
  return (await ctx.emu.admin.calls()).filter((c) => !action || c.action === action);
}

const live = async () => (await ctx.emu.admin.volcengine.state()).instances.filter((i: any) => i.Status !== "DELETING");

describe("SpotInstance lifecycle", () => {
  it("creates, reads, updates in place, and deletes", async () => {
    const news = await checked({ ...inputs, tags: { team: "a" } });
    const created = await spotInstanceProvider.create(news);
    expect(created.id).toMatch(/^i-/);
    expect(created.outs).toMatchObject({ instanceId: created.id, status: "RUNNING", zoneId: "cn-beijing-a", spotStrategy: "SpotAsPriceGo", interruptionScheduled: false, origin: created.id });
    expect(created.outs.privateIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await calls("RunInstances")).toHaveLength(1);

    // The cloud's own tag (volc:…) and ours never appear as user tags, and never cause a diff.
    const read = await spotInstanceProvider.read!(created.id, created.outs);
    expect(read.props.tags).toEqual({ team: "a" });
    expect((await spotInstanceProvider.diff!(created.id, read.props, news)).changes).toBe(false);

    const renamed = await checked({ ...inputs, instanceName: "web-2", tags: { team: "sre" }, recovery: { keepImages: 2 } }, news);
    expect(await spotInstanceProvider.diff!(created.id, created.outs, renamed)).toMatchObject({ changes: true, replaces: [] });
    const updated = await spotInstanceProvider.update!(created.id, created.outs, renamed);
    expect(updated.outs).toMatchObject({ instanceName: "web-2", tags: { team: "sre" } });
    const inst = (await ctx.emu.admin.volcengine.state()).instances.find((i: any) => i.InstanceId === created.id);
    expect(inst.InstanceName).toBe("web-2");
    const tags = Object.fromEntries(inst.Tags.map((t: any) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ team: "sre", "pulumi-recovery:policy": "on=image-and-relaunch keep=2" });
    expect(Object.keys(tags).filter((k) => k.startsWith("pulumi-recovery:")).length).toBeLessThanOrEqual(3);

    const replaced = await checked({ ...inputs, instanceTypeId: "ecs.g3il.xlarge" }, news);
    expect((await spotInstanceProvider.diff!(created.id, created.outs, replaced)).replaces).toEqual(["instanceTypeId"]);

    await spotInstanceProvider.delete!(created.id, updated.outs);
    expect((await spotInstanceProvider.read!(created.id, updated.outs)).id).toBe("");
    await spotInstanceProvider.delete!(created.id, updated.outs); // deleting what is gone is fine
  });

  it("reports a scheduled spot interruption and its release time", async () => {
    const created = await spotInstanceProvider.create(await checked(inputs));
    const { releaseAt } = await ctx.emu.admin.volcengine.spotInterruption({ instanceId: created.id, noticeSeconds: 300 });
    const read = await spotInstanceProvider.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ interruptionScheduled: true, releaseAt: new Date(releaseAt).toISOString() });
    expect(read.props.interruptionEventId).toMatch(/^event-/);
  });

  it("a destroy followed by an up always works, however often, at the same cost each time", async () => {
    const perCycle: number[] = [];
    const ids = new Set<string>();
    for (let cycle = 0; cycle < 7; cycle++) {
      const before = (await calls()).length;
      const created = await spotInstanceProvider.create(await checked(inputs)); // `up`: no olds, same inputs
      perCycle.push((await calls()).length - before);
      ids.add(created.id);
      await spotInstanceProvider.delete!(created.id, created.outs); // `destroy`
    }
    expect(ids.size).toBe(7);
    expect(new Set(perCycle).size).toBe(1); // no stale generations to wade through
  });

  it("reads an instance released behind Pulumi's back as gone (drift), and recreates it", async () => {
    const created = await spotInstanceProvider.create(await checked(inputs));
    await ctx.emu.admin.volcengine.release({ instanceId: created.id });
    expect((await spotInstanceProvider.read!(created.id, created.outs)).id).toBe("");
    const again = await spotInstanceProvider.create(await checked(inputs));
    expect(again.id).not.toBe(created.id);
    expect(again.outs.status).toBe("RUNNING");
  });

  it("a create retried after a crash gets the instance already launched, not a second one", async () => {
    const first = await spotInstanceProvider.create(await checked(inputs));
    const retried = await spotInstanceProvider.create(await checked(inputs));
    expect(retried.id).toBe(first.id);
    expect(await live()).toHaveLength(1);
    expect(await calls("RunInstances")).toHaveLength(1);
  });

  it("a RunInstances whose answer is lost finds the instance the cloud made (one instance, no error)", async () => {
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "lose-response", count: 1 });
    const created = await spotInstanceProvider.create(await checked(inputs));
    expect((await live()).map((i: any) => i.InstanceId)).toEqual([created.id]);
    expect((await calls("RunInstances")).map((c) => c.fault ?? "answered")).toEqual(["lose-response reset"]);
  });

  it("a replacement of a resource in state launches a new instance even with unchanged inputs", async () => {
    const news = await checked(inputs);
    const first = await spotInstanceProvider.create(news);
    const replacement = await spotInstanceProvider.create(await checked(inputs, news));
    expect(replacement.id).not.toBe(first.id);
  });

  it("retries throttled calls with the same ClientToken and creates exactly one instance", async () => {
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "throttle", count: 2 });
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "5xx", count: 1 });
    const created = await spotInstanceProvider.create(await checked(inputs));
    const runs = await calls("RunInstances");
    expect(runs.length).toBe(3);
    expect(new Set(runs.map((c) => c.params.ClientToken)).size).toBe(1);
    expect((await live()).map((i: any) => i.InstanceId)).toEqual([created.id]);
  });

  it("surfaces cloud errors with the resource, action, code, request id and what to do", async () => {
    await ctx.emu.admin.volcengine.settings({ stockOut: [{ zoneId: "cn-beijing-a", instanceTypeId: "ecs.g3il.large" }] });
    await expect(spotInstanceProvider.create(await checked(inputs))).rejects.toThrow(/SpotInstance web: volcengine RunInstances failed with \S+: .*request id .*What to do/);
  });

  it("deletes the instance again when it never reaches RUNNING: nothing left behind", async () => {
    await ctx.emu.admin.volcengine.settings({ instanceCreateSeconds: 3600 });
    // An hour of emulated time takes 360 requests; the 1 s timeout allows at most 50 polls (20 ms pauses at least).
    await expect(spotInstanceProvider.create(await checked({ ...inputs, timeouts: { create: "1s" } }))).rejects.toThrow(/timed out .*deleted again: nothing is left behind/s);
    expect(await live()).toEqual([]);
    expect(await calls("DeleteInstance")).toHaveLength(1);
  });

  it("rejects bad inputs at check, naming the field, before any API call", async () => {
    const res = await spotInstanceProvider.check!({}, { ...inputs, spotStrategy: "SpotWithPriceLimit" });
    expect(res.failures).toEqual([{ property: "spotPriceLimit", reason: expect.stringMatching(/required when spotStrategy/) }]);
    expect(await calls()).toHaveLength(0);
  });
});

describe("RecoveryImage lifecycle", () => {
  const withData = { ...inputs, dataVolumes: [{ size: 20 }] };

  it("takes a recovery point of every disk: a system image and the data volumes' snapshots; a retried create makes nothing twice", async () => {
    const inst = await spotInstanceProvider.create(await checked(withData));
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: "/data/x", content: "data", volume: 1 });
    const news = (await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "web-baseline", __identity: "test/dev/img" })).inputs!;
    const img = await recoveryImageProvider.create(news);
    expect(img.outs).toMatchObject({ imageId: img.id, status: "available", instanceId: inst.id, sourceInstanceId: inst.id, snapshotGroupId: expect.stringMatching(/^ssg-/) });
    expect(img.outs.dataSnapshots).toEqual([{ snapshotId: expect.stringMatching(/^snap-/), volumeType: "ESSD_PL0", size: 20, deleteWithInstance: true }]);
    expect((await recoveryImageProvider.read!(img.id, img.outs)).id).toBe(img.id);
    const again = await recoveryImageProvider.create(news);
    expect(again.id).toBe(img.id);
    expect(await calls("CreateSnapshotGroup")).toHaveLength(1);
    expect(await calls("CreateImage")).toHaveLength(1);
    await recoveryImageProvider.delete!(img.id, img.outs);
    expect((await recoveryImageProvider.read!(img.id, img.outs)).id).toBe("");
    const state = await ctx.emu.admin.volcengine.state();
    expect([state.images.length, state.snapshotGroups.length]).toEqual([0, 0]);
  });

  it("a CreateImage whose answer is lost finds the image the cloud made instead of making a second", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "CreateImage", kind: "lose-response", count: 1 });
    const img = await recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "lost", __identity: "test/dev/lost" })).inputs!);
    expect((await ctx.emu.admin.volcengine.state()).images.map((i: any) => i.ImageId)).toEqual([img.id]);
  });

  it("fails clearly, and leaves nothing, when the recovery point ends in failed (its instance released mid-copy)", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 100 });
    const news = (await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "doomed" })).inputs!;
    const pending = recoveryImageProvider.create(news);
    // Release the instance once its snapshots are being taken (the call log says when), not after a sleep.
    await expect.poll(async () => (await calls("CreateSnapshotGroup")).length, { interval: 10, timeout: 30_000 }).toBe(1);
    await ctx.emu.admin.volcengine.release({ instanceId: inst.id });
    const err = await pending.catch((e: Error) => e);
    expect((err as Error).message).toMatch(/RecoveryImage doomed: .*status failed.*nothing is left behind/s);
    const state = await ctx.emu.admin.volcengine.state();
    expect([state.images.length, state.snapshotGroups.length]).toEqual([0, 0]);
  });

  it("fails clearly, and leaves nothing, when a whole image of the instance ends in error (released mid-copy)", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    await ctx.emu.admin.volcengine.settings({ wholeImageEnabled: true, imageSecondsPerGiB: 100 });
    const pending = recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "doomed", wholeImage: true })).inputs!);
    await expect.poll(async () => (await calls("CreateImage")).length, { interval: 10, timeout: 30_000 }).toBe(1);
    await ctx.emu.admin.volcengine.release({ instanceId: inst.id });
    const err = await pending.catch((e: Error) => e);
    expect((err as Error).message).toMatch(/RecoveryImage doomed: .*status error.*nothing is left behind/s);
    expect((await ctx.emu.admin.volcengine.state()).images).toEqual([]);
  });

  it("a create that gives up while its image is still being made waits for it to finish, then deletes it: nothing left behind", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    await ctx.emu.admin.volcengine.settings({ imageFromSnapshotBaseSeconds: 200 });
    const pending = recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "unlucky", __identity: "test/dev/unlucky" })).inputs!);
    // Once the image is being made, one wait's poll fails through every retry.
    await expect.poll(async () => (await calls("CreateImage")).length, { interval: 5, timeout: 30_000 }).toBe(1);
    await ctx.emu.admin.addFault({ cloud: "volcengine", action: "DescribeImages", kind: "5xx", count: 5 });
    const err = (await pending.catch((e) => e)) as Error & { id?: string };
    expect(err.id).toBeUndefined(); // not a partial resource: the cleanup finished
    expect(err.message).toMatch(/RecoveryImage unlucky: volcengine DescribeImages failed with InternalServiceError.*nothing is left behind/);
    const state = await ctx.emu.admin.volcengine.state();
    expect([state.images.length, state.snapshotGroups.length]).toEqual([0, 0]);
  });

  it("a whole image of an instance on PTSSD disks stops it first (the CreateImage rule) and starts it again; the default recovery point needs no stop", async () => {
    const inst = await spotInstanceProvider.create(await checked({ ...inputs, systemVolume: { volumeType: "PTSSD", size: 40 } }));
    await ctx.emu.admin.volcengine.settings({ wholeImageEnabled: true });
    const whole = await recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "whole", wholeImage: true, __identity: "test/dev/whole" })).inputs!);
    expect(whole.outs.status).toBe("available");
    expect((await calls()).filter((c) => ["StopInstance", "CreateImage", "StartInstance"].includes(c.action)).map((c) => c.action)).toEqual(["StopInstance", "CreateImage", "StartInstance"]);
    expect((await live())[0].Status).toBe("RUNNING");
    const point = await recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "point", __identity: "test/dev/point" })).inputs!);
    expect(point.outs.snapshotGroupId).toMatch(/^ssg-/);
    expect(await calls("StopInstance")).toHaveLength(1);
  });

  it("follows its instance through a recovery: the replacement's id is not a replacement of the image", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    const img = await recoveryImageProvider.create((await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "base", __identity: "test/dev/base" })).inputs!);
    // The controller's replacement carries the line's origin; a stranger does not.
    const line = await spotInstanceProvider.create(await checked({ ...inputs, instanceName: "succ", __identity: "test/dev/succ", tags: {} }));
    await VolcengineClient.for(volcengineConnection(undefined)).ecs("CreateTags", { ResourceType: "instance", ResourceIds: [line.id], Tags: [{ Key: "pulumi-recovery:origin", Value: inst.id }] });
    const stranger = await spotInstanceProvider.create(await checked({ ...inputs, instanceName: "other", __identity: "test/dev/other" }));
    const news = (id: string) => recoveryImageProvider.check!(img.outs, { instanceId: id, imageName: "base", __identity: "test/dev/base" }).then((r) => r.inputs!);
    expect((await recoveryImageProvider.diff!(img.id, img.outs, await news(line.id))).replaces).toEqual([]);
    expect((await recoveryImageProvider.diff!(img.id, img.outs, await news(stranger.id))).replaces).toEqual(["instanceId"]);
    // During preview the instance id may be unknown (its SpotInstance is being updated): not a replacement yet.
    expect((await recoveryImageProvider.diff!(img.id, img.outs, await news("04da6b54-80e4-46f7-96ec-b56ff0331ba9"))).replaces).toEqual([]);
  });
});
