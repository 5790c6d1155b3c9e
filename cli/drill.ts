// `pulumi-recovery drill` (and `npm run demo`): a whole spot recovery on the local emulator, on each cloud,
// through the real SDKs and the same provider objects Pulumi runs. Starts the emulator at a fast time
// scale; on Volcengine declares a protected spot instance and a baseline RecoveryImage, on Alibaba Cloud
// attaches a SpotRecoveryPolicy to a preemptible instance "another provider" launched; writes a data marker
// on every disk, injects the interruption, runs the recovery controller, checks the replacement holds the
// markers, shows the timeline against the deadline, and deletes everything again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { envFor, startEmulator } from "../emulator";
import { alicloudAutoSnapshotPolicyProvider, consistentSnapshotGroupProvider, consistentSnapshotPolicyProvider, recoveryImageProvider, serverBackupPolicyProvider, serverRecoveryPolicyProvider, serverSuspendScheduleProvider, snapshotRoleProvider, spotInstanceProvider, spotRecoveryPolicyProvider } from "../provider";
import { AlicloudClient } from "../provider/alicloud/client";
import { removeInstance } from "../provider/alicloud/instances";
import { AlicloudPolicyRunner } from "../provider/alicloud/policyRunner";
import { AlicloudRecovery } from "../provider/alicloud/recovery";
import { alicloudConnection, openstackConnection, volcengineConnection } from "../provider/config";
import { externalClock, type Clock } from "../provider/core/clock";
import { RecoveryController, type RecoveryEvent } from "../provider/recovery/controller";
import { FileJournal } from "../provider/recovery/journal";
import { formatMs } from "../provider/recovery/planner";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";
import { OpenStackClient } from "../provider/openstack/client";
import { FileActionJournal } from "../provider/openstack/journal";
import { operate } from "../provider/openstack/operator";
import { OpenStackRunner } from "../provider/openstack/runner";
import { findServer } from "../provider/openstack/servers";
import { recoveryLine, runnerLine } from "./jobs";

export interface DrillOptions {
  json?: boolean;
  timeScale?: number;
  noticeSeconds?: number;
  /**
   * A frozen emulator clock moved a second per request (and over the waits), instead of the scaled one:
   * whether the deadline is met is decided by the requests made, not by how busy the machine is (tests).
   */
  stepped?: boolean;
}

const MARKER_PATH = "/var/lib/app/marker.txt";
const DATA_MARKER_PATH = "/data/app/marker.txt";

