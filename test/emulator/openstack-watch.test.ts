// The built CLI against the emulator's OpenStack: `watch --once --cloud openstack` (the runner as a
// scheduled job: JSON lines, a summary, the exit code) and the operator commands `rescue`, `unrescue`,
// `suspend [--pause]`, `resume` on a server named by id or name, journaled with the runner's journal;
// `serve` with an openstack target.
// The connection comes from the OS_* variables only; the clock is the emulator's (frozen, in 2031).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { startService } from "../../cli/serve";
import { envFor, OPENSTACK_SEED } from "../../emulator";
import { openstackConnection } from "../../provider/config";
import { OpenStackClient } from "../../provider/openstack/client";
import { serverBackupPolicyHandler, serverRecoveryPolicyHandler } from "../../provider/openstack/handlers";
import { findServer } from "../../provider/openstack/servers";
import { useEmulator } from "../support/emulator";

const root = path.resolve(__dirname, "../..");
const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000, start: Date.UTC(2031, 5, 2, 9, 30) } });
const RESCUE_IMAGE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const client = () => OpenStackClient.for(openstackConnection(undefined));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "dist/cli/main.js"), ...args], { cwd: root, env: { ...process.env, ...envFor(ctx.emu), PULUMI_RECOVERY_POLL_MS: "20" }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as any).code) : 0, stdout, stderr }),
    );
  });
}

async function bootServer(name: string): Promise<string> {
  const { body } = await client().compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name, imageRef: "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f", flavorRef: "1", networks: "auto" } }, safe: false });
  await ctx.emu.admin.advanceClock(15);
  return body.server.id;
}

describe("pulumi-recovery watch --once --cloud openstack", () => {
  it("runs one pass: a backup for the slot, a rescue of a server in ERROR, JSON lines and a summary; exit 0", async () => {
    const journal = path.join(mkdtempSync(path.join(tmpdir(), "os-watch-")), "journal.json");
    const id = await bootServer("watched");
    const hctx = { config: undefined };
    const b = await serverBackupPolicyHandler.check({}, { serverId: id, schedule: "1d", backupType: "daily", rotation: 2, __identity: "w/dev/b", __provider: "p" }, hctx);
    await serverBackupPolicyHandler.create(b.inputs, hctx);
    const other = await bootServer("broken");
    const r = await serverRecoveryPolicyHandler.check({}, { serverId: other, action: "rescue", rescueImageId: RESCUE_IMAGE, __identity: "w/dev/r", __provider: "p" }, hctx);
    await serverRecoveryPolicyHandler.create(r.inputs, hctx);
    await ctx.emu.admin.openstack.fail({ serverId: other, state: "ERROR" });

    const { code, stdout, stderr } = await cli(["watch", "--once", "--json", "--cloud", "openstack", "--journal", journal]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.find((l) => l.kind === "backup")).toMatchObject({ serverId: id, serverName: "watched", imageId: expect.any(String), at: expect.stringMatching(/^2031-/) });
    expect(lines.find((l) => l.kind === "recovered")).toMatchObject({ serverId: other, message: expect.stringMatching(/in RESCUE.*second disk/) });
    expect(lines.at(-1)).toEqual({ kind: "summary", job: "server-policies", cloud: "openstack", region: expect.any(String), protectedServers: 2, backupsStarted: 1, backupsFound: 0, backupsDeferred: 0, recoveries: 1, suspended: 0, resumed: 0, failed: 0 });
    expect(Object.keys(JSON.parse(readFileSync(journal, "utf8")).records).sort()).toEqual([expect.stringMatching(new RegExp(`^backup:${id}:daily:`)), `recovery:${other}`]);
    // Again: the slot is done, the server is rescued: nothing to do.
    const again = await cli(["watch", "--once", "--json", "--cloud", "openstack", "--journal", journal]);
    expect(JSON.parse(again.stdout.trim().split("\n").at(-1)!)).toMatchObject({ backupsStarted: 0, recoveries: 0, failed: 0 });
    // Operator: unrescue by name, journaled in the same file.
    const un = await cli(["unrescue", "broken", "--journal", journal]);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toMatch(/is ACTIVE after unrescue/);
    expect(JSON.parse(readFileSync(journal, "utf8")).records[`operator:${other}`]).toMatchObject({ state: "done", action: "unrescue", by: "operator" });
    expect(`${stdout}${again.stdout}${un.stdout}`).not.toContain(OPENSTACK_SEED.password);
  });
});

