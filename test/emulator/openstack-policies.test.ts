// The three OpenStack policies through the real HTTP client to the emulator: each resource's lifecycle
// (check at preview, create, read with drift, update, delete), then the runner on a frozen emulated clock
// the test steps through every schedule: backups one per slot with Nova's rotation (a pass repeated, two
// runners at once, an answer lost), rescue with the server's disk as the second disk, rebuild from the
// newest backup, SHUTOFF when it should run, a failing health probe, suspend/pause and resume on
// schedule with an operator's resume respected, and a recovery continued after a crash.
import { mkdtempSync } from "node:fs";
import { createServer as httpServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openstackConnection } from "../../provider/config";
import { externalClock } from "../../provider/core/clock";
import { OpenStackClient } from "../../provider/openstack/client";
import { serverBackupPolicyHandler, serverRecoveryPolicyHandler, serverSuspendScheduleHandler } from "../../provider/openstack/handlers";
import { FileActionJournal } from "../../provider/openstack/journal";
import { OpenStackRunner, type RunnerPassResult } from "../../provider/openstack/runner";
import { findServer } from "../../provider/openstack/servers";
import { useEmulator } from "../support/emulator";

// Every request moves the frozen clock by one emulated second; tests that need a weekday start at the
// next Monday noon (UTC).
const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000, start: Date.UTC(2026, 0, 5, 12, 0, 0) } });
const DAY_MS = 86_400_000;
async function toMondayNoon(): Promise<number> {
  const now = ctx.emu.clock.now();
  const day = Math.floor(now / DAY_MS) * DAY_MS;
  const monday = day + ((8 - new Date(day).getUTCDay()) % 7) * DAY_MS; // 1970-01-01 was a Thursday: getUTCDay does the work
  let target = monday + 12 * 3_600_000;
  while (target <= now + 60_000) target += 7 * DAY_MS;
  await ctx.emu.admin.advanceClock(Math.ceil((target - now) / 1000));
  return target;
}
const RESCUE_IMAGE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const CIRROS = "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f";
const HOUR = 3600;

const client = () => OpenStackClient.for(openstackConnection(undefined));
const hctx = { config: undefined };
const journals: FileActionJournal[] = [];
const newJournal = () => {
  const j = new FileActionJournal(path.join(mkdtempSync(path.join(tmpdir(), "os-journal-")), "journal.json"));
  journals.push(j);
  return j;
};
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
});

function runner(journal = newJournal()) {
  return new OpenStackRunner({ client: client(), journal, clock: externalClock(() => ctx.emu.clock.now(), 0) });
}

/** Boots a server the way a user's @pulumi/openstack program would have, and waits until ACTIVE. */
async function bootServer(name = "web"): Promise<string> {
  const { body } = await client().compute<{ server: { id: string } }>("POST", "/servers", { body: { server: { name, imageRef: CIRROS, flavorRef: "1", networks: "auto" } }, safe: false });
  await ctx.emu.admin.advanceClock(15);
  expect((await findServer(client(), body.server.id)).status).toBe("ACTIVE");
  return body.server.id;
}

async function checked<H extends { check: (o: any, n: any, c: any) => Promise<{ inputs: any; failures: any[] }> }>(h: H, news: Record<string, unknown>) {
  const { inputs, failures } = await h.check({}, { ...news, __provider: "p" }, hctx);
  expect(failures).toEqual([]);
  return inputs;
}

const metadataOf = async (id: string) => (await findServer(client(), id)).metadata;
const images = async () => (await ctx.emu.admin.openstack.state()).images.filter((i: any) => i.properties.image_type === "backup");
const summary = (r: RunnerPassResult) => ({ started: r.backupsStarted, found: r.backupsFound, deferred: r.backupsDeferred, recoveries: r.recoveries, suspended: r.suspended, resumed: r.resumed, failed: r.failed });