export async function drill(opts: DrillOptions = {}): Promise<number> {
  const timeScale = opts.timeScale ?? 60;
  const noticeSeconds = opts.noticeSeconds ?? 300;
  const say = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  const emu = await startEmulator(opts.stepped ? { timeScale, clock: { frozen: true, stepPerRequestMs: 1000 } } : { timeScale });
  /** Lets `ms` of emulated time pass: advanced on a stepped clock, waited out on a scaled one. */
  const letPass = (ms: number) => (opts.stepped ? Promise.resolve(emu.clock.advance(Math.max(0, ms))) : new Promise<void>((r) => setTimeout(r, Math.max(0, ms) / timeScale)));
  /** The controllers' clock: the emulator's, sleeping in real time only when it runs by itself. */
  const cloudClockOf = () => externalClock(() => emu.clock.now(), opts.stepped ? 0 : 1 / timeScale);
  const savedEnv = { ...process.env };
  Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: process.env.PULUMI_RECOVERY_POLL_MS ?? "50" });
  const dir = mkdtempSync(path.join(tmpdir(), "pulumi-recovery-drill-"));
  const events: RecoveryEvent[] = [];
  try {
    say(`emulator at ${emu.url} (time scale ${timeScale}×: the ${noticeSeconds / 60}-minute notice lasts ${formatMs((noticeSeconds * 1000) / timeScale)} of real time)`);

    // 1. The stack: a protected spot instance with a data disk, and its baseline recovery image, as
    //    `pulumi up` would create them.
    const userData = "#!/bin/sh\necho drill > /etc/motd\n";
    const news = {
      zoneId: "cn-beijing-a",
      imageId: "image-ubuntu2204-emu",
      instanceTypeId: "ecs.g3il.large",
      subnetId: "subnet-emu-cn-beijing-a",
      securityGroupIds: ["sg-emu-default"],
      instanceName: "drill-web",
      hostname: "drill-web-01",
      password: "Drill-Passw0rd!",
      userData,
      dataVolumes: [{ volumeType: "ESSD_PL0", size: 20, deleteWithInstance: true }],
      spotStrategy: "SpotWithPriceLimit",
      spotPriceLimit: 0.2,
      tags: { app: "drill" },
      recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
      __identity: "drill/dev/web",
    };
    const checked = await spotInstanceProvider.check!({}, news);
    if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const inst = await spotInstanceProvider.create(checked.inputs!);
    say(`created SpotInstance drill-web: ${inst.id} (${inst.outs.status}, ${inst.outs.spotStrategy} ≤ ${inst.outs.spotPriceLimit}, ip ${inst.outs.privateIpAddress}, a 40 GiB system and a 20 GiB data volume)`);
    const imgInputs = (await recoveryImageProvider.check!({}, { instanceId: inst.id, imageName: "drill-web-baseline", __identity: "drill/dev/baseline" })).inputs!;
    const baseline = await recoveryImageProvider.create(imgInputs);
    say(`created RecoveryImage drill-web-baseline: ${baseline.id} (${baseline.outs.status}; data volume in snapshot ${baseline.outs.dataSnapshots[0]?.snapshotId})`);

    // 2. Data that must survive, written after the baseline, on the system disk and on the data disk.
    const marker = `drill-${Date.now().toString(36)}`;
    await emu.admin.volcengine.writeFile({ instanceId: inst.id, path: MARKER_PATH, content: marker });
    await emu.admin.volcengine.writeFile({ instanceId: inst.id, path: DATA_MARKER_PATH, content: `${marker}-data`, volume: 1 });
    say(`wrote data marker ${marker} to ${MARKER_PATH} (system disk) and ${DATA_MARKER_PATH} (data disk) on ${inst.id}`);

    // 3. The cloud gives notice.
    const { eventId, releaseAt } = await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds });
    say(`spot interruption ${eventId}: ${inst.id} will be released at ${releaseAt}`);
    const seen = await spotInstanceProvider.read!(inst.id, inst.outs);
    say(`SpotInstance reads interruptionScheduled=${seen.props.interruptionScheduled}, releaseAt=${seen.props.releaseAt}`);

    // 4. The controller, one pass carried through to the end (as `pulumi-recovery watch --once`), on the
    //    cloud's (the emulator's) clock.
    const cloud = new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined)));
    const journal = new FileJournal(path.join(dir, "journal.json"));
    const controller = new RecoveryController({
      cloud,
      journal,
      clock: cloudClockOf(),
      onEvent: (e) => {
        events.push(e);
        say(recoveryLine(e));
      },
    });
    const pass = await controller.runOnce();
    await journal.close();
    const rec = pass.recoveries.find((r) => r.eventId === eventId);
    if (!rec) throw new Error("the controller did not pick up the interruption");

    // 5. Did everything survive? Wait for the release, then look at the replacement.
    await letPass(Date.parse(releaseAt) - emu.clock.now() + 100 * timeScale);
    const stateAfter = await emu.admin.volcengine.state();
    const originalGone = !stateAfter.instances.some((i) => i.InstanceId === inst.id);
    const replacement = stateAfter.instances.find((i) => i.InstanceId === rec.replacementId);
    const sysFiles = rec.replacementId ? await emu.admin.volcengine.files(rec.replacementId, 0) : {};
    const dataFiles = rec.replacementId ? await emu.admin.volcengine.files(rec.replacementId, 1) : {};
    const dataIntact = sysFiles[MARKER_PATH] === marker && dataFiles[DATA_MARKER_PATH] === `${marker}-data`;
    const kept = {
      hostname: replacement?.Hostname === news.hostname,
      password: replacement?.credential?.kind === "password",
      userData: replacement?.userData === Buffer.from(userData).toString("base64"),
      dataVolume: replacement?.volumes?.[1]?.Size === 20 && replacement?.volumes?.[1]?.DeleteWithInstance === true,
    };
    say(`released: ${originalGone ? "yes" : "no"}; replacement ${rec.replacementId} holds the system-disk marker: ${sysFiles[MARKER_PATH] === marker ? "yes" : "NO"}, the data-disk marker: ${dataFiles[DATA_MARKER_PATH] === `${marker}-data` ? "yes" : "NO"}`);
    say(`the replacement kept: hostname ${kept.hostname ? "yes" : "NO"}, the login password ${kept.password ? "yes" : "NO"}, user data ${kept.userData ? "yes" : "NO"}, the 20 GiB data volume ${kept.dataVolume ? "yes" : "NO"}`);

    // 6. What `pulumi refresh` sees: the stack adopts the replacement.
    const refreshed = await spotInstanceProvider.read!(inst.id, inst.outs);
    say(`pulumi refresh would now read SpotInstance drill-web as ${refreshed.id} (recoveredFrom ${refreshed.props.recoveredFrom})`);

    // 7. Timeline against the deadline.
    say("\ntimeline (emulated time, relative to the notice):");
    const t0 = Date.parse(rec.noticedAt);
    for (const [step, t] of Object.entries(rec.steps)) {
      if (!t?.endedAt) continue;
      say(`  ${step.padEnd(13)} +${formatMs(Date.parse(t.endedAt) - t0).padStart(6)}  took ${formatMs(t.ms ?? 0).padStart(6)}  margin ${formatMs(t.marginMs ?? 0)}`);
    }
    say(`  release       +${formatMs(Date.parse(releaseAt) - t0).padStart(6)}`);

    // 8. `pulumi destroy`: everything goes, through the providers; the controller's recovery points go too.
    await spotInstanceProvider.delete!(refreshed.id || inst.id, refreshed.props);
    await recoveryImageProvider.delete!(baseline.id, baseline.outs);
    for (const p of await cloud.points()) await cloud.deletePoint(p.id);
    const finalState = await emu.admin.volcengine.state();
    const empty = finalState.instances.length === 0 && finalState.images.length === 0 && finalState.snapshotGroups.length === 0 && finalState.snapshots.length === 0;
    say(`deleted everything; emulator empty: ${empty ? "yes" : "NO"}`);

    // 9. Alibaba Cloud: a preemptible instance another provider manages, protected by a SpotRecoveryPolicy.
    const ali = await alicloudDrill(emu, { say, dir, timeScale, events, letPass, clock: cloudClockOf() });

    // 10. Alibaba Cloud: an application-consistent snapshot group of a database instance.
    const snap = await snapshotDrill(emu, say);
    // 10. Alibaba Cloud: the same group on a schedule, pruned by the controller; ECS's own automatic snapshots.
    const policy = await policyDrill(emu, say, cloudClockOf());

    // 10. OpenStack: backups that rotate, a failed server rescued and repaired, a night's suspend.
    const os = await openstackDrill(emu, dir, say);

    const recovered = rec.state === "done" && Boolean(rec.replacementId);
    const configKept = Object.values(kept).every(Boolean);
    // Parameters the clouds' API models do not know (the real gateways ignore them silently).
    const calls = await emu.admin.calls();
    const unknownParams = [...new Map(calls.filter((c) => c.unknownParams.length).map((c) => [`${c.cloud} ${c.service} ${c.action} ${c.unknownParams.join(",")}`, { cloud: c.cloud, service: c.service, action: c.action, unknownParams: c.unknownParams }])).values()];
    for (const u of unknownParams) say(`note: ${u.cloud} ${u.action} was sent parameters its API model does not know: ${u.unknownParams.join(", ")}`);
    const summary = {
      recovered,
      dataIntact,
      configKept: kept,
      deadlineMet: Boolean(rec.deadlineMet),
      originalInstanceId: inst.id,
      replacementInstanceId: rec.replacementId ?? null,
      recoveryPointId: rec.pointId ?? null,
      recoveryImageId: rec.imageId ?? null,
      pointSource: rec.pointSource ?? null,
      baselineImageId: baseline.id,
      releaseAt,
      noticeSeconds,
      timeScale,
      steps: Object.fromEntries(Object.entries(rec.steps).map(([k, v]) => [k, { ms: v?.ms ?? null, marginMs: v?.marginMs ?? null }])),
      apiCalls: calls.length,
      unknownParams,
      emulatorEmptyAfterCleanup: empty,
      alicloud: ali,
      snapshotGroup: snap,
      openstack: os,
      snapshotPolicy: policy,
    };
    const osPassed = os.backupsMade === 3 && os.backupsKept === 2 && os.rescued && os.secondDisk && os.repaired && os.suspendedAndResumed && os.cleanedUp;
    const aliPassed = ali.recovered && ali.dataIntact && Object.values(ali.configKept).every(Boolean) && ali.deadlineMet && ali.policyFollowed && ali.cleanedUp;
    const passed = recovered && dataIntact && configKept && summary.deadlineMet && empty && aliPassed && snap.consistency === "application" && policy.ok && osPassed;
    say(`\n${passed ? "DRILL PASSED" : "DRILL FAILED"}: volcengine recovered=${recovered} dataIntact=${dataIntact} configKept=${configKept} deadlineMet=${summary.deadlineMet}; alicloud recovered=${ali.recovered} dataIntact=${ali.dataIntact} deadlineMet=${ali.deadlineMet}; snapshotGroup=${snap.consistency} snapshotPolicy=${policy.ok ? "pruned to keepLast" : "WRONG"} openstack=${osPassed}`);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    return passed ? 0 : 1;
  } finally {
    process.env = savedEnv;
    rmSync(dir, { recursive: true, force: true });
    await emu.close();
  }
}

