// `pulumi-recovery demo-policies` (the second half of `npm run demo`): snapshot and image policies running
// for a day and a half of emulated time on the emulator's scaled clock, through the same provider objects
// Pulumi runs and the recovery controller's passes (as `watch --once` on a schedule would run them):
//   - an AutoSnapshotPolicy: the cloud snapshots both volumes of a spot instance every 6 hours and
//     expires each snapshot after a day;
//   - the spot instance's recovery.copyToRegion: rolling points copied to cn-shanghai, two kept there;
//   - a scheduled RecoveryImage (imageEvery 6h, keepImages 2) of an on-demand instance.
// Prints what happens as it happens and checks, at the end, that retention and pruning kept exactly the
// newest and removed exactly the oldest. Then deletes everything it declared.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { envFor, startEmulator } from "../emulator";
import { autoSnapshotPolicyProvider, recoveryImageProvider, spotInstanceProvider } from "../provider";
import { volcengineConnection } from "../provider/config";
import { externalClock } from "../provider/core/clock";
import { RecoveryController } from "../provider/recovery/controller";
import { FileJournal } from "../provider/recovery/journal";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";

export interface PoliciesDemoOptions {
  json?: boolean;
  /** Emulated seconds per real second (default 7200: two hours a second). */
  timeScale?: number;
  /** Emulated hours to run (default 36). */
  hours?: number;
  /**
   * Frozen emulator clock, moved a second per request and an hour per controller pass, instead of the
   * scaled one: the same story, decided by the requests made and not by how busy the machine is (tests).
   */
  stepped?: boolean;
}

const HOUR = 3_600_000;
const DEST = "cn-shanghai";

