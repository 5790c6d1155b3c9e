// examples/spot-recovery-policy driven by the real Pulumi CLI against the emulator. The program declares its
// instance with the real @pulumi/alicloud types, but the alicloud resource plugin cannot be downloaded
// here: the instance is made through the emulator's Alibaba Cloud API (as another tool would) and its id
// passed in config, so no alicloud resource is registered (and no plugin is needed) while the CLI runs the
// policy part for real — preview, up, a no-op up, a recovery by the controller, refresh, a no-op up,
// destroy. Credentials are secret stack config only.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { AlicloudClient } from "../../provider/alicloud/client";
import { AlicloudRecovery } from "../../provider/alicloud/recovery";
import { externalClock } from "../../provider/core/clock";
import { RecoveryController } from "../../provider/recovery/controller";
import { FileJournal } from "../../provider/recovery/journal";
import { TAGS } from "../../provider/recovery/policy";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);

const TAG_CHANGING = ["TagResources", "UntagResources", "RunInstances", "DeleteInstances", "CreateImage", "DeleteImage", "CreateCommand", "DeleteCommand"];

describe.skipIf("skip" in cli)("spot-recovery-policy example (an alicloud.ecs.Instance protected by a SpotRecoveryPolicy) with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  const projects: PulumiProject[] = [];
  const client = () => new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
  });
  beforeEach(async () => void (await emu.admin.reset()));
  afterAll(async () => {
    for (const p of projects) p.cleanup();
    await emu?.close();
  }, 240_000);

  /** The instance "another provider" made: RunInstances through the SDK, as alicloud.ecs.Instance would. */
  async function instance(): Promise<string> {
    const res = await client().call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", {
      ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
      InstanceType: "ecs.g7.large",
      VSwitchId: "vsw-emu-cn-hangzhou-h",
      SecurityGroupIds: ["sg-emu-default"],
      InstanceName: "web",
      Password: "E2e-Secret-Pass-9",
      SpotStrategy: "SpotWithPriceLimit",
      SpotPriceLimit: 0.3,
      "SystemDisk.Category": "cloud_essd",
      "DataDisk.1.Category": "cloud_essd",
      "DataDisk.1.Size": 100,
      "Tag.1.Key": "app",
      "Tag.1.Value": "web",
    });
    const id = res.InstanceIdSets.InstanceIdSet[0];
    emu.clock.advance(60_000);
    return id;
  }

  async function withStack(name: string, instanceId: string, fn: (project: PulumiProject) => Promise<void>): Promise<void> {
    const project = new PulumiProject((cli as { bin: string }).bin, "examples/spot-recovery-policy", {
      ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
      ALIBABA_CLOUD_ECS_ENDPOINT: undefined,
      ALIBABA_CLOUD_REGION: undefined,
    });
    projects.push(project);
    await project.run(["stack", "init", name]);
    for (const [k, v, secret] of [
      ["alicloud:region", "cn-hangzhou", false],
      ["alicloud:ecsEndpoint", emu.url, false],
      ["alicloud:accessKey", emu.credentials.accessKeyId, true],
      ["alicloud:secretKey", emu.credentials.secretKey, true],
      ["instanceId", instanceId, false],
    ] as const) {
      await project.run(["config", "set", ...(secret ? ["--secret"] : []), k, v]);
    }
    try {
      await fn(project);
    } finally {
      await project.run(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    }
  }

  /** The policy's outputs in state (refresh updates them; stack outputs change only with `up`). */
  const policyState = async (project: PulumiProject) => {
    const { stdout } = await project.run(["stack", "export"]);
    const res = JSON.parse(stdout).deployment.resources.find((r: any) => String(r.type).endsWith(":SpotRecoveryPolicy"));
    return { id: res.id, ...res.outputs };
  };
  const tagsOf = async (id: string) => Object.fromEntries(((await emu.admin.alicloud.state()).instances.find((i) => i.InstanceId === id)?.tags ?? []).map((t: any) => [t.Key, t.Value]));

  it("preview, up, a no-op up, a recovery, refresh (the policy follows the replacement), a no-op up, destroy — and no credential in plaintext anywhere", async () => {
    const id = await instance();
    await withStack("lifecycle", id, async (project) => {
      const start = (await emu.admin.calls()).at(-1)!.seq;
      const { stdout: plan } = await project.run(["preview", "--diff"]);
      expect(plan).toMatch(/\+ 2 to create|2 to create/); // the stack and the policy
      expect((await emu.admin.calls({ since: start })).filter((c) => TAG_CHANGING.includes(c.action))).toEqual([]);

      await project.run(["up", "--yes", "--skip-preview"]);
      expect(await project.outputs()).toMatchObject({ protectedInstanceId: id, recordedPolicy: "on=image-and-relaunch keep=3", recoveredFrom: "" });
      expect(await tagsOf(id)).toMatchObject({ app: "web", [TAGS.policy]: "on=image-and-relaunch keep=3" });
      const before = (await emu.admin.calls()).at(-1)!.seq;
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect((await emu.admin.calls({ since: before })).filter((c) => TAG_CHANGING.includes(c.action))).toEqual([]);

      // The cloud reclaims the instance; the controller recovers it.
      await emu.admin.alicloud.writeFile({ instanceId: id, path: "/data/orders.db", content: "42 orders", disk: 1 });
      await emu.admin.alicloud.preemption({ instanceId: id });
      const journal = new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "e2e-journal-")), "j.json"));
      const clock = externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale);
      const controller = new RecoveryController({ cloud: new AlicloudRecovery(client(), clock), journal, clock });
      const saved = process.env.PULUMI_RECOVERY_POLL_MS;
      process.env.PULUMI_RECOVERY_POLL_MS = "20";
      const pass = await controller.runOnce().finally(() => {
        process.env.PULUMI_RECOVERY_POLL_MS = saved;
        return journal.close();
      });
      const rec = pass.recoveries[0];
      // Deadlines are asserted on a frozen stepped clock (test/emulator/alicloud-recovery.test.ts); here the
      // clock is scaled for the Pulumi CLI's sake, so only the outcome is.
      expect(rec).toMatchObject({ state: "done" });
      emu.clock.advance(301_000);

      // Refresh follows the policy to the replacement; the program (still naming the old id) changes nothing.
      await project.run(["refresh", "--yes", "--skip-preview"]);
      expect(await policyState(project)).toMatchObject({ id: rec.replacementId, attachedInstanceId: rec.replacementId, instanceId: id, recoveredFrom: id, recordedPolicy: "on=image-and-relaunch keep=3" });
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect(await project.outputs()).toMatchObject({ protectedInstanceId: rec.replacementId, recoveredFrom: id });
      // Naming the replacement (what importing it into alicloud.ecs.Instance amounts to) changes nothing either.
      await project.run(["config", "set", "instanceId", rec.replacementId!]);
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
      expect(await emu.admin.alicloud.files(rec.replacementId!, 1)).toEqual({ "/data/orders.db": "42 orders" });

      await project.run(["destroy", "--yes", "--skip-preview"]);
      const tags = await tagsOf(rec.replacementId!);
      expect(tags[TAGS.policy]).toBeUndefined();
      expect(tags).toMatchObject({ app: "web", [TAGS.origin]: id });
      const disk = project.backendText();
      const printed = project.transcript.join("\n");
      for (const secret of [emu.credentials.secretKey, emu.credentials.accessKeyId]) {
        expect(disk, "backend files").not.toContain(secret);
        expect(printed, "CLI output").not.toContain(secret);
      }
    });
  }, 600_000);

  it("a tag removed behind Pulumi's back (as the other provider would without ignoreChanges) is seen by refresh and put back by up", async () => {
    const id = await instance();
    await withStack("drift", id, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      await client().call("ecs", "UntagResources", { ResourceType: "instance", ResourceId: [id], TagKey: [TAGS.policy] }, { safe: true });
      await project.run(["refresh", "--yes", "--skip-preview"]);
      expect((await policyState(project)).recordedPolicy).toBeUndefined();
      const { stdout } = await project.run(["preview"]);
      expect(stdout).toMatch(/~ 1 to update|1 to update/);
      await project.run(["up", "--yes", "--skip-preview"]);
      expect((await tagsOf(id))[TAGS.policy]).toBe("on=image-and-relaunch keep=3");
    });
  }, 300_000);
});
