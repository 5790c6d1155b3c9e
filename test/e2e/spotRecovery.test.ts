// examples/spot-recovery driven by the real Pulumi CLI (preview, up, refresh, destroy) against the
// emulator, as a user runs it. Credentials are secret stack config only: the CLI's environment has none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) {
  // Loud, never silent: the suite is reported as skipped and the reason is printed.
  console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);
}

const STATE_CHANGING = ["RunInstances", "DeleteInstance", "CreateImage", "DeleteImages", "ModifyInstanceAttribute", "CreateTags", "DeleteTags"];
const PASSWORD = "E2e-Secret-Pass-9";

describe.skipIf("skip" in cli)("spot-recovery example with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  let project: PulumiProject;

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
    project = new PulumiProject((cli as { bin: string }).bin, "examples/spot-recovery", {
      VOLCENGINE_ACCESS_KEY: undefined,
      VOLCENGINE_SECRET_KEY: undefined,
      VOLCENGINE_ENDPOINT: undefined,
      VOLCENGINE_REGION: undefined,
      PULUMI_RECOVERY_POLL_MS: "50",
    });
    await project.run(["stack", "init", "dev"]);
    await project.run(["config", "set", "volcengine:region", "cn-beijing"]);
    await project.run(["config", "set", "volcengine:endpoint", emu.url]);
    await project.run(["config", "set", "--secret", "volcengine:accessKey", emu.credentials.accessKeyId]);
    await project.run(["config", "set", "--secret", "volcengine:secretKey", emu.credentials.secretKey]);
    await project.run(["config", "set", "--secret", "password", PASSWORD]);
  }, 120_000);

  afterAll(async () => {
    await project?.run(["destroy", "--yes"], { allowFailure: true });
    await project?.run(["stack", "rm", "--yes", "--force"], { allowFailure: true });
    project?.cleanup();
    await emu?.close();
  }, 240_000);

  const live = async () => (await emu.admin.volcengine.state()).instances.filter((i) => i.Status !== "DELETING");

  it("preview shows the plan and changes nothing in the cloud", async () => {
    const { stdout } = await project.run(["preview", "--diff"]);
    expect(stdout).toMatch(/\+ 4 to create|4 to create/);
    const calls = await emu.admin.calls();
    expect(calls.filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);
  }, 240_000);

  it("up creates the instance and its baseline image; a second up changes nothing", async () => {
    await project.run(["up", "--yes", "--skip-preview"]);
    const out = await project.outputs();
    expect(out.instanceId).toMatch(/^i-/);
    expect(out.baselineImageId).toMatch(/^image-/);
    expect(out.interruptionScheduled).toBe(false);
    expect((await live()).map((i) => i.InstanceId)).toEqual([out.instanceId]);
    const before = (await emu.admin.calls()).length;
    await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    const after = await emu.admin.calls({ since: before });
    expect(after.filter((c) => STATE_CHANGING.includes(c.action))).toEqual([]);
  }, 300_000);

  it("a changed name updates in place; a changed instance type replaces", async () => {
    const { instanceId } = await project.outputs();
    await project.run(["config", "set", "instanceName", "web-renamed"]);
    await project.run(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).instanceId).toBe(instanceId);
    expect((await live()).find((i) => i.InstanceId === instanceId)?.InstanceName).toBe("web-renamed");

    await project.run(["config", "set", "instanceTypeId", "ecs.g3il.xlarge"]);
    await project.run(["up", "--yes", "--skip-preview"]);
    const replaced = (await project.outputs()).instanceId;
    expect(replaced).not.toBe(instanceId);
    expect((await live()).map((i) => i.InstanceId)).toEqual([replaced]);
  }, 300_000);

  it("an instance released behind Pulumi's back is dropped by refresh and recreated by the next up", async () => {
    const { instanceId } = await project.outputs();
    await emu.admin.volcengine.release({ instanceId });
    await project.run(["refresh", "--yes", "--skip-preview"]);
    const { stdout } = await project.run(["preview"]);
    expect(stdout).toMatch(/\+ 1 to create|1 to create/);
    await project.run(["up", "--yes", "--skip-preview"]);
    const recreated = (await project.outputs()).instanceId;
    expect(recreated).toMatch(/^i-/);
    expect(recreated).not.toBe(instanceId);
  }, 300_000);

  it("after the recovery controller relaunched an interrupted instance, refresh adopts the replacement and up changes nothing", async () => {
    const { instanceId } = await project.outputs();
    await emu.admin.volcengine.spotInterruption({ instanceId, noticeSeconds: 300 });
    const { RecoveryController, Journal } = await import("../../provider");
    const { EcsClient } = await import("../../provider/volcengine/client");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const saved = { ...process.env };
    process.env.PULUMI_RECOVERY_POLL_MS = "20";
    try {
      const controller = new RecoveryController({
        client: new EcsClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey }),
        journal: new Journal(path.join(mkdtempSync(path.join(tmpdir(), "e2e-journal-")), "j.json")),
        now: () => emu.clock.now(),
      });
      const pass = await controller.runOnce();
      expect(pass.recoveries[0]?.state).toBe("done");
      emu.clock.advance(301_000);
      await project.run(["refresh", "--yes", "--skip-preview"]);
      // Stack outputs are the program's: the next up refreshes them, with no resource change.
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect((await project.outputs()).instanceId).toBe(pass.recoveries[0].replacementId);
    } finally {
      process.env = saved;
    }
  }, 300_000);

  it("destroy leaves the emulator empty, and no credential or secret is in plaintext on disk or in the output", async () => {
    await project.run(["destroy", "--yes", "--skip-preview"]);
    const state = await emu.admin.volcengine.state();
    expect(state.instances.filter((i) => i.Status !== "DELETING")).toEqual([]);
    // Recovery images the controller took are its own (pruned to keepImages), not the stack's.
    const controllerOwned = (i: any) => i.Tags.some((t: any) => t.Key === "pulumi-recovery:source-instance");
    expect(state.images.filter((i) => !controllerOwned(i))).toEqual([]);
    const disk = project.backendText();
    const printed = project.transcript.join("\n");
    expect(disk.length).toBeGreaterThan(0);
    for (const secret of [emu.credentials.secretKey, emu.credentials.accessKeyId, PASSWORD]) {
      expect(disk, "backend files").not.toContain(secret);
      expect(printed, "CLI output").not.toContain(secret);
    }
  }, 300_000);

  it("adopts an instance that already exists (dynamic resources cannot `pulumi import`), and manages it from then on", async () => {
    const { EcsClient } = await import("../../provider/volcengine/client");
    const client = new EcsClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey });
    const { InstanceIds } = await client.call<{ InstanceIds: string[] }>("RunInstances", {
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
    await project.run(["stack", "init", "adopt"]);
    for (const [k, v, secret] of [
      ["volcengine:region", "cn-beijing", false],
      ["volcengine:endpoint", emu.url, false],
      ["volcengine:accessKey", emu.credentials.accessKeyId, true],
      ["volcengine:secretKey", emu.credentials.secretKey, true],
      ["adoptInstanceId", adopted, false],
      ["instanceName", "adopted-web", false],
    ] as const) {
      await project.run(["config", "set", ...(secret ? ["--secret"] : []), k, v]);
    }
    const before = (await emu.admin.calls({ action: "RunInstances" })).length;
    await project.run(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).instanceId).toBe(adopted);
    expect(await emu.admin.calls({ action: "RunInstances" })).toHaveLength(before);
    const inst = (await live()).find((i) => i.InstanceId === adopted)!;
    expect(inst.InstanceName).toBe("adopted-web");
    expect(inst.Tags).toEqual(expect.arrayContaining([{ Key: "pulumi-recovery:on-interruption", Value: "image-and-relaunch" }]));
    await project.run(["destroy", "--yes", "--skip-preview"]);
    expect((await live()).map((i) => i.InstanceId)).not.toContain(adopted);
  }, 300_000);
});
