// SpotRecoveryPolicy through its provider (the compiled package, as the dynamic-provider host loads it)
// against the emulator, on both clouds: the policy recorded on an instance something else manages, read
// back (drift), changed in place, removed on delete (only its own tags), followed to the controller's
// replacement on refresh so the next diff is clean, and the guest hook run by the controller.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spotInstanceProvider, spotRecoveryPolicyProvider } from "../../provider";
import { AlicloudClient } from "../../provider/alicloud/client";
import { AlicloudRecovery } from "../../provider/alicloud/recovery";
import { syncTags } from "../../provider/alicloud/tags";
import { alicloudConnection, volcengineConnection } from "../../provider/config";
import type { Clock } from "../../provider/core/clock";
import { RecoveryController, type RecoveryEvent } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { TAGS } from "../../provider/recovery/policy";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { useEmulator } from "../support/emulator";
import { steppedClock } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1_000 } });
const stepped = (): Clock => steppedClock(ctx.emu);
const ali = () => AlicloudClient.for(alicloudConnection(undefined));
const tagsOf = (i: any) => Object.fromEntries((i.tags ?? i.Tags ?? []).map((t: any) => [t.Key, t.Value]));
const journal = () => new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "policy-test-")), "journal.json"));

/** An Alibaba preemptible instance made by "another provider": RunInstances straight through the SDK. */
async function aliInstance(name: string, tags: Record<string, string> = { team: "web" }): Promise<string> {
  const t = Object.entries(tags).flatMap(([k, v], i) => [[`Tag.${i + 1}.Key`, k], [`Tag.${i + 1}.Value`, v]]);
  const res = await ali().call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", {
    ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
    InstanceType: "ecs.g7.large",
    VSwitchId: "vsw-emu-cn-hangzhou-h",
    SecurityGroupIds: ["sg-emu-default"],
    InstanceName: name,
    Password: "Other-Provider-1!",
    SpotStrategy: "SpotAsPriceGo",
    "SystemDisk.Category": "cloud_essd",
    "DataDisk.1.Category": "cloud_essd",
    "DataDisk.1.Size": 50,
    ...Object.fromEntries(t),
  });
  ctx.emu.clock.advance(30_000);
  return res.InstanceIdSets.InstanceIdSet[0];
}

async function policy(news: Record<string, unknown>, name = "web") {
  const checked = await spotRecoveryPolicyProvider.check!({}, { __identity: `test/dev/${name}`, ...news });
  expect(checked.failures ?? []).toEqual([]);
  return spotRecoveryPolicyProvider.create(checked.inputs!);
}

const aliState = async (id: string) => (await ctx.emu.admin.alicloud.state()).instances.find((i) => i.InstanceId === id);

