// examples/snapshot-policies driven by the real Pulumi CLI against the emulator: preview acts on nothing,
// up makes the policy (applied to the instance's volumes) and the first image of a schedule, a no-op up,
// a retention change in place, the controller's passes (as `watch --once`) adding to the schedule and
// copying to the second region, refresh following the schedule, destroy — and no secret on disk.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { externalClock } from "../../provider/core/clock";
import { RecoveryController } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);

const STATE_CHANGING = ["RunInstances", "CreateAutoSnapshotPolicy", "ApplyAutoSnapshotPolicy", "ModifyAutoSnapshotPolicy", "CreateSnapshotGroup", "CreateImage", "CopyImage", "CreateTags"];
const PASSWORD = "E2e-Policies-Pass-7";

describe.skipIf("skip" in cli)("snapshot-policies example with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  let project: PulumiProject;
  let client: VolcengineClient;
  let db = "";

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
    client = new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey });
    // An on-demand instance managed elsewhere: what the scheduled RecoveryImage is for.
    const { InstanceIds } = await client.ecs<{ InstanceIds: string[] }>("RunInstances", {
      ZoneId: "cn-beijing-b",
      ImageId: "image-debian12-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "db",
      SpotStrategy: "NoSpot",
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-b", SecurityGroupIds: ["sg-emu-default"] }],
    });
    db = InstanceIds[0];
    emu.clock.advance(60_000);
    project = new PulumiProject((cli as { bin: string }).bin, "examples/snapshot-policies", {
      VOLCENGINE_ACCESS_KEY: undefined,
      VOLCENGINE_SECRET_KEY: undefined,
      VOLCENGINE_ENDPOINT: undefined,
      VOLCENGINE_REGION: undefined,
      PULUMI_RECOVERY_POLL_MS: "50",
    });
    await project.run(["stack", "init", "dev"]);
    for (const [k, v, secret] of [
      ["volcengine:region", "cn-beijing", false],
      ["volcengine:endpoint", emu.url, false],
      ["volcengine:accessKey", emu.credentials.accessKeyId, true],
      ["volcengine:secretKey", emu.credentials.secretKey, true],
      ["password", PASSWORD, true],
      ["dbInstanceId", db, false],
      ["imageEvery", "1h", false],
      ["keepImages", "2", false],
    ] as const) {
      await project.run(["config", "set", ...(secret ? ["--secret"] : []), k, v]);
    }
    await emu.admin.clearCalls(); // the db instance above is the test's, not the stack's
  }, 180_000);

  afterAll(async () => {
    await project?.run(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    project?.cleanup();
    await emu?.close();
  }, 240_000);

  it("preview acts on nothing; up makes the policy and the schedule's first image; a second up changes nothing; retention changes in place", async () => {
    const { stdout } = await project.run(["preview", "--diff"]);
    expect(stdout).toMatch(/4 to create/);
    expect((await emu.admin.calls()).filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);

    await project.run(["up", "--yes", "--skip-preview"]);
    const out = await project.outputs();
    expect(out.policyId).toMatch(/^asp-/);
    expect(out.policyVolumes).toHaveLength(2);
    expect(out.scheduleId).toMatch(/^schedule-/);
    expect(out.dbImageCount).toBe(1);
    const [policy] = (await emu.admin.volcengine.state()).autoSnapshotPolicies;
    expect(policy).toMatchObject({ AutoSnapshotPolicyId: out.policyId, timePoints: [1, 13], repeatWeekdays: [1, 2, 3, 4, 5], RetentionDays: 7 });

    const before = (await emu.admin.calls()).at(-1)!.seq;
    await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    expect((await emu.admin.calls({ since: before })).filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);

    await project.run(["config", "set", "retentionDays", "14"]);
    const { stdout: plan } = await project.run(["preview", "--diff"]);
    expect(plan).not.toMatch(/replace/i);
    await project.run(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).policyId).toBe(out.policyId);
    expect((await emu.admin.volcengine.state()).autoSnapshotPolicies[0].RetentionDays).toBe(14);
  }, 600_000);

  it("the controller's passes add to the schedule and copy to the second region; refresh follows the schedule under the same id; destroy removes the policy and the schedule's images", async () => {
    const before = await project.outputs();
    const journal = new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "e2e-policies-")), "j.json"));
    const controller = new RecoveryController({ cloud: new VolcengineRecovery(client), journal, clock: externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale) });
    const saved = process.env.PULUMI_RECOVERY_POLL_MS;
    process.env.PULUMI_RECOVERY_POLL_MS = "20";
    const dbImages = async () => (await emu.admin.volcengine.state()).images.filter((i: any) => i.SourceInstanceId === db && i.Status === "available");
    const copies = async () => (await emu.admin.volcengine.state("cn-shanghai")).images.filter((i: any) => i.Status === "available");
    try {
      emu.clock.advance(61 * 60_000);
      for (let i = 0; i < 12 && ((await dbImages()).length < 2 || (await copies()).length < 1); i++) {
        await controller.runOnce();
        emu.clock.advance(5 * 60_000);
      }
    } finally {
      process.env.PULUMI_RECOVERY_POLL_MS = saved;
      await journal.close();
    }
    expect(await dbImages()).toHaveLength(2);
    expect(await copies()).toHaveLength(1);

    await project.run(["up", "--refresh", "--yes", "--skip-preview"]);
    const after = await project.outputs();
    expect(after.scheduleId).toBe(before.scheduleId);
    expect(after.dbImageCount).toBe(2);
    expect(after.latestDbImageId).not.toBe(before.latestDbImageId);

    await project.run(["destroy", "--yes", "--skip-preview"]);
    const state = await emu.admin.volcengine.state();
    expect(state.autoSnapshotPolicies).toEqual([]);
    expect(state.images.filter((i: any) => i.SourceInstanceId === db)).toEqual([]);
    const disk = project.backendText();
    const printed = project.transcript.join("\n");
    for (const secret of [emu.credentials.secretKey, emu.credentials.accessKeyId, PASSWORD]) {
      expect(disk, "backend files").not.toContain(secret);
      expect(printed, "CLI output").not.toContain(secret);
    }
  }, 600_000);
});