describe("operator commands", () => {
  it("rescue (with the policy's image), unrescue, suspend, suspend --pause, resume; refusals say why", async () => {
    const journal = path.join(mkdtempSync(path.join(tmpdir(), "os-op-")), "journal.json");
    const id = await bootServer("ops");
    const hctx = { config: undefined };
    const r = await serverRecoveryPolicyHandler.check({}, { serverId: id, action: "rescue", rescueImageId: RESCUE_IMAGE, __identity: "w/dev/ops", __provider: "p" }, hctx);
    await serverRecoveryPolicyHandler.create(r.inputs, hctx);
    const run = (...args: string[]) => cli([...args, "--journal", journal]);

    const rescue = await run("rescue", id);
    expect(rescue.code, rescue.stderr).toBe(0);
    expect(rescue.stdout).toMatch(new RegExp(`is RESCUE, booted from image ${RESCUE_IMAGE}; its own disk is attached as the second disk`));
    expect((await ctx.emu.admin.openstack.disk(id, 1)).disks).toBe(2);
    const twice = await run("rescue", id);
    expect([twice.code, twice.stderr]).toEqual([2, expect.stringMatching(/cannot rescue server .* it is RESCUE; it is rescued already/)]);
    expect((await run("unrescue", id)).code).toBe(0);
    expect((await run("suspend", "ops")).stdout).toMatch(/is SUSPENDED after suspend/);
    expect((await run("resume", "ops")).stdout).toMatch(/is ACTIVE after resume/);
    expect((await run("suspend", id, "--pause")).stdout).toMatch(/is PAUSED after pause/);
    expect((await run("resume", id, "--json")).stdout).toMatch(/"status":"ACTIVE"/);
    const nothing = await run("resume", id);
    expect([nothing.code, nothing.stderr]).toEqual([2, expect.stringMatching(/only a SUSPENDED or PAUSED server can be resumed/)]);
    const missing = await run("suspend", "no-such-server");
    expect(missing.stderr).toMatch(/server no-such-server not found/);
    expect((await findServer(client(), id)).status).toBe("ACTIVE");
  });

  it("serve runs the runner for an openstack target on its poll, and counts the pass in /metrics", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "os-serve-"));
    const id = await bootServer("served");
    const hctx = { config: undefined };
    const b = await serverBackupPolicyHandler.check({}, { serverId: id, schedule: "1d", backupType: "nightly", rotation: 2, __identity: "w/dev/served", __provider: "p" }, hctx);
    await serverBackupPolicyHandler.create(b.inputs, hctx);
    const logs: any[] = [];
    const out = new PassThrough();
    out.on("data", (c: Buffer) => c.toString().split("\n").filter(Boolean).forEach((l) => logs.push(JSON.parse(l))));
    const svc = await startService({ listen: "127.0.0.1:0", cloud: "openstack", pollInterval: "1h", store: path.join(dir, "journal.json"), logFormat: "json" }, { logDestination: out });
    try {
      await svc.pollNow();
      expect(logs.find((l) => l.kind === "backup")).toMatchObject({ cloud: "openstack", job: "server-policies", serverId: id });
      expect(await (await fetch(`${svc.url}/metrics`)).text()).toMatch(/pulumi_recovery_passes_total\{cloud="openstack",region="[^"]+",job="server-policies",result="ok"\} [12]/);
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
    } finally {
      await svc.stop();
    }
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, "journal.json"), "utf8")).records)).toEqual([expect.stringMatching(new RegExp(`^backup:${id}:nightly:`))]);
  });
});
