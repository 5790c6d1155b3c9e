// examples/spot-recovery driven by the real Pulumi CLI (preview, up, refresh, destroy) against the
// emulator, as a user runs it. Credentials are secret stack config only: the CLI's environment has none.
// Every test has its own stack and starts from an empty emulator, so one failing test never leaves
// another a mess to trip on.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { externalClock } from "../../provider/core/clock";
import { RecoveryController } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { VolcengineClient } from "../../provider/volcengine/client";
import { VolcengineRecovery } from "../../provider/volcengine/recovery";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) {
  // Loud, never silent: the suite is reported as skipped and the reason is printed.
  console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);
}

const STATE_CHANGING = ["RunInstances", "DeleteInstance", "CreateImage", "DeleteImages", "ModifyInstanceAttribute", "CreateTags", "DeleteTags", "CreateSnapshotGroup", "DeleteSnapshotGroup"];
const PASSWORD = "E2e-Secret-Pass-9";

describe.skipIf("skip" in cli)("spot-recovery example with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  const projects: PulumiProject[] = [];

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
  });
  beforeEach(async () => void (await emu.admin.reset()));
  afterAll(async () => {
    for (const p of projects) p.cleanup();
    await emu?.close();
  }, 240_000);

  /** A fresh copy of the example with its own stack, configured with secret credentials; destroyed afterwards whatever happens. */
  async function withStack(name: string, config: Record<string, string>, fn: (project: PulumiProject) => Promise<void>): Promise<void> {
    const project = new PulumiProject((cli as { bin: string }).bin, "examples/spot-recovery", {
      VOLCENGINE_ACCESS_KEY: undefined,
      VOLCENGINE_SECRET_KEY: undefined,
      VOLCENGINE_ENDPOINT: undefined,
      VOLCENGINE_REGION: undefined,
      PULUMI_RECOVERY_POLL_MS: "50",
    });
    projects.push(project);
    await project.run(["stack", "init", name]);
    for (const [k, v, secret] of [
      ["volcengine:region", "cn-beijing", false],
      ["volcengine:endpoint", emu.url, false],
      ["volcengine:accessKey", emu.credentials.accessKeyId, true],
      ["volcengine:secretKey", emu.credentials.secretKey, true],
      ["password", PASSWORD, true],
      ...Object.entries(config).map(([k, v]) => [k, v, false] as const),
    ] as const) {
      await project.run(["config", "set", ...(secret ? ["--secret"] : []), k, v]);
    }
    try {
      await fn(project);
    } finally {
      await project.run(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    }
  }

  const live = async () => (await emu.admin.volcengine.state()).instances.filter((i) => i.Status !== "DELETING");

  it("preview shows the plan and changes nothing in the cloud", async () => {
    await withStack("preview", {}, async (project) => {
      const { stdout } = await project.run(["preview", "--diff"]);
      expect(stdout).toMatch(/\+ 4 to create|4 to create/);
      expect((await emu.admin.calls()).filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);
    });
  }, 240_000);

  it("up, a no-op up, an in-place rename, a tag change that does not touch the image, a replacement, destroy — and no secret in plaintext anywhere", async () => {
    await withStack("lifecycle", {}, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      const out = await project.outputs();
      expect(out.instanceId).toMatch(/^i-/);
      expect(out.baselineImageId).toMatch(/^image-/);
      expect(out.interruptionScheduled).toBe(false);
      expect((await live()).map((i) => i.InstanceId)).toEqual([out.instanceId]);

      const before = (await emu.admin.calls()).at(-1)!.seq;
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect((await emu.admin.calls({ since: before })).filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);

      await project.run(["config", "set", "instanceName", "web-renamed"]);
      await project.run(["up", "--yes", "--skip-preview"]);
      expect((await project.outputs()).instanceId).toBe(out.instanceId);
      expect((await live()).find((i) => i.InstanceId === out.instanceId)?.InstanceName).toBe("web-renamed");

      // A tag of the instance changes in place; the baseline image is not replaced, not even in preview.
      await project.run(["config", "set", "team", "sre"]);
      const { stdout: plan } = await project.run(["preview", "--diff"]);
      expect(plan).not.toMatch(/replace/i);
      await project.run(["up", "--yes", "--skip-preview"]);
      expect((await project.outputs()).baselineImageId).toBe(out.baselineImageId);

      await project.run(["config", "set", "instanceTypeId", "ecs.g3il.xlarge"]);
      await project.run(["up", "--yes", "--skip-preview"]);
      const replaced = (await project.outputs()).instanceId;
      expect(replaced).not.toBe(out.instanceId);
      expect((await live()).map((i) => i.InstanceId)).toEqual([replaced]);

      await project.run(["destroy", "--yes", "--skip-preview"]);
      const state = await emu.admin.volcengine.state();
      expect([await live(), state.images, state.snapshotGroups]).toEqual([[], [], []]);
      const disk = project.backendText();
      const printed = project.transcript.join("\n");
      expect(disk.length).toBeGreaterThan(0);
      for (const secret of [emu.credentials.secretKey, emu.credentials.accessKeyId, PASSWORD]) {
        expect(disk, "backend files").not.toContain(secret);
        expect(printed, "CLI output").not.toContain(secret);
      }
    });
  }, 600_000);

  it("an instance released behind Pulumi's back is dropped by refresh and recreated by the next up", async () => {
    await withStack("drift", {}, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      const { instanceId } = await project.outputs();
      await emu.admin.volcengine.release({ instanceId });
      await project.run(["refresh", "--yes", "--skip-preview"]);
      const { stdout } = await project.run(["preview"]);
      expect(stdout).toMatch(/\+ 1 to create|1 to create/);
      await project.run(["up", "--yes", "--skip-preview"]);
      const recreated = (await project.outputs()).instanceId;
      expect(recreated).toMatch(/^i-/);
      expect(recreated).not.toBe(instanceId);
    });
  }, 300_000);

  it("after the recovery controller relaunched an interrupted instance, refresh adopts the replacement and up changes nothing (the baseline image included)", async () => {
    await withStack("recovery", {}, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      const { instanceId, baselineImageId } = await project.outputs();
      await emu.admin.volcengine.spotInterruption({ instanceId, noticeSeconds: 300 });
      const journal = new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "e2e-journal-")), "j.json"));
      const controller = new RecoveryController({
        cloud: new VolcengineRecovery(new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey })),
        journal,
        clock: externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale),
      });
      const saved = process.env.PULUMI_RECOVERY_POLL_MS;
      process.env.PULUMI_RECOVERY_POLL_MS = "20";
      const pass = await controller.runOnce().finally(() => {
        process.env.PULUMI_RECOVERY_POLL_MS = saved;
        return journal.close();
      });
      expect(pass.recoveries[0]?.state).toBe("done");
      emu.clock.advance(301_000);
      await project.run(["refresh", "--yes", "--skip-preview"]);
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      const out = await project.outputs();
      expect(out.instanceId).toBe(pass.recoveries[0].replacementId);
      expect(out.baselineImageId).toBe(baselineImageId);
    });
  }, 300_000);

  it("adopts an instance that already exists (dynamic resources cannot `pulumi import`), and manages it from then on", async () => {
    const client = new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey });
    const { InstanceIds } = await client.ecs<{ InstanceIds: string[] }>("RunInstances", {
      ZoneId: "cn-beijing-a",
      ImageId: "image-ubuntu2204-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "hand-made",
      SpotStrategy: "SpotWithPriceLimit",
      SpotPriceLimit: 0.25,
      ClientToken: "e2e-adopt",
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
    });
    const adopted = InstanceIds[0];
    emu.clock.advance(60_000);
    await withStack("adopt", { adoptInstanceId: adopted, instanceName: "adopted-web" }, async (project) => {
      const before = (await emu.admin.calls({ action: "RunInstances" })).length;
      await project.run(["up", "--yes", "--skip-preview"]);
      expect((await project.outputs()).instanceId).toBe(adopted);
      expect(await emu.admin.calls({ action: "RunInstances" })).toHaveLength(before);
      const inst = (await live()).find((i) => i.InstanceId === adopted)!;
      expect(inst.InstanceName).toBe("adopted-web");
      expect(inst.Tags).toEqual(expect.arrayContaining([{ Key: "pulumi-recovery:policy", Value: "on=image-and-relaunch keep=3" }]));
      await project.run(["destroy", "--yes", "--skip-preview"]);
      expect((await live()).map((i) => i.InstanceId)).not.toContain(adopted);
    });
  }, 300_000);
});
