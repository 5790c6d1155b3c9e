// SpotInstance and RecoveryImage provider objects driven directly (as tests and tools use them, without
// `configure`: connection from env vars), through the real @volcengine/openapi SDK over HTTP to the
// emulator. The providers run the compiled package (dist), as Pulumi would.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { recoveryImageProvider, spotInstanceProvider } from "../../provider";
import { useEmulator } from "../support/emulator";

const fixture = useEmulator({ timeScale: 200 });
let emu: RunningEmulator;
beforeAll(() => {
  emu = fixture.emu;
});

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
  return (await emu.admin.calls()).filter((c: any) => !action || c.action === action);
}


describe("SpotInstance lifecycle", () => {
  it("creates, reads, updates in place, and deletes", async () => {
    const news = await checked(inputs);
    const created = await spotInstanceProvider.create(news);
    expect(created.id).toMatch(/^i-/);
    expect(created.outs).toMatchObject({ instanceId: created.id, status: "RUNNING", zoneId: "cn-beijing-a", spotStrategy: "SpotAsPriceGo", interruptionScheduled: false });
    expect(created.outs.privateIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await calls("RunInstances")).toHaveLength(1);

    const read = await spotInstanceProvider.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);

    const renamed = await checked({ ...inputs, instanceName: "web-2", tags: { team: "sre" } }, news);
    const diff = await spotInstanceProvider.diff!(created.id, created.outs, renamed);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await spotInstanceProvider.update!(created.id, created.outs, renamed);
    expect(updated.outs).toMatchObject({ instanceName: "web-2", tags: { team: "sre" } });
    const state = await emu.admin.volcengine.state();
    const inst = state.instances.find((i: any) => i.InstanceId === created.id);
    expect(inst.InstanceName).toBe("web-2");

    const replaced = await checked({ ...inputs, instanceTypeId: "ecs.g3il.xlarge" }, news);
    expect((await spotInstanceProvider.diff!(created.id, created.outs, replaced)).replaces).toEqual(["instanceTypeId"]);

    await spotInstanceProvider.delete!(created.id, updated.outs);
    expect((await spotInstanceProvider.read!(created.id, updated.outs)).id).toBe("");
    // Deleting what is already gone is fine.
    await spotInstanceProvider.delete!(created.id, updated.outs);
  });

  it("reports a scheduled spot interruption and its release time", async () => {
    const created = await spotInstanceProvider.create(await checked(inputs));
    const { releaseAt } = await emu.admin.volcengine.spotInterruption({ instanceId: created.id, noticeSeconds: 300 });
    const read = await spotInstanceProvider.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ interruptionScheduled: true, releaseAt });
    expect(read.props.interruptionEventId).toBeTruthy();
  });

  it("reads an instance released behind Pulumi's back as gone (drift), and recreates it with a new instance", async () => {
    const news = await checked(inputs);
    const created = await spotInstanceProvider.create(news);
    await emu.admin.volcengine.release({ instanceId: created.id });
    expect((await spotInstanceProvider.read!(created.id, created.outs)).id).toBe("");
    // refresh dropped it from state: the next up checks with no olds and creates again, same inputs.
    const again = await spotInstanceProvider.create(await checked(inputs));
    expect(again.id).not.toBe(created.id);
    expect(again.outs.status).toBe("RUNNING");
  });

  it("a create retried after a crash gets the instance already launched, not a second one", async () => {
    const news = await checked(inputs);
    const first = await spotInstanceProvider.create(news);
    const retried = await spotInstanceProvider.create(await checked(inputs));
    expect(retried.id).toBe(first.id);
    const running = (await emu.admin.volcengine.state()).instances.filter((i: any) => i.Status !== "DELETING");
    expect(running).toHaveLength(1);
  });

  it("a replacement of a resource in state launches a new instance even with unchanged inputs", async () => {
    const news = await checked(inputs);
    const first = await spotInstanceProvider.create(news);
    const replacement = await spotInstanceProvider.create(await checked(inputs, news));
    expect(replacement.id).not.toBe(first.id);
  });

  it("retries throttled calls with the same ClientToken and creates exactly one instance", async () => {
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "throttle", count: 2 });
    await emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "5xx", count: 1 });
    const created = await spotInstanceProvider.create(await checked(inputs));
    const runs = await calls("RunInstances");
    expect(runs.length).toBe(3);
    expect(new Set(runs.map((c: any) => c.params.ClientToken)).size).toBe(1);
    expect((await emu.admin.volcengine.state()).instances.filter((i: any) => i.InstanceId === created.id)).toHaveLength(1);
  });

  it("surfaces cloud errors with the resource, action, code, request id and what to do", async () => {
    await emu.admin.volcengine.settings({ stockOut: [{ zoneId: "cn-beijing-a", instanceTypeId: "ecs.g3il.large" }] });
    await expect(spotInstanceProvider.create(await checked(inputs))).rejects.toThrow(
      /SpotInstance web: volcengine RunInstances failed with \S+: .*request id .*What to do/,
    );
  });

  it("deletes the instance again when it never reaches RUNNING (no orphan)", async () => {
    await emu.admin.volcengine.settings({ instanceCreateSeconds: 600 });
    await expect(spotInstanceProvider.create(await checked({ ...inputs, timeouts: { create: "1s" } }))).rejects.toThrow(/timed out.*(deleted again|cleanup)/s);
    const live = (await emu.admin.volcengine.state()).instances.filter((i: any) => !["DELETING"].includes(i.Status));
    // Either deleted (nothing left) or reported as a partial resource: never silently left behind.
    expect(live.length).toBeLessThanOrEqual(1);
  });

  it("rejects bad inputs at check, naming the field, before any API call", async () => {
    const res = await spotInstanceProvider.check!({}, { ...inputs, spotStrategy: "SpotWithPriceLimit" });
    expect(res.failures).toEqual([{ property: "spotPriceLimit", reason: expect.stringMatching(/required when spotStrategy/) }]);
    expect(await calls()).toHaveLength(0);
  });
});

describe("RecoveryImage lifecycle", () => {
  it("images an instance, waits until available, and deletes it", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    const news = (await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "web-baseline", __identity: "test/dev/img" })).inputs!;
    const img = await recoveryImageProvider.create(news);
    expect(img.outs).toMatchObject({ imageId: img.id, status: "available", instanceId: inst.id });
    expect((await recoveryImageProvider.read!(img.id, img.outs)).id).toBe(img.id);
    // A retried create finds the image by its token tag instead of making a second one.
    const again = await recoveryImageProvider.create(news);
    expect(again.id).toBe(img.id);
    expect(await calls("CreateImage")).toHaveLength(1);
    await recoveryImageProvider.delete!(img.id, img.outs);
    expect((await recoveryImageProvider.read!(img.id, img.outs)).id).toBe("");
  });

  it("fails clearly when the image ends in error", async () => {
    const inst = await spotInstanceProvider.create(await checked(inputs));
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 1000, imageWhenInstanceReleased: "fails" });
    const news = (await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "doomed" })).inputs!;
    const pending = recoveryImageProvider.create(news);
    await new Promise((r) => setTimeout(r, 300));
    await emu.admin.volcengine.release({ instanceId: inst.id });
    await expect(pending).rejects.toThrow(/RecoveryImage doomed: .*status error/);
  });
});