/**
 * Alibaba Cloud: RunInstances of a preemptible instance (standing in for an alicloud.ecs.Instance), a
 * SpotRecoveryPolicy on it, markers on both disks, a preemption (the Recycling lock, 5 minutes), the
 * controller, the markers on the replacement, the policy following it on refresh, and cleanup.
 */
async function alicloudDrill(
  emu: Awaited<ReturnType<typeof startEmulator>>,
  o: { say: (line: string) => void; dir: string; timeScale: number; events: RecoveryEvent[]; letPass: (ms: number) => Promise<void>; clock: Clock },
) {
  const { say } = o;
  say("\nAlibaba Cloud: a preemptible instance managed elsewhere, protected by a SpotRecoveryPolicy");
  const client = AlicloudClient.for(alicloudConnection(undefined));
  const launched = await client.call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", {
    ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
    InstanceType: "ecs.g7.large",
    VSwitchId: "vsw-emu-cn-hangzhou-h",
    SecurityGroupIds: ["sg-emu-default"],
    InstanceName: "drill-ali-web",
    HostName: "drill-ali-web-01",
    Password: "Drill-Passw0rd!",
    SpotStrategy: "SpotWithPriceLimit",
    SpotPriceLimit: 0.3,
    "SystemDisk.Category": "cloud_essd",
    "SystemDisk.Size": 40,
    "DataDisk.1.Category": "cloud_auto",
    "DataDisk.1.Size": 60,
    "Tag.1.Key": "app",
    "Tag.1.Value": "drill",
  });
  const id = launched.InstanceIdSets.InstanceIdSet[0];
  while ((await emu.admin.alicloud.state()).instances.find((i) => i.InstanceId === id)?.Status !== "Running") await o.letPass(50 * o.timeScale);
  const policyInputs = (await spotRecoveryPolicyProvider.check!({}, { cloud: "alicloud", instanceId: id, onInterruption: "image-and-relaunch", keepImages: 2, __identity: "drill/dev/ali-web" })).inputs!;
  const policy = await spotRecoveryPolicyProvider.create(policyInputs);
  say(`launched ${id} (SpotWithPriceLimit ≤ 0.3, a 40 GiB cloud_essd system disk and a 60 GiB cloud_auto data disk) and attached SpotRecoveryPolicy: ${policy.outs.recordedPolicy}`);
  const marker = `ali-${Date.now().toString(36)}`;
  await emu.admin.alicloud.writeFile({ instanceId: id, path: MARKER_PATH, content: marker });
  await emu.admin.alicloud.writeFile({ instanceId: id, path: DATA_MARKER_PATH, content: `${marker}-data`, disk: 1 });
  const { releaseAt } = await emu.admin.alicloud.preemption({ instanceId: id });
  say(`preemptible interruption of ${id}: OperationLocks Recycling, release at ${releaseAt}`);
  const meta = await fetch(`${emu.url}/latest/meta-data/instance/spot/termination-time`, { headers: { "x-emulator-instance-id": id } });
  say(`the guest reads instance/spot/termination-time: ${meta.status} ${await meta.text()}`);

  const clock = o.clock;
  const cloud = new AlicloudRecovery(client, clock);
  const journal = new FileJournal(path.join(o.dir, "journal-alicloud.json"));
  const controller = new RecoveryController({ cloud, journal, clock, onEvent: (e) => (o.events.push(e), say(recoveryLine(e))) });
  const rec = (await controller.runOnce()).recoveries.find((r) => r.instanceId === id);
  await journal.close();
  if (!rec) throw new Error("the controller did not pick up the Alibaba Cloud interruption");
  await o.letPass(Date.parse(releaseAt) - emu.clock.now() + 100 * o.timeScale);

  const state = await emu.admin.alicloud.state();
  const rep = state.instances.find((i) => i.InstanceId === rec.replacementId);
  const sys = rec.replacementId ? await emu.admin.alicloud.files(rec.replacementId, 0) : {};
  const data = rec.replacementId ? await emu.admin.alicloud.files(rec.replacementId, 1) : {};
  const dataIntact = sys[MARKER_PATH] === marker && data[DATA_MARKER_PATH] === `${marker}-data`;
  const configKept = {
    zoneAndVSwitch: rep?.ZoneId === "cn-hangzhou-h" && rep?.VSwitchId === "vsw-emu-cn-hangzhou-h",
    spot: rep?.SpotStrategy === "SpotWithPriceLimit" && rep?.SpotPriceLimit === 0.3,
    disks: JSON.stringify(rep?.disks.map((d: any) => [d.Category, d.Size])) === JSON.stringify([["cloud_essd", 40], ["cloud_auto", 60]]),
    password: rep?.credential === "password",
    hostname: rep?.HostName === "drill-ali-web-01",
  };
  say(`released: ${state.instances.some((i) => i.InstanceId === id) ? "NO" : "yes"}; replacement ${rec.replacementId} holds the system-disk marker: ${sys[MARKER_PATH] === marker ? "yes" : "NO"}, the data-disk marker: ${data[DATA_MARKER_PATH] === `${marker}-data` ? "yes" : "NO"}`);
  say(`the replacement kept: ${Object.entries(configKept).map(([k, v]) => `${k} ${v ? "yes" : "NO"}`).join(", ")}`);
  const refreshed = await spotRecoveryPolicyProvider.read!(policy.id, policy.outs);
  const policyFollowed = refreshed.id === rec.replacementId;
  say(`pulumi refresh would read the SpotRecoveryPolicy as attached to ${refreshed.id} (recoveredFrom ${refreshed.props.recoveredFrom}); alicloud.ecs.Instance would find ${id} gone`);

  await spotRecoveryPolicyProvider.delete!(refreshed.id || policy.id, refreshed.id ? refreshed.props : policy.outs);
  if (rec.replacementId) await removeInstance(client, rec.replacementId, 10 * 60_000, clock);
  for (const p of await cloud.points()) await cloud.deletePoint(p.id);
  const after = await emu.admin.alicloud.state();
  const cleanedUp = after.images.length === 0 && after.imageSnapshots.length === 0 && !after.instances.some((i) => [id, rec.replacementId].includes(i.InstanceId));
  say(`deleted the policy, the replacement and the recovery points; nothing left: ${cleanedUp ? "yes" : "NO"}`);
  return {
    recovered: rec.state === "done" && Boolean(rec.replacementId),
    dataIntact,
    configKept,
    deadlineMet: Boolean(rec.deadlineMet),
    originalInstanceId: id,
    replacementInstanceId: rec.replacementId ?? null,
    recoveryPointId: rec.pointId ?? null,
    releaseAt,
    steps: Object.fromEntries(Object.entries(rec.steps).map(([k, v]) => [k, { ms: v?.ms ?? null, marginMs: v?.marginMs ?? null }])),
    policyFollowed,
    cleanedUp,
  };
}