describe("ServerBackupPolicy lifecycle", () => {
  it("refuses bad inputs at preview, naming the field", async () => {
    const bad = async (news: Record<string, unknown>) => (await serverBackupPolicyHandler.check({}, { serverId: "11111111-2222-3333-4444-555555555555", schedule: "1d", ...news, __provider: "p" }, hctx)).failures;
    expect(await bad({ schedule: "0 0 31 2 *" })).toEqual([{ property: "schedule", reason: expect.stringMatching(/never fires/) }]);
    expect(await bad({ schedule: "*/5 * * * *" })).toEqual([{ property: "schedule", reason: expect.stringMatching(/more often than once an hour/) }]);
    expect(await bad({ schedule: "30m" })).toEqual([{ property: "schedule", reason: expect.stringMatching(/more often than once an hour/) }]);
    expect(await bad({ schedule: "every day" })).toEqual([{ property: "schedule", reason: expect.stringMatching(/duration such as "1d".*cron expression of five fields/) }]);
    expect(await bad({ rotation: 0 })).toEqual([{ property: "rotation", reason: expect.stringMatching(/at least 1/) }]);
    expect(await bad({ rotation: 101 })).toEqual([{ property: "rotation", reason: expect.stringMatching(/at most 100/) }]);
    expect(await bad({ rotation: 2.5 })).toEqual([{ property: "rotation", reason: "rotation must be a whole number, not a fraction" }]);
    expect(await bad({ backupType: "week ly" })).toEqual([{ property: "backupType", reason: expect.stringMatching(/letters, digits/) }]);
    expect(await bad({ timezone: "Mars/Olympus" })).toEqual([{ property: "timezone", reason: expect.stringMatching(/IANA time zone/) }]);
    expect(await bad({ serverId: "web" })).toEqual([{ property: "serverId", reason: "serverId must be a Nova server id (a UUID)" }]);
    expect(await bad({ rotaton: 3 })).toEqual([{ property: "rotaton", reason: "rotaton is not a known input; did you mean rotation?" }]);
    // An unknown serverId (an Output not yet known at preview) is not a failure yet.
    expect(await bad({ serverId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).toEqual([]);
  });

  it("creates the metadata item, reads it back (drift shows as a change, removal as gone), updates in place, deletes it and keeps the backups unless told", async () => {
    const serverId = await bootServer();
    const inputs = await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", backupType: "daily", rotation: 3, namePrefix: "web", __identity: "p/s/web-daily" });
    const created = await serverBackupPolicyHandler.create(inputs, hctx);
    expect(created.id).toBe(`${serverId}/backup/daily`);
    expect(created.outs).toMatchObject({ policyKey: "pulumi-recovery:backup:daily", serverName: "web", serverStatus: "ACTIVE", backupCount: 0, rotation: 3, nextBackupAt: expect.any(String) });
    expect(JSON.parse((await metadataOf(serverId))["pulumi-recovery:backup:daily"])).toEqual({ schedule: "1d", tz: "UTC", type: "daily", rotation: 3, prefix: "web", by: expect.stringMatching(/^[0-9a-f]{12}$/) });

    // The runner makes one; read reports it.
    await runner().runOnce();
    await ctx.emu.admin.advanceClock(60);
    const read = await serverBackupPolicyHandler.read(created.id, created.outs, hctx);
    expect(read.props).toMatchObject({ backupCount: 1, latestBackupImageId: expect.any(String) });

    // Drift: someone edits the item by hand; the diff against the program shows it.
    const edited = JSON.stringify({ ...JSON.parse((await metadataOf(serverId))["pulumi-recovery:backup:daily"]), rotation: 9 });
    await client().compute("PUT", `/servers/${serverId}/metadata/pulumi-recovery:backup:daily`, { body: { meta: { "pulumi-recovery:backup:daily": edited } } });
    const drifted = await serverBackupPolicyHandler.read(created.id, read.props, hctx);
    expect(drifted.props.rotation).toBe(9);
    const diff = await serverBackupPolicyHandler.diff(created.id, drifted.props, inputs, hctx);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await serverBackupPolicyHandler.update!(created.id, drifted.props, inputs, hctx);
    expect(updated.outs!.rotation).toBe(3);
    expect(JSON.parse((await metadataOf(serverId))["pulumi-recovery:backup:daily"]).rotation).toBe(3);
    const retype = await checked(serverBackupPolicyHandler, { ...inputs, backupType: "weekly" });
    expect((await serverBackupPolicyHandler.diff(created.id, updated.outs as any, retype, hctx)).replaces).toEqual(["backupType"]);

    // A second resource may not take over the same item.
    const other = await checked(serverBackupPolicyHandler, { ...inputs, __identity: "p/other/web-daily" });
    await expect(serverBackupPolicyHandler.create(other, hctx)).rejects.toThrow(/already carries pulumi-recovery:backup:daily, declared by another resource/);

    await serverBackupPolicyHandler.delete(created.id, updated.outs as any, hctx);
    expect((await metadataOf(serverId))["pulumi-recovery:backup:daily"]).toBeUndefined();
    expect(await images()).toHaveLength(1);
    expect((await serverBackupPolicyHandler.read(created.id, updated.outs as any, hctx)).id).toBe("");

    // With deleteBackupsOnDestroy the backups go too.
    const again = await serverBackupPolicyHandler.create({ ...inputs, deleteBackupsOnDestroy: true }, hctx);
    await serverBackupPolicyHandler.delete(again.id, again.outs, hctx);
    expect(await images()).toEqual([]);
  });

  it("a create whose answer was lost is retried (PUT is idempotent) and lands once", async () => {
    const serverId = await bootServer();
    await ctx.emu.admin.addFault({ cloud: "openstack", action: "PUT /v2.1/servers/{id}/metadata/pulumi-recovery%3Asuspend", kind: "lose-response", count: 1 });
    const inputs = await checked(serverSuspendScheduleHandler, { serverId, suspendAt: "0 22 * * *", resumeAt: "0 6 * * *", __identity: "p/s/n" });
    const created = await serverSuspendScheduleHandler.create(inputs, hctx);
    expect(created.id).toBe(`${serverId}/suspend`);
    const puts = (await ctx.emu.admin.calls({ cloud: "openstack" })).filter((c) => c.action.startsWith("PUT "));
    expect(puts.map((c) => c.fault ?? "answered")).toEqual(["lose-response reset", "answered"]);
    expect(JSON.parse((await metadataOf(serverId))["pulumi-recovery:suspend"])).toMatchObject({ suspend: "0 22 * * *", resume: "0 6 * * *" });
  });

  it("waits out a backup still uploading before writing the metadata, and refuses a server in ERROR with what to do", async () => {
    const serverId = await bootServer();
    await client().compute("POST", `/servers/${serverId}/action`, { body: { createBackup: { name: "manual", backup_type: "manual", rotation: 1 } }, safe: false });
    const inputs = await checked(serverBackupPolicyHandler, { serverId, schedule: "12h", __identity: "p/s/b" });
    const created = await serverBackupPolicyHandler.create(inputs, hctx);
    expect(created.outs.serverStatus).toBe("ACTIVE");
    await ctx.emu.admin.openstack.fail({ serverId, state: "ERROR" });
    const r = await checked(serverRecoveryPolicyHandler, { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE, __identity: "p/s/r" });
    await expect(serverRecoveryPolicyHandler.create(r, hctx)).rejects.toThrow(/is ERROR, and Nova changes a server's metadata only while it is ACTIVE.*recover it first/);
  });
});

describe("ServerRecoveryPolicy and ServerSuspendSchedule inputs", () => {
  it("refuse what cannot work, naming the field", async () => {
    const sid = "11111111-2222-3333-4444-555555555555";
    const rec = async (news: Record<string, unknown>) => (await serverRecoveryPolicyHandler.check({}, { serverId: sid, ...news, __provider: "p" }, hctx)).failures;
    expect(await rec({ action: "rescue" })).toEqual([{ property: "rescueImageId", reason: expect.stringMatching(/required with action rescue/) }]);
    expect(await rec({ action: "reboot" })).toEqual([{ property: "action", reason: "action must be one of rescue, rebuild-from-backup" }]);
    expect(await rec({ action: "rebuild-from-backup", healthProbe: { http: "http://{ip}/", tcp: "{ip}:22" } })).toEqual([{ property: "healthProbe", reason: "healthProbe takes exactly one of http or tcp" }]);
    expect(await rec({ action: "rebuild-from-backup", healthProbe: { tcp: "{ip}:22", failuresBeforeAction: 0 } })).toEqual([{ property: "healthProbe.failuresBeforeAction", reason: expect.stringMatching(/at least 1/) }]);
    expect(await rec({ action: "rebuild-from-backup", onError: false })).toEqual([{ property: "onError", reason: expect.stringMatching(/never act/) }]);
    expect(await rec({ action: "rebuild-from-backup", cooldown: "10s" })).toEqual([{ property: "cooldown", reason: expect.stringMatching(/at least "1m"/) }]);
    const sus = async (news: Record<string, unknown>) => (await serverSuspendScheduleHandler.check({}, { serverId: sid, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", ...news, __provider: "p" }, hctx)).failures;
    expect(await sus({})).toEqual([]);
    expect(await sus({ mode: "hibernate" })).toEqual([{ property: "mode", reason: expect.stringMatching(/mode must be one of suspend, pause/) }]);
    expect(await sus({ resumeAt: "0 7 30 2 *" })).toEqual([{ property: "resumeAt", reason: expect.stringMatching(/never fires/) }]);
    expect(await sus({ suspendAt: "8h" })).toEqual([{ property: "suspendAt", reason: expect.stringMatching(/must be a cron expression/) }]);
    expect(await sus({ resumeAt: "0 20 * * 1-5" })).toEqual([{ property: "resumeAt", reason: "resumeAt must differ from suspendAt" }]);
  });
});

describe("the runner: backups", () => {
  it("makes one backup per slot on the stepped clock; Nova rotates beyond the rotation; a repeated pass makes none", async () => {
    const monday = await toMondayNoon();
    const serverId = await bootServer();
    await serverBackupPolicyHandler.create(await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", backupType: "daily", rotation: 2, namePrefix: "web", __identity: "p/s/b" }), hctx);
    const journal = newJournal();
    const made: string[] = [];
    for (let day = 0; day < 4; day++) {
      const first = await runner(journal).runOnce();
      expect(summary(first)).toMatchObject({ started: 1, failed: 0 });
      made.push(first.events.find((e) => e.kind === "backup")!.imageId!);
      // The same slot again: nothing (the journal says done).
      expect(summary(await runner(journal).runOnce())).toMatchObject({ started: 0, found: 0 });
      await ctx.emu.admin.advanceClock(HOUR); // the upload ends, Nova rotates
      await ctx.emu.admin.advanceClock(23 * HOUR);
    }
    const kept = await images();
    expect(kept.map((i: any) => i.id).sort()).toEqual(made.slice(-2).sort());
    const stamp = (days: number) => new Date(monday - 12 * 3_600_000 + days * DAY_MS).toISOString().slice(0, 10).replace(/-/g, "");
    expect(kept.map((i: any) => i.name).sort()).toEqual([`web-daily-${stamp(2)}T0000Z`, `web-daily-${stamp(3)}T0000Z`]);
    expect(kept.every((i: any) => i.properties.backup_type === "daily" && i.properties.instance_uuid === serverId)).toBe(true);
  });

  it("two runners at once, or a runner whose journal is gone, never make two backups for one slot", async () => {
    const serverId = await bootServer();
    await serverBackupPolicyHandler.create(await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", __identity: "p/s/b" }), hctx);
    const [a, b] = await Promise.all([runner().runOnce(), runner().runOnce()]);
    expect(a.backupsStarted + b.backupsStarted).toBe(1);
    expect(await images()).toHaveLength(1);
    await ctx.emu.admin.advanceClock(HOUR);
    // A fresh journal (a new machine): the backup is found in Glance by its token, not made again.
    const fresh = await runner().runOnce();
    expect(summary(fresh)).toMatchObject({ started: 0, found: 1 });
    expect(await images()).toHaveLength(1);
  });

  it("adopts the backup whose createBackup answer was lost, and waits while the server is busy", async () => {
    const serverId = await bootServer();
    await serverBackupPolicyHandler.create(await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", __identity: "p/s/b" }), hctx);
    await ctx.emu.admin.addFault({ cloud: "openstack", action: "createBackup", kind: "lose-response", count: 1 });
    const pass = await runner().runOnce();
    expect(summary(pass)).toMatchObject({ failed: 0 });
    expect(pass.backupsStarted + pass.backupsFound).toBe(1);
    expect(await images()).toHaveLength(1);
    expect(await ctx.emu.admin.calls({ cloud: "openstack", action: "createBackup" })).toHaveLength(1);

    // A second policy's backup meets another task (a manual backup uploading): deferred, then done next pass.
    await ctx.emu.admin.advanceClock(HOUR);
    await serverBackupPolicyHandler.create(await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", backupType: "second", __identity: "p/s/b2" }), hctx);
    const busy = await client().compute("POST", `/servers/${serverId}/action`, { body: { createBackup: { name: "x", backup_type: "manual", rotation: 1 } }, safe: false });
    expect(busy.status).toBe(202);
    const deferred = await runner().runOnce();
    expect(deferred.events.map((e) => e.kind)).toContain("backup-deferred");
    await ctx.emu.admin.advanceClock(HOUR);
    expect(summary(await runner().runOnce())).toMatchObject({ failed: 0 });
    expect((await images()).filter((i: any) => i.properties.backup_type === "second")).toHaveLength(1);
  });
});

describe("the runner: recovery", () => {
  it("rescues a server in ERROR from the declared image with its own disk as the second disk; unrescue boots the repaired disk", async () => {
    const serverId = await bootServer();
    await ctx.emu.admin.openstack.writeFile({ serverId, path: "/etc/fstab", content: "broken\n" });
    await serverRecoveryPolicyHandler.create(await checked(serverRecoveryPolicyHandler, { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE, __identity: "p/s/r" }), hctx);
    expect(summary(await runner().runOnce())).toMatchObject({ recoveries: 0, failed: 0 });
    await ctx.emu.admin.openstack.fail({ serverId, state: "ERROR", message: "kernel panic" });
    const journal = newJournal();
    const pass = await runner(journal).runOnce();
    expect(summary(pass), JSON.stringify(pass.events)).toMatchObject({ recoveries: 1, failed: 0 });
    expect(pass.events.find((e) => e.kind === "recovered")!.message).toMatch(/in RESCUE, booted from image .*second disk.*pulumi-recovery unrescue/);
    expect((await findServer(client(), serverId)).status).toBe("RESCUE");
    const disks = await ctx.emu.admin.openstack.disk(serverId, 1);
    expect([disks.disks, disks.files["/etc/fstab"]]).toEqual([2, "broken\n"]);
    expect((await ctx.emu.admin.openstack.disk(serverId, 0)).files["/etc/hostname"]).toBe("rescue\n");
    // Repaired on the second disk; the next pass leaves a rescued server alone.
    await ctx.emu.admin.openstack.writeFile({ serverId, disk: 1, path: "/etc/fstab", content: "fixed\n" });
    expect(summary(await runner(journal).runOnce())).toMatchObject({ recoveries: 0 });
    await client().compute("POST", `/servers/${serverId}/action`, { body: { unrescue: null }, safe: false });
    await ctx.emu.admin.advanceClock(10);
    expect((await findServer(client(), serverId)).status).toBe("ACTIVE");
    expect((await ctx.emu.admin.openstack.disk(serverId, 0)).files["/etc/fstab"]).toBe("fixed\n");
  });

  it("continues a rescue a crashed pass left in progress instead of starting another", async () => {
    const serverId = await bootServer();
    await serverRecoveryPolicyHandler.create(await checked(serverRecoveryPolicyHandler, { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE, __identity: "p/s/r" }), hctx);
    await ctx.emu.admin.openstack.fail({ serverId, state: "ERROR" });
    const journal = newJournal();
    // The crashed pass: journaled, called rescue, died before waiting.
    await journal.put({ key: `recovery:${serverId}`, kind: "recovery", serverId, state: "in-progress", action: "rescue", reason: "status ERROR", startedAt: new Date(ctx.emu.clock.now()).toISOString(), by: "runner" });
    await client().compute("POST", `/servers/${serverId}/action`, { body: { rescue: { rescue_image_ref: RESCUE_IMAGE } }, safe: false });
    const pass = await runner(journal).runOnce();
    expect(summary(pass)).toMatchObject({ recoveries: 1, failed: 0 });
    expect(await ctx.emu.admin.calls({ cloud: "openstack", action: "rescue" })).toHaveLength(1);
    expect((await journal.get(`recovery:${serverId}`))?.state).toBe("done");
  });

  it("rebuilds a SHUTOFF server that should run from its newest backup, starts it, then respects the cooldown", async () => {
    const serverId = await bootServer();
    await ctx.emu.admin.openstack.writeFile({ serverId, path: "/srv/data", content: "v1" });
    await serverBackupPolicyHandler.create(await checked(serverBackupPolicyHandler, { serverId, schedule: "1d", __identity: "p/s/b" }), hctx);
    await serverRecoveryPolicyHandler.create(await checked(serverRecoveryPolicyHandler, { serverId, action: "rebuild-from-backup", expectRunning: true, onError: true, cooldown: "1h", __identity: "p/s/r" }), hctx);
    const journal = newJournal();
    const first = await runner(journal).runOnce();
    const backupId = first.events.find((e) => e.kind === "backup")!.imageId;
    await ctx.emu.admin.advanceClock(HOUR);
    await ctx.emu.admin.openstack.writeFile({ serverId, path: "/srv/data", content: "corrupted" });
    await ctx.emu.admin.openstack.fail({ serverId, state: "SHUTOFF" });
    const pass = await runner(journal).runOnce();
    expect(summary(pass)).toMatchObject({ recoveries: 1, failed: 0 });
    expect(pass.events.find((e) => e.kind === "recovered")).toMatchObject({ imageId: backupId, message: expect.stringMatching(/rebuilt from backup .*now ACTIVE/) });
    const s = await findServer(client(), serverId);
    expect([s.status, (s.image as { id: string }).id]).toEqual(["ACTIVE", backupId]);
    expect((await ctx.emu.admin.openstack.disk(serverId)).files["/srv/data"]).toBe("v1");
    // Within the cooldown a new failure is left alone (and said so).
    await ctx.emu.admin.openstack.fail({ serverId, state: "SHUTOFF" });
    const cooling = await runner(journal).runOnce();
    expect(summary(cooling)).toMatchObject({ recoveries: 0 });
    expect(cooling.events.map((e) => e.message).join("\n")).toMatch(/cooldown 1h/);
  });

  it("acts on a health probe that fails N passes in a row, and not before", async () => {
    let healthy = true;
    const probeServer: HttpServer = httpServer((_req, res) => {
      res.statusCode = healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => probeServer.listen(0, "127.0.0.1", r));
    const port = (probeServer.address() as { port: number }).port;
    try {
      const serverId = await bootServer();
      await serverRecoveryPolicyHandler.create(await checked(serverRecoveryPolicyHandler, { serverId, action: "rescue", rescueImageId: RESCUE_IMAGE, healthProbe: { http: `http://127.0.0.1:${port}/healthz`, failuresBeforeAction: 2 }, __identity: "p/s/r" }), hctx);
      const journal = newJournal();
      expect(summary(await runner(journal).runOnce())).toMatchObject({ recoveries: 0 });
      healthy = false;
      const one = await runner(journal).runOnce();
      expect([one.recoveries, one.events.map((e) => e.message)]).toEqual([0, [expect.stringMatching(/health probe failed \(1 of 2\): GET .* answered 503/)]]);
      const two = await runner(journal).runOnce();
      expect(two.recoveries).toBe(1);
      expect((await findServer(client(), serverId)).status).toBe("RESCUE");
    } finally {
      await new Promise((r) => probeServer.close(r));
    }
  });
});

describe("the runner: suspend schedule", () => {
  it("suspends at night and resumes in the morning, once per scheduled time (an operator's resume stands); pause keeps the memory", async () => {
    await toMondayNoon();
    const serverId = await bootServer();
    // 12:00 Monday: suspend at 20:00, resume at 07:00 on weekdays.
    await serverSuspendScheduleHandler.create(await checked(serverSuspendScheduleHandler, { serverId, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", __identity: "p/s/n" }), hctx);
    const journal = newJournal();
    expect(summary(await runner(journal).runOnce())).toMatchObject({ suspended: 0, resumed: 0 });
    await ctx.emu.admin.advanceClock(8 * HOUR + 60); // 20:01
    expect(summary(await runner(journal).runOnce())).toMatchObject({ suspended: 1 });
    expect((await findServer(client(), serverId)).status).toBe("SUSPENDED");
    // An operator resumes it at 22:00; the runner leaves it until the next scheduled time.
    await ctx.emu.admin.advanceClock(2 * HOUR);
    await client().compute("POST", `/servers/${serverId}/action`, { body: { resume: null }, safe: false });
    await ctx.emu.admin.advanceClock(10);
    expect(summary(await runner(journal).runOnce())).toMatchObject({ suspended: 0 });
    expect((await findServer(client(), serverId)).status).toBe("ACTIVE");
    await client().compute("POST", `/servers/${serverId}/action`, { body: { suspend: null }, safe: false });
    await ctx.emu.admin.advanceClock(9 * HOUR); // Tuesday 07:00+
    const morning = await runner(journal).runOnce();
    expect(summary(morning), JSON.stringify([new Date(ctx.emu.clock.now()), morning.events, await journal.all()])).toMatchObject({ resumed: 1 });
    expect((await findServer(client(), serverId)).status).toBe("ACTIVE");

    // pause: PAUSED (kept in memory), then unpaused.
    const inputs = await checked(serverSuspendScheduleHandler, { serverId, mode: "pause", suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", __identity: "p/s/n" });
    await serverSuspendScheduleHandler.update!(`${serverId}/suspend`, inputs as any, inputs, hctx);
    await ctx.emu.admin.advanceClock(13 * HOUR); // Tuesday 20:00+
    expect(summary(await runner(journal).runOnce())).toMatchObject({ suspended: 1 });
    expect((await findServer(client(), serverId)).status).toBe("PAUSED");
    await ctx.emu.admin.advanceClock(11 * HOUR); // Wednesday 07:00+
    expect(summary(await runner(journal).runOnce())).toMatchObject({ resumed: 1 });
    expect((await findServer(client(), serverId)).status).toBe("ACTIVE");
  });
});
