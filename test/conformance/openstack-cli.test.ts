// The emulator's OpenStack cloud checked by independent clients: the real python-openstackclient (the
// `openstack` CLI) and an openstacksdk script, from the pinned venv (npm run setup:python), pointed at
// the emulator with nothing but the OS_* variables an openrc sets. Their JSON output is asserted. The
// emulated clock runs in real time with one-second transitions: the CLI's --wait polls every 5 s, as
// it does against a real cloud; between non-waiting actions the test waits on the emulator's state.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { envFor, OPENSTACK_SEED, type RunningEmulator } from "../../emulator";
import { useEmulator } from "../support/emulator";

const VENV = resolve(__dirname, "../../tools/python/.venv/bin");
const OPENSTACK = join(VENV, "openstack");
const PYTHON = join(VENV, "python");
const SDK_SCRIPT = resolve(__dirname, "../../tools/python/conformance/openstack_sdk.py");
const haveClients = existsSync(OPENSTACK) && existsSync(PYTHON);
if (!haveClients) console.warn(`\n*** OpenStack conformance SKIPPED: no ${OPENSTACK}; run npm run setup:python ***\n`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only what a user's openrc gives the clients, and a HOME of its own (no clouds.yaml, no caches). */
function clientEnv(emu: RunningEmulator, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const os = Object.fromEntries(Object.entries(envFor(emu)).filter(([k]) => k.startsWith("OS_")));
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: mkdtempSync(join(tmpdir(), "os-client-")), LANG: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1", ...os, ...extra };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe.skipIf(!haveClients)("OpenStack conformance: the real openstack CLI and openstacksdk against the emulator", () => {
  const ctx = useEmulator({ openstack: { buildSeconds: 1, actionSeconds: 1, rebuildSeconds: 1, deleteSeconds: 1, backupSecondsPerGiB: 1 } });

  const cli = async (...args: string[]): Promise<Run> => run(OPENSTACK, args, clientEnv(ctx.emu));
  const cliJson = async (...args: string[]): Promise<any> => {
    const r = await cli(...args, "-f", "json");
    if (r.code !== 0) throw new Error(`openstack ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const cliOk = async (...args: string[]): Promise<void> => {
    const r = await cli(...args);
    if (r.code !== 0) throw new Error(`openstack ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  };
  /** Waits (on the emulator's admin state, not the wall clock's assertions) for a server's status. */
  const waitStatus = async (serverId: string, status: string): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      const state = await ctx.emu.admin.openstack.state();
      const s = state.servers.find((x: any) => x.id === serverId);
      if (s?.status === status && s.taskState === null) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server ${serverId} did not reach ${status}`);
  };

  it("a server's life through the openstack CLI: create --wait, show, rescue, rotated backups, suspend, pause, stop, metadata set/unset, delete", async () => {
    const created = await cliJson("server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--network", "private", "--key-name", "emulator-key", "--property", "purpose=conformance", "--wait", "cli-vm");
    expect(created).toMatchObject({ name: "cli-vm", status: "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null, key_name: "emulator-key" });
    expect(created.image).toMatch(/^cirros \([0-9a-f-]{36}\)$/);
    expect(created.addresses.private).toEqual([expect.stringMatching(/^10\.0\.0\.\d+$/)]);
    const id: string = created.id;

    const shown = await cliJson("server", "show", "cli-vm");
    expect(shown).toMatchObject({ id, status: "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:power_state": 1, properties: { purpose: "conformance" } });
    expect(shown.flavor).toMatchObject({ original_name: "m1.tiny", ram: 512, disk: 1, vcpus: 1 });

    // Rescue boots the server from the rescue image with its own disk as the second disk.
    await ctx.emu.admin.openstack.writeFile({ serverId: id, path: "/var/lib/app/marker", content: "before-rescue" });
    await cliOk("server", "rescue", "--image", "rescue", "cli-vm");
    await waitStatus(id, "RESCUE");
    expect(await cliJson("server", "show", "cli-vm")).toMatchObject({ status: "RESCUE", "OS-EXT-STS:vm_state": "rescued" });
    const rescueDisks = await ctx.emu.admin.openstack.disk(id, 1);
    expect(rescueDisks).toMatchObject({ disks: 2, files: { "/var/lib/app/marker": "before-rescue" } });
    expect((await ctx.emu.admin.openstack.disk(id, 0)).files["/etc/hostname"]).toBe("rescue\n");
    await cliOk("server", "unrescue", "cli-vm");
    await waitStatus(id, "ACTIVE");

    // Three daily backups with --rotate 2: Nova deletes the oldest once the third is uploaded.
    const backups: any[] = [];
    for (const n of [1, 2, 3]) {
      const b = await cliJson("server", "backup", "create", "--name", `cli-nightly-${n}`, "--type", "daily", "--rotate", "2", "--wait", "cli-vm");
      expect(b).toMatchObject({ name: `cli-nightly-${n}`, visibility: "private" });
      expect(b.properties).toMatchObject({ image_type: "backup", backup_type: "daily", instance_uuid: id });
      backups.push(b);
      await waitStatus(id, "ACTIVE");
    }
    const privateImages = await cliJson("image", "list", "--private");
    expect(privateImages.map((i: any) => i.Name).sort()).toEqual(["cli-nightly-2", "cli-nightly-3"]);
    expect(privateImages.every((i: any) => i.Status === "active")).toBe(true);
    const backupImages = await cliJson("image", "list", "--property", "image_type=backup");
    expect(backupImages.map((i: any) => i.ID).sort()).toEqual([backups[1].id, backups[2].id].sort());
    const all = await cliJson("image", "list");
    expect(all.map((i: any) => i.Name).sort()).toEqual(["cirros", "cli-nightly-2", "cli-nightly-3", "rescue"]);
    // The backup holds the disk as it was.
    expect((await ctx.emu.admin.openstack.imageFiles(backups[2].id))["/var/lib/app/marker"]).toBe("before-rescue");

    // A wrong-state action is refused as Nova refuses it (409).
    const refused = await cli("server", "resume", "cli-vm");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("409");
    expect(refused.stderr).toContain(`Cannot 'resume' instance ${id} while it is in vm_state active`);

    // -f json keeps OS-EXT-STS:power_state as Nova's number: 7 SUSPENDED, 3 PAUSED, 4 SHUTDOWN, 1 RUNNING.
    for (const [act, status, power, back] of [
      ["suspend", "SUSPENDED", 7, "resume"],
      ["pause", "PAUSED", 3, "unpause"],
      ["stop", "SHUTOFF", 4, "start"],
    ] as const) {
      await cliOk("server", act, "cli-vm");
      await waitStatus(id, status);
      expect(await cliJson("server", "show", "cli-vm")).toMatchObject({ status, "OS-EXT-STS:power_state": power, "OS-EXT-STS:task_state": null });
      await cliOk("server", back, "cli-vm");
      await waitStatus(id, "ACTIVE");
    }
    expect(await cliJson("server", "show", "cli-vm")).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:power_state": 1 });

    // Server metadata (what pulumi-recovery's policies are): set merges, unset deletes one key.
    await cliOk("server", "set", "--property", "pulumi-recovery:backup:daily={\"rotation\":2}", "--property", "team=sre", "cli-vm");
    expect((await cliJson("server", "show", "cli-vm")).properties).toEqual({ purpose: "conformance", "pulumi-recovery:backup:daily": '{"rotation":2}', team: "sre" });
    await cliOk("server", "unset", "--property", "team", "cli-vm");
    expect((await cliJson("server", "show", "cli-vm")).properties).toEqual({ purpose: "conformance", "pulumi-recovery:backup:daily": '{"rotation":2}' });

    const networks = await cliJson("network", "list");
    expect(networks).toEqual([expect.objectContaining({ Name: "private", Subnets: [expect.stringMatching(/^[0-9a-f-]{36}$/)] })]);
    const listed = await cliJson("server", "list");
    expect(listed).toEqual([expect.objectContaining({ ID: id, Name: "cli-vm", Status: "ACTIVE", Image: "cirros", Flavor: "m1.tiny" })]);

    await cliOk("server", "delete", "--wait", "cli-vm");
    expect(await cliJson("server", "list")).toEqual([]);
  }, 240_000);

  it("a wrong password is refused by Keystone (401) and the CLI reports it", async () => {
    const r = await run(OPENSTACK, ["server", "list", "-f", "json"], clientEnv(ctx.emu, { OS_PASSWORD: "not-the-password" }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("The request you have made requires authentication. (HTTP 401)");
  }, 60_000);

  it("the same through openstacksdk (openstack.connect()), and application-credential authentication", async () => {
    const ac = OPENSTACK_SEED.applicationCredential;
    const r = await run(PYTHON, [SDK_SCRIPT], clientEnv(ctx.emu, { EMULATOR_APP_CRED_ID: ac.id, EMULATOR_APP_CRED_NAME: ac.name, EMULATOR_APP_CRED_SECRET: ac.secret }));
    if (r.code !== 0) throw new Error(`openstack_sdk.py exited ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    expect(out.image).toMatchObject({ status: "active", visibility: "public" });
    expect(out.flavor).toEqual({ id: "1", ram: 512, disk: 1 });
    expect(out.created).toMatchObject({ status: "BUILD", vm_state: "building", power_state: 0 });
    expect(out.active).toEqual({ status: "ACTIVE", vm_state: "active", task_state: null, power_state: 1 });
    expect(out.addresses.private).toEqual([expect.objectContaining({ version: 4, "OS-EXT-IPS:type": "fixed", addr: expect.stringMatching(/^10\.0\.0\.\d+$/) })]);
    expect(out.ports).toEqual([{ device_id: expect.any(String), fixed_ips: [{ subnet_id: out.network.subnets[0], ip_address: out.addresses.private[0].addr }] }]);
    expect(out.metadata).toEqual({ purpose: "conformance" });
    expect(out.resume_active).toEqual({ status: 409, message: expect.stringContaining("while it is in vm_state active") });
    expect(out.rescue).toMatchObject({ status: "RESCUE", vm_state: "rescued" });
    expect(out.unrescue).toMatchObject({ status: "ACTIVE", vm_state: "active" });
    expect(out.backups.map((b: any) => b.name)).toEqual(["sdk-nightly-2", "sdk-nightly-3"]);
    expect(out.backups.map((b: any) => b.id)).toEqual(out.backup_ids.slice(1));
    expect(out.backups.every((b: any) => b.status === "active" && b.image_type === "backup" && b.backup_type === "daily")).toBe(true);
    expect(out.suspend).toEqual({ status: "SUSPENDED", vm_state: "suspended", task_state: null, power_state: 7 });
    expect(out.pause).toEqual({ status: "PAUSED", vm_state: "paused", task_state: null, power_state: 3 });
    expect(out.stop).toEqual({ status: "SHUTOFF", vm_state: "stopped", task_state: null, power_state: 4 });
    for (const k of ["resume", "unpause", "start"]) expect(out[k]).toEqual({ status: "ACTIVE", vm_state: "active", task_state: null, power_state: 1 });
    expect(out.deleted).toBe(true);
    expect(out.app_cred_by_id).toEqual({ project_id: out.project_id, flavors: ["m1.large", "m1.medium", "m1.nano", "m1.small", "m1.tiny"] });
    expect(out.app_cred_by_name).toEqual({ project_id: out.project_id, networks: ["private"] });
    expect(out.app_cred_wrong_secret).toMatchObject({ status: 401 });
  }, 240_000);
});