describe("SpotRecoveryPolicy on Alibaba Cloud", () => {
  it("records the policy on the instance (tags), reads it back, puts back a removed tag, changes in place, and removes only its own tags on delete", async () => {
    const id = await aliInstance("web");
    const made = await policy({ cloud: "alicloud", instanceId: id, onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "30m" });
    expect(made.id).toBe(id);
    expect(made.outs).toMatchObject({ attachedInstanceId: id, origin: id, recordedPolicy: "on=image-and-relaunch keep=2 every=30m", instanceStatus: "Running" });
    expect(tagsOf(await aliState(id))).toMatchObject({ team: "web", [TAGS.policy]: "on=image-and-relaunch keep=2 every=30m", [TAGS.policyOwner]: expect.stringMatching(/^pr/) });
    // The controller sees it.
    const fleet = await new AlicloudRecovery(ali(), stepped()).fleet();
    expect(fleet).toEqual([expect.objectContaining({ instanceId: id, policy: { onInterruption: "image-and-relaunch", keepImages: 2, imageEvery: "30m" } })]);

    // Drift: removed by hand (or by the other provider), read back, and the next diff puts it back.
    await syncTags(ali(), "instance", id, { [TAGS.policy]: "x" }, {});
    const read = await spotRecoveryPolicyProvider.read!(made.id, made.outs);
    expect(read.props.recordedPolicy).toBeUndefined();
    const program = (await spotRecoveryPolicyProvider.check!(read.props, { ...made.outs })).inputs!;
    const drift = await spotRecoveryPolicyProvider.diff!(made.id, read.props, program);
    expect(drift).toMatchObject({ changes: true, replaces: [] });
    const fixed = await spotRecoveryPolicyProvider.update!(made.id, read.props, program);
    expect(fixed.outs!.recordedPolicy).toBe("on=image-and-relaunch keep=2 every=30m");

    // In place: keepImages.
    const next = (await spotRecoveryPolicyProvider.check!(fixed.outs, { ...made.outs, keepImages: 5 })).inputs!;
    expect(await spotRecoveryPolicyProvider.diff!(made.id, fixed.outs!, next)).toMatchObject({ changes: true, replaces: [] });
    const updated = await spotRecoveryPolicyProvider.update!(made.id, fixed.outs!, next);
    expect(tagsOf(await aliState(id))[TAGS.policy]).toBe("on=image-and-relaunch keep=5 every=30m");
    expect(await spotRecoveryPolicyProvider.diff!(made.id, updated.outs!, next)).toMatchObject({ changes: false });

    await spotRecoveryPolicyProvider.delete!(made.id, updated.outs!);
    expect(tagsOf(await aliState(id))).toEqual({ team: "web" });
  });

  it("refuses an instance that carries another policy, one that does not exist, and one without room for its tags; a policy over 128 characters at preview", async () => {
    const id = await aliInstance("taken");
    await syncTags(ali(), "instance", id, {}, { [TAGS.policy]: "on=image-only keep=1" });
    await expect(policy({ cloud: "alicloud", instanceId: id })).rejects.toThrow(/already carries a recovery policy .*that no SpotRecoveryPolicy wrote/);
    await expect(policy({ cloud: "alicloud", instanceId: "i-missing" })).rejects.toThrow(/no such instance in alicloud region cn-hangzhou/);
    const full = await aliInstance("full", Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, "v"])));
    await expect(policy({ cloud: "alicloud", instanceId: full })).rejects.toThrow(/has 19 tags; the policy needs 2 more .* holds 20: remove 1/);
    const fallbacks = ["h", "i", "j"].map((z) => ({ zoneId: `cn-hangzhou-${z}`, subnetId: `vsw-emu-cn-hangzhou-${z}-a-long-vswitch-name`, instanceTypeId: "ecs.g7.xlarge" }));
    const checked = await spotRecoveryPolicyProvider.check!({}, { cloud: "alicloud", instanceId: id, fallbacks });
    expect(checked.failures).toEqual([{ property: "fallbacks", reason: expect.stringMatching(/over the 128 a alicloud tag value holds/) }]);
    expect((await spotRecoveryPolicyProvider.check!({}, { cloud: "volcengine", instanceId: id, fallbacks })).failures ?? []).toEqual([]);
    // Unknown during preview (another resource's output): checked at `up`.
    expect((await spotRecoveryPolicyProvider.check!({}, { cloud: "alicloud", instanceId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).failures ?? []).toEqual([]);
    expect((await spotRecoveryPolicyProvider.check!({}, { cloud: "aws", instanceId: id })).failures).toEqual([{ property: "cloud", reason: 'cloud is required: "alicloud" or "volcengine" (where the instance runs)' }]);
    // The policy's rules, named as this resource's inputs.
    expect((await spotRecoveryPolicyProvider.check!({}, { cloud: "alicloud", instanceId: id, keepImages: 50, imageEvery: "1m" })).failures).toEqual([
      { property: "keepImages", reason: "keepImages is at most 20 (custom images and snapshots count against the region's quota)" },
      { property: "imageEvery", reason: 'imageEvery must be a duration such as "10m", "90s" or "1h30m", at least "5m"' },
    ]);
  });

  it("follows its instance to the controller's replacement on refresh: the next diff is clean, with the old id or the replacement's, and delete leaves the replacement unprotected", async () => {
    const id = await aliInstance("line");
    const made = await policy({ cloud: "alicloud", instanceId: id, keepImages: 2 }, "line");
    await ctx.emu.admin.alicloud.writeFile({ instanceId: id, path: "/data/m", content: "kept", disk: 1 });
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const rec = (await new RecoveryController({ cloud: new AlicloudRecovery(ali(), stepped()), journal: journal(), clock: stepped() }).runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", deadlineMet: true });
    ctx.emu.clock.advance(300_000);
    expect(await aliState(id)).toBeUndefined();

    const refreshed = await spotRecoveryPolicyProvider.read!(made.id, made.outs);
    expect(refreshed).toMatchObject({ id: rec.replacementId, props: { instanceId: id, attachedInstanceId: rec.replacementId, recoveredFrom: id, origin: id, recordedPolicy: "on=image-and-relaunch keep=2" } });
    const program = (await spotRecoveryPolicyProvider.check!(refreshed.props, { ...made.outs })).inputs!;
    expect(await spotRecoveryPolicyProvider.diff!(refreshed.id, refreshed.props, program)).toMatchObject({ changes: false });
    // The user imports the replacement into the other provider's resource and names it here: still nothing to do.
    const imported = (await spotRecoveryPolicyProvider.check!(refreshed.props, { ...made.outs, instanceId: rec.replacementId })).inputs!;
    expect(await spotRecoveryPolicyProvider.diff!(refreshed.id, refreshed.props, imported)).toMatchObject({ changes: false });
    // An unrelated instance is another policy.
    const other = await aliInstance("other");
    const moved = (await spotRecoveryPolicyProvider.check!(refreshed.props, { ...made.outs, instanceId: other })).inputs!;
    expect(await spotRecoveryPolicyProvider.diff!(refreshed.id, refreshed.props, moved)).toMatchObject({ changes: true, replaces: ["instanceId"], deleteBeforeReplace: true });

    expect(await ctx.emu.admin.alicloud.files(rec.replacementId!, 1)).toEqual({ "/data/m": "kept" });
    await spotRecoveryPolicyProvider.delete!(refreshed.id, refreshed.props);
    const rep = await aliState(rec.replacementId!);
    expect(tagsOf(rep)[TAGS.policy]).toBeUndefined();
    expect(tagsOf(rep)[TAGS.origin]).toBe(id); // the line stays: the controller's, not the policy's
  });

  it("keeps the guest hook as a saved command the controller runs before the final point; a silent guest costs at most its budget", async () => {
    const id = await aliInstance("hooked");
    const made = await policy({ cloud: "alicloud", instanceId: id, guestHook: { command: "#!/bin/sh\nsync\n", timeoutSeconds: 20 } }, "hooked");
    expect(made.outs.hookCommandId).toMatch(/^c-/);
    expect(made.outs.recordedPolicy).toBe(`on=image-and-relaunch keep=3 hook=${made.outs.hookCommandId}/20`);
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const events: RecoveryEvent[] = [];
    const rec = (await new RecoveryController({ cloud: new AlicloudRecovery(ali(), stepped()), journal: journal(), clock: stepped(), onEvent: (e) => events.push(e) }).runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", deadlineMet: true, guest: { answered: true } });
    expect(events.filter((e) => e.kind === "step").map((e) => e.step)).toEqual(["guest-hook", "point", "wait-point", "relaunch", "wait-running", "prune"]);
    const invokes = await ctx.emu.admin.calls({ action: "InvokeCommand" });
    expect(invokes.map((c) => c.params.CommandId)).toEqual([made.outs.hookCommandId]);

    const silent = await aliInstance("silent");
    await policy({ cloud: "alicloud", instanceId: silent, guestHook: { command: "sync", timeoutSeconds: 30 } }, "silent");
    await ctx.emu.admin.request("alicloud/instance", "POST", { instanceId: silent, hangInvocations: true });
    await ctx.emu.admin.alicloud.preemption({ instanceId: silent });
    const late = (await new RecoveryController({ cloud: new AlicloudRecovery(ali(), stepped()), journal: journal(), clock: stepped() }).runOnce()).recoveries.find((r) => r.instanceId === silent)!;
    expect(late).toMatchObject({ state: "done", deadlineMet: true, guest: { answered: false, detail: expect.stringMatching(/no answer within 30s/) } });
    expect(late.steps["guest-hook"]!.ms!).toBeLessThanOrEqual(40_000);

    await spotRecoveryPolicyProvider.delete!(made.id, made.outs);
    expect((await ctx.emu.admin.calls({ action: "DeleteCommand" })).map((c) => c.params.CommandId)).toEqual([made.outs.hookCommandId]);
  });
});

describe("SpotRecoveryPolicy on Volcengine", () => {
  it("protects an instance without a policy of its own, the controller recovers it, and refresh follows the line", async () => {
    // An instance the stack did not protect (a SpotInstance without `recovery` stands in for another provider's).
    const news = { zoneId: "cn-beijing-a", imageId: "image-ubuntu2204-emu", instanceTypeId: "ecs.g3il.large", subnetId: "subnet-emu-cn-beijing-a", securityGroupIds: ["sg-emu-default"], instanceName: "plain", password: "Plain-Passw0rd!", dataVolumes: [{ size: 20 }], __identity: "test/dev/plain" };
    const inst = await spotInstanceProvider.create((await spotInstanceProvider.check!({}, news)).inputs!);
    const made = await policy({ cloud: "volcengine", instanceId: inst.id, keepImages: 2, fallbacks: [{ zoneId: "cn-beijing-b", subnetId: "subnet-emu-cn-beijing-b" }] }, "volc");
    expect(made.outs.recordedPolicy).toBe("on=image-and-relaunch keep=2 fb=cn-beijing-b/subnet-emu-cn-beijing-b");
    await ctx.emu.admin.volcengine.writeFile({ instanceId: inst.id, path: "/data/m", content: "volc", volume: 1 });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const cloud = new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined)));
    const rec = (await new RecoveryController({ cloud, journal: journal(), clock: stepped() }).runOnce()).recoveries[0];
    expect(rec).toMatchObject({ state: "done", deadlineMet: true });
    ctx.emu.clock.advance(301_000);
    const refreshed = await spotRecoveryPolicyProvider.read!(made.id, made.outs);
    expect(refreshed).toMatchObject({ id: rec.replacementId, props: { recoveredFrom: inst.id, origin: inst.id } });
    const program = (await spotRecoveryPolicyProvider.check!(refreshed.props, { ...made.outs })).inputs!;
    expect(await spotRecoveryPolicyProvider.diff!(refreshed.id, refreshed.props, program)).toMatchObject({ changes: false });
    expect(await ctx.emu.admin.volcengine.files(rec.replacementId!, 1)).toEqual({ "/data/m": "volc" });
    await spotRecoveryPolicyProvider.delete!(refreshed.id, refreshed.props);
    const rep = (await ctx.emu.admin.volcengine.state()).instances.find((i) => i.InstanceId === rec.replacementId);
    expect(tagsOf(rep)[TAGS.policy]).toBeUndefined();
  });
});
