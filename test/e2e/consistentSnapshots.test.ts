// examples/consistent-snapshots driven by the real Pulumi CLI against the emulator's Alibaba Cloud:
// preview, up, a no-op up, destroy; credentials only as secret stack config, never in plaintext on disk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);

describe.skipIf("skip" in cli)("consistent-snapshots example with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  let project: PulumiProject;
  const state = () => emu.admin.request("alicloud/state");

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
    for (const path of ["/root/prescript.sh", "/root/postscript.sh"]) await emu.admin.request("alicloud/files", "POST", { instanceId: "i-emu-db-linux", path, owner: "root", mode: "700" });
    project = new PulumiProject((cli as { bin: string }).bin, "examples/consistent-snapshots", {
      ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
      ALIBABA_CLOUD_ECS_ENDPOINT: undefined,
      ALIBABA_CLOUD_RAM_ENDPOINT: undefined,
      ALIBABA_CLOUD_REGION: undefined,
      PULUMI_RECOVERY_POLL_MS: "50",
    });
    await project.run(["stack", "init", "dev"]);
    await project.run(["config", "set", "alicloud:region", "cn-hangzhou"]);
    await project.run(["config", "set", "alicloud:ecsEndpoint", emu.url]);
    await project.run(["config", "set", "alicloud:ramEndpoint", emu.url]);
    await project.run(["config", "set", "--secret", "alicloud:accessKey", emu.credentials.accessKeyId]);
    await project.run(["config", "set", "--secret", "alicloud:secretKey", emu.credentials.secretKey]);
  }, 120_000);

  afterAll(async () => {
    await project?.run(["destroy", "--yes"], { allowFailure: true });
    await project?.run(["stack", "rm", "--yes", "--force"], { allowFailure: true });
    project?.cleanup();
    await emu?.close();
  }, 240_000);

  it("preview changes nothing; up takes an application-consistent group; a second up changes nothing", async () => {
    await project.run(["preview"]);
    expect((await emu.admin.calls()).filter((c) => ["CreateRole", "RunCommand", "AttachInstanceRamRole"].includes(c.action))).toEqual([]);
    await project.run(["up", "--yes", "--skip-preview"]);
    const out = await project.outputs();
    expect(out).toMatchObject({ consistency: "application", consistencyNote: "" });
    expect(out.snapshotGroupId).toMatch(/^ssg-/);
    expect(out.snapshotIds).toHaveLength(2);
    await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    expect((await state()).snapshotGroups).toHaveLength(1);
  }, 300_000);

  it("destroy removes the group, the role and its policy; no credential in plaintext on disk or in the output", async () => {
    await project.run(["destroy", "--yes", "--skip-preview"]);
    const s = await state();
    expect([s.snapshotGroups, s.roles, s.policies]).toEqual([[], [], []]);
    const disk = project.backendText();
    const printed = project.transcript.join("\n");
    for (const secret of [emu.credentials.secretKey, emu.credentials.accessKeyId]) {
      expect(disk).not.toContain(secret);
      expect(printed).not.toContain(secret);
    }
  }, 300_000);
});