/** SnapshotRole → freeze/thaw scripts on the instance → ConsistentSnapshotGroup → delete both. */
async function snapshotDrill(emu: Awaited<ReturnType<typeof startEmulator>>, say: (line: string) => void) {
  const instanceId = "i-emu-db-linux";
  say(`\nAlibaba Cloud: application-consistent snapshot group of ${instanceId}`);
  const role = await snapshotRoleProvider.create((await snapshotRoleProvider.check!({}, { roleName: "drill-snapshots", instanceIds: [instanceId] })).inputs!);
  say(`created SnapshotRole drill-snapshots (policy ${role.outs.policyName}) and attached it to ${instanceId}`);
  for (const [path, body] of [["/root/prescript.sh", "FLUSH TABLES WITH READ LOCK"], ["/root/postscript.sh", "UNLOCK TABLES"]]) {
    await emu.admin.request("alicloud/files", "POST", { instanceId, path, content: `#!/bin/sh\nmysql -e '${body}'\n`, owner: "root", mode: "700" });
  }
  const news = { instanceId, ramRoleName: "drill-snapshots", name: "drill-db", preScriptPath: "/root/prescript.sh", postScriptPath: "/root/postscript.sh", __identity: "drill/dev/db" };
  const group = await consistentSnapshotGroupProvider.create((await consistentSnapshotGroupProvider.check!({}, news)).inputs!);
  say(`created ConsistentSnapshotGroup ${group.id}: ${group.outs.consistency}-consistent, ${group.outs.snapshotIds.length} snapshots (${group.outs.snapshotIds.join(", ")}), via invocation ${group.outs.invocationId}`);
  await consistentSnapshotGroupProvider.delete!(group.id, group.outs);
  await snapshotRoleProvider.delete!(role.id, role.outs);
  const state = await emu.admin.request("alicloud/state");
  const empty = state.roles.length === 0 && state.policies.length === 0 && state.snapshotGroups.length === 0;
  say(`deleted the group and the role; nothing left: ${empty ? "yes" : "NO"}`);
  return { snapshotGroupId: group.id, consistency: group.outs.consistency as string, snapshots: group.outs.snapshotIds.length as number, cleanedUp: empty };
}