export async function policiesDemo(opts: PoliciesDemoOptions = {}): Promise<number> {
  const timeScale = opts.timeScale ?? 7200;
  const hours = opts.hours ?? 36;
  const say = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  // Start at 00:30 in UTC+8, so the policy's time points fall on the hour a little later.
  const start = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 8 * HOUR + 24 * HOUR + 30 * 60_000;
  const emu = await startEmulator({ timeScale, clock: opts.stepped ? { start, frozen: true, stepPerRequestMs: 1000 } : { start } });
  /** Lets `ms` of emulated time pass: advanced on a stepped clock, waited out on a scaled one. */
  const pass = async (ms: number) => (opts.stepped ? emu.clock.advance(ms) : new Promise((r) => setTimeout(r, Math.max(10, ms / timeScale))));
  const savedEnv = { ...process.env };
  Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: process.env.PULUMI_RECOVERY_POLL_MS ?? "20" });
  const dir = mkdtempSync(path.join(tmpdir(), "pulumi-recovery-policies-"));
  const local = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(5, 16).replace("T", " ");
  const t = () => `[${local(emu.clock.now())} UTC+8]`;
  try {
    say(opts.stepped ? `emulator at ${emu.url}, its clock stepped: a second per request, an hour per controller pass` : `emulator at ${emu.url}, time scale ${timeScale}× (an emulated hour every ${(3600 / timeScale).toFixed(1)} s)`);
    const client = VolcengineClient.for(volcengineConnection(undefined));

    // 1. The stack, as `pulumi up` would create it.
    const spot = (await spotInstanceProvider.check!({}, {
      zoneId: "cn-beijing-a",
      imageId: "image-ubuntu2204-emu",
      instanceTypeId: "ecs.g3il.large",
      subnetId: "subnet-emu-cn-beijing-a",
      securityGroupIds: ["sg-emu-default"],
      instanceName: "demo-web",
      dataVolumes: [{ size: 20 }],
      recovery: { keepImages: 2, imageEvery: "4h", copyToRegion: { region: DEST, keep: 2, relaunch: { zoneId: `${DEST}-a`, subnetId: `subnet-emu-${DEST}-a`, securityGroupIds: ["sg-emu-default"] } } },
      __identity: "demo/dev/web",
    })).inputs!;
    const web = await spotInstanceProvider.create(spot);
    say(`${t()} SpotInstance demo-web: ${web.id} (system + 20 GiB data volume), recovery: a rolling point every 4h, copied to ${DEST} (2 kept)`);
    const policyInputs = (await autoSnapshotPolicyProvider.check!({}, { name: "demo-every-6h", timePoints: [0, 6, 12, 18], repeatDays: 1, retentionDays: 1, instanceIds: [web.id], __identity: "demo/dev/policy" })).inputs!;
    const policy = await autoSnapshotPolicyProvider.create(policyInputs);
    say(`${t()} AutoSnapshotPolicy demo-every-6h: ${policy.id}, 00/06/12/18 h every day, each snapshot kept 1 day, applied to ${policy.outs.appliedVolumeIds.length} volumes`);
    const { InstanceIds } = await client.ecs<{ InstanceIds: string[] }>("RunInstances", {
      ZoneId: "cn-beijing-b",
      ImageId: "image-debian12-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "demo-db",
      SpotStrategy: "NoSpot",
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-b", SecurityGroupIds: ["sg-emu-default"] }],
    });
    const db = InstanceIds[0];
    await pass(60 * 1000 + 20 * timeScale);
    const schedInputs = (await recoveryImageProvider.check!({}, { instanceId: db, imageName: "demo-db", imageEvery: "6h", keepImages: 2, __identity: "demo/dev/db-images" })).inputs!;
    const sched = await recoveryImageProvider.create(schedInputs);
    say(`${t()} RecoveryImage demo-db (on-demand ${db}): schedule ${sched.id}, an image every 6h, 2 kept; first image ${sched.outs.latestImageId}`);

    // 2. The controller, one pass per emulated hour (as a scheduled `pulumi-recovery watch --once`).
    const journal = new FileJournal(path.join(dir, "journal.json"));
    const controller = new RecoveryController({
      cloud: new VolcengineRecovery(client),
      journal,
      clock: externalClock(() => emu.clock.now(), opts.stepped ? 0 : 1 / timeScale),
      onEvent: (e) => {
        if (["copy", "scheduled-image", "pruned", "rolling-point"].includes(e.kind)) say(`${t()} ${e.kind}: ${e.message}`);
      },
    });
    const seen = new Map<string, { created: number; volume: string }>();
    const taken: string[] = [];
    const expired: { id: string; created: number; goneBy: number }[] = [];
    const end = emu.clock.now() + hours * HOUR;
    /** What the cloud's policy did since the last look: snapshots taken and expired. */
    const account = async () => {
      const now = emu.clock.now();
      const autos = (await emu.admin.volcengine.state()).snapshots.filter((s: any) => s.auto);
      const fresh = autos.filter((s: any) => !seen.has(s.SnapshotId));
      for (const s of fresh) {
        seen.set(s.SnapshotId, { created: s.createdAt, volume: s.VolumeId });
        taken.push(s.SnapshotId);
      }
      const gone = [...seen.keys()].filter((id) => !autos.some((s: any) => s.SnapshotId === id) && !expired.some((x) => x.id === id));
      for (const id of gone) expired.push({ id, created: seen.get(id)!.created, goneBy: now });
      if (fresh.length) say(`${t()} auto snapshots: ${fresh.length} taken at ${[...new Set(fresh.map((s: any) => local(s.createdAt).slice(6)))].join(", ")} (${autos.length} held)`);
      if (gone.length) say(`${t()} auto snapshots: ${gone.length} expired, taken at ${[...new Set(gone.map((id) => local(seen.get(id)!.created).slice(6)))].join(", ")} (retention 1 day)`);
    };
    while (emu.clock.now() < end) {
      await controller.runOnce();
      const now = emu.clock.now();
      await account();
      await pass(Math.max(0, HOUR - (emu.clock.now() - now)));
    }
    await account();
    await journal.close();

    // 3. What is left, and whether pruning took exactly the oldest.
    const state = await emu.admin.volcengine.state();
    const held = state.snapshots.filter((s: any) => s.auto);
    const oldestHeld = Math.min(...held.map((s: any) => s.createdAt));
    const retentionOk = expired.every((x) => x.created < oldestHeld && x.goneBy - x.created >= 24 * HOUR) && held.every((s: any) => emu.clock.now() - s.createdAt < 24 * HOUR + HOUR);
    const schedImages = state.images.filter((i: any) => i.SourceInstanceId === db && i.Status === "available");
    const copies = (await emu.admin.volcengine.state(DEST)).images.filter((i: any) => i.Status === "available");
    const read = await recoveryImageProvider.read!(sched.id, sched.outs);
    say(`\nafter ${hours} emulated hours:`);
    say(`  auto snapshots: ${taken.length} taken, ${expired.length} expired (all older than every snapshot still held: ${retentionOk ? "yes" : "NO"}), ${held.length} held`);
    say(`  schedule ${sched.id}: ${read.props.count} images kept (${(read.props.imageIds ?? []).join(", ")}), newest ${read.props.latestImageId}`);
    say(`  copies in ${DEST}: ${copies.length} kept (${copies.map((c: any) => c.ImageId).join(", ")})`);

    // 4. `pulumi destroy`, and the controller's own points and copies.
    await recoveryImageProvider.delete!(sched.id, read.props);
    await autoSnapshotPolicyProvider.delete!(policy.id, policy.outs);
    await spotInstanceProvider.delete!(web.id, web.outs);
    const cloud = new VolcengineRecovery(client);
    for (const c of copies) await cloud.deleteCopy(DEST, c.ImageId);
    say(`deleted the policy (its snapshots stay, with their retention), the schedule's images, the instance and the copies`);

    const summary = {
      autoSnapshotsTaken: taken.length,
      autoSnapshotsExpired: expired.length,
      autoSnapshotsHeld: held.length,
      retentionOk,
      scheduleId: sched.id,
      scheduledImagesKept: read.props.count ?? 0,
      scheduledImagesAvailable: schedImages.length,
      copiesKept: copies.length,
      hours,
      timeScale,
    };
    const passed = retentionOk && taken.length > 0 && expired.length > 0 && summary.scheduledImagesKept === 2 && copies.length === 2;
    say(`\n${passed ? "POLICIES DEMO PASSED" : "POLICIES DEMO FAILED"}`);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    return passed ? 0 : 1;
  } finally {
    process.env = savedEnv;
    rmSync(dir, { recursive: true, force: true });
    await emu.close();
  }
}
