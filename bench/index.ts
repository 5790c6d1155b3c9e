// `npm run bench`: ratios and API-call counts on the emulator (no wall-clock assertions anywhere).
//  1. fleet polling: DescribeSystemEvents calls per controller pass, batched vs one per instance;
//  2. a recovery: time from notice to a RUNNING replacement as a share of the notice, and its API calls;
//  3. a SpotInstance create: API calls it costs;
//  4. retries under 30% throttling: calls per successful operation, and duplicates made (must be 0).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { envFor, startEmulator, type RunningEmulator } from "../emulator";
import { spotInstanceProvider } from "../provider";
import { volcengineConnection } from "../provider/config";
import { RecoveryController } from "../provider/recovery/controller";
import { externalClock } from "../provider/core/clock";
import { FileJournal } from "../provider/recovery/journal";
import { VolcengineClient } from "../provider/volcengine/client";
import { VolcengineRecovery } from "../provider/volcengine/recovery";

const inputs = {
  zoneId: "cn-beijing-a",
  imageId: "image-ubuntu2204-emu",
  instanceTypeId: "ecs.g3il.large",
  subnetId: "subnet-emu-cn-beijing-a",
  securityGroupIds: ["sg-emu-default"],
  recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
};

function row(name: string, value: string) {
  process.stdout.write(`${name.padEnd(58)} ${value}\n`);
}

async function countCalls(emu: RunningEmulator, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = (await emu.admin.calls()).at(-1)?.seq ?? 0;
  await fn();
  const calls = await emu.admin.calls({ since: before });
  const by: Record<string, number> = { total: calls.length };
  for (const c of calls) by[c.action] = (by[c.action] ?? 0) + 1;
  return by;
}

function controller(emu: RunningEmulator) {
  return new RecoveryController({
    cloud: new VolcengineRecovery(VolcengineClient.for(volcengineConnection(undefined))),
    journal: new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "bench-")), "journal.json")),
    clock: externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale),
  });
}

async function main() {
  const emu = await startEmulator({ timeScale: 100 });
  Object.assign(process.env, envFor(emu), { PULUMI_RECOVERY_POLL_MS: "20" });
  const client = VolcengineClient.for(volcengineConnection(undefined));
  try {
    // 1. Fleet polling.
    const fleet = 250;
    for (let n = 0; n < fleet; n += 100) {
      await client.ecs("RunInstances", {
        ZoneId: "cn-beijing-a",
        ImageId: "image-ubuntu2204-emu",
        InstanceTypeId: "ecs.g3il.large",
        InstanceName: `fleet-${n}`,
        SpotStrategy: "SpotAsPriceGo",
        Count: Math.min(100, fleet - n),
        ClientToken: `bench-fleet-${n}`,
        NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
        Tags: [{ Key: "pulumi-recovery:policy", Value: "on=image-and-relaunch keep=2" }],
      });
    }
    const pass = await countCalls(emu, () => controller(emu).runOnce());
    row(`fleet of ${fleet}: DescribeSystemEvents calls per pass`, `${pass.DescribeSystemEvents} (naive: ${fleet}; ratio ${(pass.DescribeSystemEvents / fleet).toFixed(3)})`);
    row(`fleet of ${fleet}: API calls per pass in all`, `${pass.total} (${(pass.total / fleet).toFixed(3)} per instance)`);
    await emu.admin.reset();

    // 2. One recovery.
    const created = await spotInstanceProvider.create((await spotInstanceProvider.check!({}, { ...inputs, instanceName: "bench", __identity: "bench/web" })).inputs!);
    const { releaseAt } = await emu.admin.volcengine.spotInterruption({ instanceId: created.id, noticeSeconds: 300 });
    const noticeAt = emu.clock.now();
    let rec: any;
    const recCalls = await countCalls(emu, async () => {
      rec = (await controller(emu).runOnce()).recoveries[0];
    });
    const tookMs = Date.parse(rec.steps["wait-running"].endedAt) - noticeAt;
    const notice = Date.parse(releaseAt) - noticeAt;
    row("recovery (40 GiB): notice used until replacement RUNNING", `${((100 * tookMs) / notice).toFixed(1)}% of the 5-minute notice (emulated ${Math.round(tookMs / 1000)}s)`);
    row("recovery: API calls", `${recCalls.total} (CreateSnapshotGroup ${recCalls.CreateSnapshotGroup ?? 0}, CreateImage ${recCalls.CreateImage ?? 0}, RunInstances ${recCalls.RunInstances ?? 0}, DescribeImages ${recCalls.DescribeImages ?? 0})`);
    await emu.admin.reset();

    // 3. A SpotInstance create.
    const createCalls = await countCalls(emu, async () => {
      await spotInstanceProvider.create((await spotInstanceProvider.check!({}, { ...inputs, instanceName: "bench2", __identity: "bench/web2" })).inputs!);
    });
    row("SpotInstance create: API calls", `${createCalls.total} (RunInstances ${createCalls.RunInstances}, DescribeInstances ${createCalls.DescribeInstances}, DescribeSystemEvents ${createCalls.DescribeSystemEvents})`);
    await emu.admin.reset();

    // 4. Retries under throttling.
    await emu.admin.addFault({ cloud: "volcengine", kind: "throttle", rate: 0.3 });
    const ops = 20;
    const throttled = await countCalls(emu, async () => {
      for (let i = 0; i < ops; i++) {
        await spotInstanceProvider.create((await spotInstanceProvider.check!({}, { ...inputs, instanceName: `t${i}`, __identity: `bench/t${i}` })).inputs!);
      }
    });
    await emu.admin.clearFaults();
    const instances = (await emu.admin.volcengine.state()).instances.length;
    row(`${ops} creates under 30% throttling: calls per create`, `${(throttled.total / ops).toFixed(2)} (RunInstances ${((throttled.RunInstances ?? 0) / ops).toFixed(2)} per create)`);
    row(`${ops} creates under 30% throttling: instances made`, `${instances} (duplicates: ${instances - ops})`);
  } finally {
    await emu.close();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e.stack ?? e}\n`);
  process.exitCode = 1;
});