const RESCUE_IMAGE_ID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"; // the emulator's seeded rescue image
const CIRROS_IMAGE_ID = "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f";

/**
 * A server made as a user's @pulumi/openstack program would, protected by the three policies through
 * the providers; the runner on the emulator's clock, frozen and stepped: three daily backups of which
 * Nova keeps two, a boot failure rescued with the server's own disk as the second disk, the fix written
 * there, unrescue boots the repaired disk; a night suspended and resumed; everything deleted again.
 */
async function openstackDrill(emu: Awaited<ReturnType<typeof startEmulator>>, dir: string, say: (line: string) => void) {
  say("\nOpenStack: a server with a backup policy, a recovery policy and a suspend schedule");
  await emu.admin.freezeClock({ stepPerRequestMs: 1000 });
  const HOUR = 3600;
  const client = OpenStackClient.for(openstackConnection(undefined));
  const { body } = await client.compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name: "drill-db", imageRef: CIRROS_IMAGE_ID, flavorRef: "1", networks: "auto" } }, safe: false });
  const serverId = body.server.id;
  await emu.admin.advanceClock(15);
  await emu.admin.openstack.writeFile({ serverId, path: "/srv/app/data.txt", content: "orders: 42" });
  await emu.admin.openstack.writeFile({ serverId, path: "/etc/fstab", content: "/dev/vda1 / ext4 defaults 0 1\n" });
  say(`server drill-db ${serverId} is ${(await findServer(client, serverId)).status} (made directly in the emulator, as an openstack.compute.Instance would be)`);

  const declare = async (p: typeof serverBackupPolicyProvider, news: Record<string, unknown>) => {
    const c = await p.check!({}, news);
    if (c.failures?.length) throw new Error(`check failed: ${JSON.stringify(c.failures)}`);
    return p.create(c.inputs!);
  };
  const backup = await declare(serverBackupPolicyProvider, { serverId, schedule: "1d", backupType: "daily", rotation: 2, namePrefix: "drill-db", deleteBackupsOnDestroy: true, __identity: "drill/dev/db-daily" });
  const recovery = await declare(serverRecoveryPolicyProvider, { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE_ID, onError: true, __identity: "drill/dev/db-heal" });
  say(`declared ServerBackupPolicy (1d, rotation 2) and ServerRecoveryPolicy (rescue from ${RESCUE_IMAGE_ID}) as metadata ${backup.outs.policyKey}, ${recovery.outs.policyKey}`);

  const journal = new FileActionJournal(path.join(dir, "openstack-journal.json"));
  const runner = new OpenStackRunner({ client, journal, clock: externalClock(() => emu.clock.now(), 0), onEvent: (e) => say(`  ${runnerLine(e)}`) });
  try {
    // Three daily slots: a backup each; Nova keeps the newest two (rotation).
    let backupsMade = 0;
    for (let day = 0; day < 3; day++) {
      backupsMade += (await runner.runOnce()).backupsStarted;
      await emu.admin.advanceClock(HOUR); // the upload ends; Nova rotates
      await emu.admin.advanceClock(toNextHour(emu.clock.now(), 1) / 1000 + 60);
    }
    const kept = (await emu.admin.openstack.state()).images.filter((i: any) => i.properties.instance_uuid === serverId && i.properties.image_type === "backup");
    say(`backups: ${backupsMade} made on three daily slots, ${kept.length} kept by Nova's rotation: ${kept.map((i: any) => i.name).join(", ")}`);

    // A night: suspended at 20:00, resumed at 07:00 (declared in the morning, so the first pass finds it running as it should).
    const nights = await declare(serverSuspendScheduleProvider, { serverId, mode: "suspend", suspendAt: "0 20 * * *", resumeAt: "0 7 * * *", __identity: "drill/dev/db-nights" });
    say(`declared ServerSuspendSchedule (suspend 20:00, resume 07:00 UTC) as metadata ${nights.outs.policyKey}`);
    await emu.admin.advanceClock(toNextHour(emu.clock.now(), 7) / 1000 + 60);
    await runner.runOnce();
    await emu.admin.advanceClock(toNextHour(emu.clock.now(), 20) / 1000 + 60);
    const night = await runner.runOnce();
    const suspendedAt = (await findServer(client, serverId)).status;
    await emu.admin.advanceClock(toNextHour(emu.clock.now(), 7) / 1000 + 60);
    const morning = await runner.runOnce();
    const suspendedAndResumed = night.suspended === 1 && suspendedAt === "SUSPENDED" && morning.resumed === 1 && (await findServer(client, serverId)).status === "ACTIVE";
    say(`the night: ${suspendedAt} after 20:00, ${(await findServer(client, serverId)).status} after 07:00`);

    // The server fails to boot (a bad fstab): ERROR. The runner rescues it.
    await emu.admin.openstack.writeFile({ serverId, path: "/etc/fstab", content: "/dev/vdz1 / ext4 defaults 0 1\n" });
    await emu.admin.openstack.fail({ serverId, state: "ERROR", message: "Guest failed to boot: cannot mount root /dev/vdz1" });
    say(`drill-db fails: ERROR (cannot mount root /dev/vdz1)`);
    const pass = await runner.runOnce();
    const rescued = pass.recoveries === 1 && (await findServer(client, serverId)).status === "RESCUE";
    const rescueDisk = await emu.admin.openstack.disk(serverId, 0);
    const ownDisk = await emu.admin.openstack.disk(serverId, 1);
    const secondDisk = ownDisk.disks === 2 && rescueDisk.files["/etc/hostname"] === "rescue\n" && ownDisk.files["/srv/app/data.txt"] === "orders: 42";
    say(`rescued: ${rescued ? "yes" : "NO"}; disk 0 is the rescue image's (hostname ${rescueDisk.files["/etc/hostname"]?.trim()}), disk 1 is drill-db's own (fstab: ${ownDisk.files["/etc/fstab"]?.trim()})`);

    // The operator repairs the second disk (here: through the emulator's disk route), then unrescues.
    await emu.admin.openstack.writeFile({ serverId, disk: 1, path: "/etc/fstab", content: "/dev/vda1 / ext4 defaults 0 1\n" });
    const un = await operate(client, journal, serverId, "unrescue", { clock: externalClock(() => emu.clock.now(), 0) });
    const own = await emu.admin.openstack.disk(serverId, 0);
    const repaired = un.server.status === "ACTIVE" && own.disks === 1 && own.files["/etc/fstab"] === "/dev/vda1 / ext4 defaults 0 1\n" && own.files["/srv/app/data.txt"] === "orders: 42";
    say(`repaired on the second disk and unrescued: ${un.server.status}, boots its own disk with the fixed fstab and its data: ${repaired ? "yes" : "NO"}`);

    // `pulumi destroy`: the policies go (the backups too: deleteBackupsOnDestroy), then the server.
    await serverSuspendScheduleProvider.delete!(nights.id, nights.outs);
    await serverRecoveryPolicyProvider.delete!(recovery.id, recovery.outs);
    await serverBackupPolicyProvider.delete!(backup.id, backup.outs);
    const metadataLeft = Object.keys((await findServer(client, serverId)).metadata).length;
    await client.compute("DELETE", `/servers/${serverId}`);
    await emu.admin.advanceClock(10);
    const state = await emu.admin.openstack.state();
    const cleanedUp = metadataLeft === 0 && state.servers.length === 0 && !state.images.some((i: any) => i.properties.image_type === "backup");
    say(`deleted the policies (and their backups) and the server; nothing left: ${cleanedUp ? "yes" : "NO"}`);
    return { serverId, backupsMade, backupsKept: kept.length, rescued, secondDisk, repaired, suspendedAndResumed, cleanedUp };
  } finally {
    await journal.close();
  }
}

