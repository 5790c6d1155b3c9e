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
import { consistentSnapshotGroupProvider, recoveryImageProvider, snapshotRoleProvider, spotInstanceProvider, spotRecoveryPolicyProvider } from "../provider";
import { AlicloudClient } from "../provider/alicloud/client";
import { AlicloudRecovery } from "../provider/alicloud/recovery";
import { removeInstance } from "../provider/alicloud/instances";
import { alicloudConnection, volcengineConnection } from "../provider/config";
import { externalClock } from "../provider/core/clock";
import { RecoveryController, type RecoveryEvent } from "../provider/recovery/controller";
import { FileJournal } from "../provider/recovery/journal";
import { formatMs } from "../provider/recovery/planner";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";
import { eventPrinter } from "./watch";

export interface DrillOptions {
  json?: boolean;
  timeScale?: number;
  noticeSeconds?: number;
}

const MARKER_PATH = "/var/lib/app/marker.txt";
const DATA_MARKER_PATH = "/data/app/marker.txt";

export async function drill(opts: DrillOptions = {}): Promise<number> {
  const timeScale = opts.timeScale ?? 60;
  const noticeSeconds = opts.noticeSeconds ?? 300;
  const say = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  const emu = await startEmulator({ timeScale });
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
    const print = eventPrinter(false, say);
    const controller = new RecoveryController({
      cloud,
      journal,
      clock: externalClock(() => emu.clock.now(), 1 / timeScale),
      onEvent: (e) => {
        events.push(e);
        print(e);
      },
    });
    const pass = await controller.runOnce();
    await journal.close();
    const rec = pass.recoveries.find((r) => r.eventId === eventId);
    if (!rec) throw new Error("the controller did not pick up the interruption");

    // 5. Did everything survive? Wait for the release, then look at the replacement.
    const waitReal = Math.max(0, (Date.parse(releaseAt) - emu.clock.now()) / timeScale);
    if (waitReal > 0) await new Promise((r) => setTimeout(r, waitReal + 100));
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
    const ali = await alicloudDrill(emu, { say, dir, timeScale, events });

    // 10. Alibaba Cloud: an application-consistent snapshot group of a database instance.
    const snap = await snapshotDrill(emu, say);

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
    };
    const aliPassed = ali.recovered && ali.dataIntact && Object.values(ali.configKept).every(Boolean) && ali.deadlineMet && ali.policyFollowed && ali.cleanedUp;
    const passed = recovered && dataIntact && configKept && summary.deadlineMet && empty && aliPassed && snap.consistency === "application";
    say(`\n${passed ? "DRILL PASSED" : "DRILL FAILED"}: volcengine recovered=${recovered} dataIntact=${dataIntact} configKept=${configKept} deadlineMet=${summary.deadlineMet}; alicloud recovered=${ali.recovered} dataIntact=${ali.dataIntact} deadlineMet=${ali.deadlineMet}; snapshotGroup=${snap.consistency}`);
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
async function alicloudDrill(emu: Awaited<ReturnType<typeof startEmulator>>, o: { say: (line: string) => void; dir: string; timeScale: number; events: RecoveryEvent[] }) {
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
  while ((await emu.admin.alicloud.state()).instances.find((i) => i.InstanceId === id)?.Status !== "Running") await new Promise((r) => setTimeout(r, 50));
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

  const clock = externalClock(() => emu.clock.now(), 1 / o.timeScale);
  const cloud = new AlicloudRecovery(client, clock);
  const journal = new FileJournal(path.join(o.dir, "journal-alicloud.json"));
  const print = eventPrinter(false, say);
  const controller = new RecoveryController({ cloud, journal, clock, onEvent: (e) => (o.events.push(e), print(e)) });
  const rec = (await controller.runOnce()).recoveries.find((r) => r.instanceId === id);
  await journal.close();
  if (!rec) throw new Error("the controller did not pick up the Alibaba Cloud interruption");
  const waitReal = Math.max(0, (Date.parse(releaseAt) - emu.clock.now()) / o.timeScale);
  if (waitReal > 0) await new Promise((r) => setTimeout(r, waitReal + 100));

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
