// examples/openstack-recovery driven by the real Pulumi CLI (preview, up, refresh, destroy) against the
// emulator, as a user runs it. The connection is secret stack config under `openstack:` only (the CLI's
// environment has no OS_* variable); the server is made directly in the emulator (the @pulumi/openstack
// plugin cannot be downloaded here) and passed in config. The runner makes a backup between two `up`s.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OPENSTACK_SEED, startEmulator, type RunningEmulator } from "../../emulator";
import { externalClock } from "../../provider/core/clock";
import { OpenStackClient } from "../../provider/openstack/client";
import { FileActionJournal } from "../../provider/openstack/journal";
import { OpenStackRunner } from "../../provider/openstack/runner";
import { findCli, PulumiProject } from "./harness";

const cli = findCli();
if ("skip" in cli) console.warn(`\n${"*".repeat(100)}\n* e2e suite SKIPPED: ${cli.skip}\n${"*".repeat(100)}\n`);

const RESCUE_IMAGE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const OS_UNSET = Object.fromEntries(["OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME", "OS_INTERFACE", "OS_CLOUD", "OS_IDENTITY_API_VERSION"].map((k) => [k, undefined]));
const KEYS = ["pulumi-recovery:backup:daily", "pulumi-recovery:recovery", "pulumi-recovery:suspend"];