/** Milliseconds from `now` to the next `hour`:00 UTC. */
function toNextHour(now: number, hour: number): number {
  const d = new Date(now);
  const target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour);
  return (target > now ? target : target + 86_400_000) - now;
}

/**
 * ConsistentSnapshotPolicy: every hour, keep the newest 2. Emulated hours pass (the clock jumps an hour a
 * cycle, on top of its scale), the plugin runs at each, and the controller (`watch --cloud alicloud
 * --once`) prunes after each: the groups grow to 2 and stay there, the oldest going each time. Then an
 * AlicloudAutoSnapshotPolicy takes a night's automatic snapshots. Both deleted, their snapshots with them.
 */
async function policyDrill(emu: Awaited<ReturnType<typeof startEmulator>>, say: (line: string) => void, clock: Clock) {
  const instanceId = "i-emu-db-linux";
  const keepLast = 2;
  const cycles = 4;
  say(`\nAlibaba Cloud: a ConsistentSnapshotPolicy on ${instanceId}, every hour, keep the newest ${keepLast}`);
  const role = await snapshotRoleProvider.create((await snapshotRoleProvider.check!({}, { roleName: "drill-policy", instanceIds: [instanceId] })).inputs!);
  const news = { instanceId, ramRoleName: "drill-policy", name: "drill-db-hourly", preScriptPath: "/root/prescript.sh", postScriptPath: "/root/postscript.sh", scriptTimeoutSeconds: 600, schedule: "rate(1h)", keepLast, deleteSnapshotsOnDestroy: true, __identity: "drill/dev/db-hourly" };
  const checked = await consistentSnapshotPolicyProvider.check!({}, news);
  if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  const policy = await consistentSnapshotPolicyProvider.create(checked.inputs!);
  say(`created ConsistentSnapshotPolicy drill-db-hourly: invocation ${policy.id} (${policy.outs.status}, rate(1h))`);
  const runner = new AlicloudPolicyRunner({ client: AlicloudClient.for(alicloudConnection(undefined)), clock });
  const made: string[] = [];
  let pruned = 0;
  let kept = 0;
  await emu.admin.advanceClock(120);
  for (let cycle = 1; cycle <= cycles; cycle++) {
    await emu.admin.advanceClock(3600);
    const pass = await runner.runOnce();
    const groups = ((await emu.admin.request("alicloud/state")).snapshotGroups as { SnapshotGroupId: string; Name: string }[]).filter((g) => g.Name === "drill-db-hourly");
    made.push(...groups.map((g) => g.SnapshotGroupId).filter((id) => !made.includes(id)));
    pruned += pass.pruned;
    kept = groups.length;
    const gone = pass.events.filter((e) => e.kind === "pruned").map((e) => e.groupId);
    say(`  hour ${cycle}: ${made.length} group(s) made so far, ${kept} kept${gone.length ? `, pruned the oldest: ${gone.join(", ")}` : ""}`);
  }
  const read = await consistentSnapshotPolicyProvider.read!(policy.id, policy.outs);
  say(`pulumi refresh would read groupCount=${read.props.groupCount}, newest ${read.props.newestGroupId} (${read.props.newestConsistency})`);

  // ECS's own crash-consistent automatic snapshots of the other instance's disk, at 02:00 UTC+8, kept a day.
  const disks = (await emu.admin.request("alicloud/state")).instances.find((i: any) => i.InstanceId === "i-emu-app-windows").disks.map((d: any) => d.DiskId);
  const auto = await alicloudAutoSnapshotPolicyProvider.create((await alicloudAutoSnapshotPolicyProvider.check!({}, { name: "drill-nightly", timePoints: [2], repeatWeekdays: [1, 2, 3, 4, 5, 6, 7], retentionDays: 1, diskIds: disks, __identity: "drill/dev/nightly" })).inputs!);
  await emu.admin.advanceClock(2 * 86400);
  const autos = (await AlicloudClient.for(alicloudConnection(undefined)).call("ecs", "DescribeSnapshots", { SnapshotType: "auto", MaxResults: 100 })).Snapshots.Snapshot as unknown[];
  say(`created AlicloudAutoSnapshotPolicy drill-nightly (${auto.id}) on ${disks.join(", ")}; two nights later ${autos.length} automatic snapshot(s) exist (each kept a day)`);

  await alicloudAutoSnapshotPolicyProvider.delete!(auto.id, auto.outs);
  await consistentSnapshotPolicyProvider.delete!(policy.id, read.props);
  await snapshotRoleProvider.delete!(role.id, role.outs);
  const left = ((await emu.admin.request("alicloud/state")).snapshotGroups as unknown[]).length;
  say(`deleted both policies (deleteSnapshotsOnDestroy: the groups too) and the role; groups left: ${left}`);
  const ok = made.length === cycles && kept === keepLast && pruned === cycles - keepLast && read.props.groupCount === keepLast && left === 0 && autos.length === disks.length;
  return { invocationId: policy.id, cycles, groupsMade: made.length, kept, pruned, autoSnapshots: autos.length, cleanedUp: left === 0, ok };
}