describe.skipIf("skip" in cli)("openstack-recovery example with the Pulumi CLI", () => {
  let emu: RunningEmulator;
  const projects: PulumiProject[] = [];
  const client = () =>
    new OpenStackClient({
      authUrl: `${emu.url}/identity/v3`,
      interface: "public",
      region: "RegionOne",
      auth: { method: "password", userName: OPENSTACK_SEED.user, userDomainName: "Default", password: OPENSTACK_SEED.password, projectName: OPENSTACK_SEED.project, projectDomainName: "Default" },
      source: "test",
    });
  const metadata = async (id: string) => (await client().compute<{ metadata: Record<string, string> }>("GET", `/servers/${id}/metadata`)).body.metadata;

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 100 });
  });
  beforeEach(async () => void (await emu.admin.reset()));
  afterAll(async () => {
    for (const p of projects) p.cleanup();
    await emu?.close();
  }, 240_000);

  async function bootServer(): Promise<string> {
    const { body } = await client().compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name: "db", imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "auto" } }, safe: false });
    emu.clock.advance(20_000);
    return body.server.id;
  }

  async function withStack(name: string, config: Record<string, string>, fn: (project: PulumiProject) => Promise<void>): Promise<void> {
    const project = new PulumiProject((cli as { bin: string }).bin, "examples/openstack-recovery", { ...OS_UNSET, PULUMI_RECOVERY_POLL_MS: "50" });
    projects.push(project);
    await project.run(["stack", "init", name]);
    for (const [k, v, secret] of [
      ["openstack:authUrl", `${emu.url}/identity/v3`, false],
      ["openstack:userName", OPENSTACK_SEED.user, false],
      ["openstack:password", OPENSTACK_SEED.password, true],
      ["openstack:tenantName", OPENSTACK_SEED.project, false],
      ["openstack:userDomainName", "Default", false],
      ["openstack:projectDomainName", "Default", false],
      ["openstack:region", "RegionOne", false],
      ["rescueImageId", RESCUE_IMAGE, false],
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

  it("refuses bad inputs at preview, naming the field, and changes nothing", async () => {
    const serverId = await bootServer();
    await withStack("bad", { serverId, rotation: "0", backupSchedule: "0 0 31 2 *" }, async (project) => {
      const first = await project.run(["preview"], { allowFailure: true });
      expect(first.code).not.toBe(0);
      expect(`${first.stdout}\n${first.stderr}`).toMatch(/ServerBackupPolicy resource 'db-daily': property rotation .* rotation must be at least 1/);
      expect(`${first.stdout}\n${first.stderr}`).toMatch(/property schedule .* schedule never fires/);
      // The engine stops at the first resource in error: fix it, and the next one is checked.
      await project.run(["config", "set", "rotation", "3"]);
      await project.run(["config", "set", "backupSchedule", "1d"]);
      await project.run(["config", "set", "suspendMode", "hibernate"]);
      const second = await project.run(["preview"], { allowFailure: true });
      expect(second.code).not.toBe(0);
      expect(`${second.stdout}\n${second.stderr}`).toMatch(/ServerSuspendSchedule resource 'db-nights': property mode .* mode must be one of suspend, pause/);
      expect(await metadata(serverId)).toEqual({});
    });
  }, 240_000);

  it("up records the three policies on the server; a runner pass makes a backup that refresh reports; a change is in place; drift is put back; destroy removes them and keeps the backups; no secret anywhere", async () => {
    const serverId = await bootServer();
    await withStack("lifecycle", { serverId, backupSchedule: "1d", rotation: "3" }, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      const out = await project.outputs();
      expect(out).toMatchObject({ serverName: "db", backupPolicyKey: "pulumi-recovery:backup:daily", recoveryPolicyKey: "pulumi-recovery:recovery", backupCount: 0 });
      expect(Object.keys(await metadata(serverId)).sort()).toEqual(KEYS);
      await project.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);

      // The runner (a scheduled `watch --once`) makes the slot's backup; refresh reports it.
      const journal = new FileActionJournal(path.join(mkdtempSync(path.join(tmpdir(), "e2e-os-")), "journal.json"));
      const pass = await new OpenStackRunner({ client: client(), journal, clock: externalClock(() => emu.clock.now(), 1 / emu.clock.timeScale) }).runOnce().finally(() => journal.close());
      expect(pass.backupsStarted, JSON.stringify(pass.events)).toBe(1);
      emu.clock.advance(120_000);
      // Stack outputs are the program's: an up after the refresh re-evaluates them from the refreshed state.
      await project.run(["refresh", "--yes", "--skip-preview"]);
      await project.run(["up", "--yes", "--skip-preview"]);
      const refreshed = await project.outputs();
      expect(refreshed.backupCount).toBe(1);
      expect(refreshed.latestBackupImageId).toBe(pass.events.find((e) => e.kind === "backup")!.imageId);

      // In place: rotation and the suspend mode.
      await project.run(["config", "set", "rotation", "5"]);
      await project.run(["config", "set", "suspendMode", "pause"]);
      const { stdout: plan } = await project.run(["preview", "--diff"]);
      expect(plan).not.toMatch(/replace/i);
      await project.run(["up", "--yes", "--skip-preview"]);
      const md = await metadata(serverId);
      expect([JSON.parse(md["pulumi-recovery:backup:daily"]).rotation, JSON.parse(md["pulumi-recovery:suspend"]).mode]).toEqual([5, "pause"]);

      // Drift: the suspend item removed by hand reads as gone; up declares it again.
      await client().compute("DELETE", `/servers/${serverId}/metadata/pulumi-recovery:suspend`);
      await project.run(["refresh", "--yes", "--skip-preview"]);
      const { stdout: again } = await project.run(["preview"]);
      expect(again).toMatch(/\+ 1 to create|1 to create/);
      await project.run(["up", "--yes", "--skip-preview"]);
      expect(Object.keys(await metadata(serverId)).sort()).toEqual(KEYS);

      await project.run(["destroy", "--yes", "--skip-preview"]);
      expect(await metadata(serverId)).toEqual({});
      const state = await emu.admin.openstack.state();
      expect(state.images.filter((i: any) => i.properties.image_type === "backup")).toHaveLength(1);
      const disk = project.backendText();
      const printed = project.transcript.join("\n");
      expect(disk.length).toBeGreaterThan(0);
      expect(disk, "backend files").not.toContain(OPENSTACK_SEED.password);
      expect(printed, "CLI output").not.toContain(OPENSTACK_SEED.password);
    });
  }, 600_000);

  it("a server deleted behind Pulumi's back: refresh drops the policies", async () => {
    const serverId = await bootServer();
    await withStack("gone", { serverId }, async (project) => {
      await project.run(["up", "--yes", "--skip-preview"]);
      await client().compute("DELETE", `/servers/${serverId}`);
      emu.clock.advance(10_000);
      await project.run(["refresh", "--yes", "--skip-preview"]);
      const { stdout } = await project.run(["stack", "--show-urns"]);
      expect(stdout).not.toMatch(/ServerBackupPolicy|ServerRecoveryPolicy|ServerSuspendSchedule/);
    });
  }, 300_000);
});
