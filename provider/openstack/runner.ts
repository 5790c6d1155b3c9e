// The OpenStack policy runner: one pass (`runOnce`) over the project's servers, on the cloud's clock.
//   1. Lists the servers (one paged call) and reads each one's policies from its metadata.
//   2. Recovery first (a failed server is neither backed up nor suspended): ERROR (onError), SHUTOFF
//      when it should run (expectRunning), or a health probe failed N passes in a row (ACTIVE servers
//      only) → rescue with the declared image, or rebuild from the newest backup; then a cooldown.
//   3. The suspend schedule: once per scheduled time (its slot), suspend/pause or resume/unpause; an
//      operator's own resume in between stands until the next scheduled time.
//   4. Backups: one per schedule slot and backup type, through backups.ts (look first by token, Nova's
//      task-state guard, converge racers); a busy server is retried on the next pass.
// Everything that matters across a crash is journaled before the cloud call (journal.ts): a recovery in
// flight is continued — with the image it chose — rather than started again, a slot done is not redone.
import { connect } from "node:net";
import pLimit from "p-limit";
import { systemClock, type Clock } from "../core/clock";
import { isNotFound, orUndefined } from "../core/errors";
import { parseDuration } from "../core/waiter";
import { backupForSlot, ServerBusyError } from "./backups";
import type { OpenStackClient } from "./client";
import { listBackups } from "./images";
import type { ActionJournal, ActionRecord } from "./journal";
import { policiesOf, type BackupPolicy, type RecoveryPolicy, type ServerPolicies, type SuspendPolicy } from "./policy";
import { currentSlot, parseSchedule } from "./schedule";
import { findServer, fixedAddress, isConflict, listServers, serverAction, statusLabel, taskState, waitServerIdle, waitServerStatus, type Server } from "./servers";

export interface RunnerEvent {
  kind: "backup" | "backup-deferred" | "probe" | "recovering" | "recovered" | "suspended" | "resumed" | "skipped" | "failed" | "unreadable";
  /** The cloud's time. */
  at: string;
  serverId: string;
  serverName?: string;
  message: string;
  imageId?: string;
}

export interface RunnerPassResult {
  protectedServers: number;
  backupsStarted: number;
  backupsFound: number;
  backupsDeferred: number;
  recoveries: number;
  suspended: number;
  resumed: number;
  failed: number;
  events: RunnerEvent[];
}

/** A health check: ok, failed (with why), or not made (e.g. the server has no address yet). */
export type ProbeResult = { ok: true } | { ok: false; detail: string } | { ok: undefined; detail: string };

export interface RunnerOptions {
  client: OpenStackClient;
  journal: ActionJournal;
  /** The cloud's clock: schedules, cooldowns and waits are measured on it (the emulator's in drills and tests). */
  clock?: Clock;
  onEvent?: (e: RunnerEvent) => void;
  signal?: AbortSignal;
  /** Servers worked on at once (default 4). */
  concurrency?: number;
  /** How long a rescue, rebuild, suspend or resume may take (default 20 m). */
  actionTimeoutMs?: number;
  /** Journal records of finished slots older than this are dropped (default 30 days). */
  keepRecordsMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const SETTLED = ["ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED"];

export class OpenStackRunner {
  private readonly clock: Clock;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly o: RunnerOptions) {
    this.clock = o.clock ?? systemClock;
    this.limit = pLimit(o.concurrency ?? 4);
  }

  /** One pass over every protected server of the project. Failures are reported per server, never thrown (but a failed server list is). */
  async runOnce(): Promise<RunnerPassResult> {
    const result: RunnerPassResult = { protectedServers: 0, backupsStarted: 0, backupsFound: 0, backupsDeferred: 0, recoveries: 0, suspended: 0, resumed: 0, failed: 0, events: [] };
    const servers = (await listServers(this.o.client)).map((s) => ({ s, p: policiesOf(s.metadata) })).filter(({ p }) => p.backups.length || p.recovery || p.suspend || p.unreadable.length);
    result.protectedServers = servers.length;
    await Promise.all(servers.map(({ s, p }) => this.limit(() => this.serve(s, p, result))));
    await this.o.journal.prune(iso(this.clock.now() - (this.o.keepRecordsMs ?? 30 * 86_400_000)));
    return result;
  }

  private async serve(server: Server, p: ServerPolicies, r: RunnerPassResult): Promise<void> {
    const step = async (what: string, fn: () => Promise<void>) => {
      try {
        this.o.signal?.throwIfAborted();
        await fn();
      } catch (e) {
        if (this.o.signal?.aborted) throw e;
        if (isNotFound(e)) return this.emit(r, { kind: "skipped", serverId: server.id, serverName: server.name, message: `${what}: the server was deleted` });
        r.failed++;
        this.emit(r, { kind: "failed", serverId: server.id, serverName: server.name, message: `${what}: ${(e as Error).message}` });
      }
    };
    if (p.unreadable.length) this.emit(r, { kind: "unreadable", serverId: server.id, serverName: server.name, message: `metadata ${p.unreadable.join(", ")} cannot be read by this version (written by a newer pulumi-recovery, or edited by hand): ignored` });
    let s = server;
    if (p.recovery) await step("recovery", async () => void (s = await this.recover(s, p.recovery!, r)));
    if (p.suspend) await step("suspend schedule", async () => void (s = await this.schedule(s, p.suspend!, r)));
    for (const b of p.backups) await step(`backup ${b.type}`, () => this.backup(s, b, r));
  }

  // ---- recovery ----

  private async recover(server: Server, policy: RecoveryPolicy, r: RunnerPassResult): Promise<Server> {
    const { journal } = this.o;
    const key = `recovery:${server.id}`;
    const rec = await journal.get(key);
    if (rec?.state === "in-progress") return this.act(server, policy, rec, r);
    const reason = await this.failure(server, policy, r);
    if (!reason) return server;
    const cooldownMs = parseDuration(policy.cooldown) ?? 30 * 60_000;
    if (rec?.endedAt && this.clock.now() - Date.parse(rec.endedAt) < cooldownMs) {
      this.emit(r, { kind: "skipped", serverId: server.id, serverName: server.name, message: `${reason}, but the last recovery (${rec.action}) ended at ${rec.endedAt}: cooldown ${policy.cooldown}` });
      return server;
    }
    const fresh: ActionRecord = { key, kind: "recovery", serverId: server.id, state: "in-progress", action: policy.action === "rescue" ? "rescue" : "rebuild", reason, startedAt: iso(this.clock.now()), by: "runner" };
    if (policy.action === "rebuild-from-backup") {
      const image = (await listBackups(this.o.client, server.id, { backupType: policy.backupType })).find((i) => i.status === "active");
      if (!image) {
        r.failed++;
        this.emit(r, { kind: "failed", serverId: server.id, serverName: server.name, message: `${reason}, and it has no active backup${policy.backupType ? ` of type ${policy.backupType}` : ""} to rebuild from (declare a ServerBackupPolicy)` });
        return server;
      }
      fresh.imageId = image.id;
    }
    await journal.put(fresh);
    this.emit(r, { kind: "recovering", serverId: server.id, serverName: server.name, imageId: fresh.imageId, message: `${reason}: ${fresh.action === "rescue" ? `rescuing from image ${policy.image}` : `rebuilding from backup ${fresh.imageId}`}` });
    return this.act(server, policy, fresh, r);
  }

  /** Why the server needs recovering now, or undefined. */
  private async failure(s: Server, policy: RecoveryPolicy, r: RunnerPassResult): Promise<string | undefined> {
    if (taskState(s) !== null) return undefined;
    if (s.status === "ERROR" && policy.onError) return `status ERROR${s.fault ? ` (${s.fault.message})` : ""}`;
    if (s.status === "SHUTOFF" && policy.expectRunning) return "SHUTOFF while it should run";
    if (s.status !== "ACTIVE" || !policy.probe) return undefined;
    const key = `probe:${s.id}`;
    const prev = await this.o.journal.get(key);
    const result = await probe(policy.probe, fixedAddress(s), parseDuration(policy.probe.timeout) ?? 5_000);
    if (result.ok === undefined) {
      this.emit(r, { kind: "probe", serverId: s.id, serverName: s.name, message: `health probe not made: ${result.detail}` });
      return undefined;
    }
    if (result.ok) {
      if (prev?.failures) await this.o.journal.put({ ...prev, failures: 0, endedAt: iso(this.clock.now()) });
      return undefined;
    }
    const failures = (prev?.failures ?? 0) + 1;
    await this.o.journal.put({ key, kind: "probe", serverId: s.id, state: "done", startedAt: prev?.startedAt ?? iso(this.clock.now()), endedAt: iso(this.clock.now()), failures, reason: result.detail });
    this.emit(r, { kind: "probe", serverId: s.id, serverName: s.name, message: `health probe failed (${failures} of ${policy.probe.fails}): ${result.detail}` });
    if (failures < policy.probe.fails) return undefined;
    await this.o.journal.put({ key, kind: "probe", serverId: s.id, state: "done", startedAt: iso(this.clock.now()), failures: 0 });
    return `health probe failed ${failures} times in a row (${result.detail})`;
  }

  /** Carries a recovery (new, or left in progress by a crashed pass) to its end. */
  private async act(server: Server, policy: RecoveryPolicy, rec: ActionRecord, r: RunnerPassResult): Promise<Server> {
    const { client } = this.o;
    const wait = { timeoutMs: this.o.actionTimeoutMs ?? 20 * 60_000, clock: this.clock, signal: this.o.signal };
    let s = taskState(server) !== null || server.status === "BUILD" || server.status === "REBUILD" ? await waitServerIdle(client, server.id, wait) : server;
    const finish = async (message: string) => {
      await this.o.journal.put({ ...rec, state: "done", endedAt: iso(this.clock.now()) });
      r.recoveries++;
      this.emit(r, { kind: "recovered", serverId: s.id, serverName: s.name, imageId: rec.imageId, message });
      return s;
    };
    if (rec.action === "rescue") {
      if (s.status !== "RESCUE") {
        await this.call(s.id, { rescue: { rescue_image_ref: policy.image } });
        s = await waitServerStatus(client, s.id, ["RESCUE"], wait);
      }
      const ip = fixedAddress(s);
      return finish(
        `in RESCUE, booted from image ${policy.image}; its own disk is attached as the second disk (/dev/vdb on virtio, /dev/sdb on SCSI) for repair. ` +
          `Reach it on the console (openstack console url show ${s.id})${ip ? ` or at ${ip} with the rescue image's login` : ""}; ` +
          `then \`pulumi-recovery unrescue ${s.id}\` boots it from its own disk again`,
      );
    }
    // rebuild-from-backup, with the image chosen when the recovery began.
    const rebuilt = s.image && typeof s.image === "object" && s.image.id === rec.imageId && ["ACTIVE", "SHUTOFF"].includes(s.status);
    if (!rebuilt) {
      await this.call(s.id, { rebuild: { imageRef: rec.imageId! } });
      s = await waitServerStatus(client, s.id, ["ACTIVE", "SHUTOFF"], wait);
    }
    // A rebuild keeps a SHUTOFF server stopped (servers-actions.inc rebuild); one that should run is started.
    if (s.status === "SHUTOFF" && policy.expectRunning) {
      await this.call(s.id, { "os-start": null });
      s = await waitServerStatus(client, s.id, ["ACTIVE"], wait);
    }
    return finish(`rebuilt from backup ${rec.imageId}; now ${s.status}`);
  }

  /** An action whose 409 may mean another runner (or a crashed pass) already started it: the waits that follow tell. */
  private async call(serverId: string, action: Parameters<typeof serverAction>[2]): Promise<void> {
    try {
      await serverAction(this.o.client, serverId, action);
    } catch (e) {
      if (!isConflict(e)) throw e;
      const s = await findServer(this.o.client, serverId);
      if (taskState(s) === null) throw e; // not a task in the way: the state refuses it
    }
  }

  // ---- suspend schedule ----

  private async schedule(server: Server, p: SuspendPolicy, r: RunnerPassResult): Promise<Server> {
    const now = this.clock.now();
    const sus = parseSchedule(p.suspend, p.tz);
    const res = parseSchedule(p.resume, p.tz);
    if ("error" in sus || "error" in res) throw new Error(`the suspend schedule cannot be read (${"error" in sus ? sus.error : ""} ${"error" in res ? res.error : ""})`);
    const S = currentSlot(sus, now) ?? -Infinity;
    const R = currentSlot(res, now) ?? -Infinity;
    if (S === -Infinity && R === -Infinity) return server;
    const want = S > R ? "suspended" : "running";
    const slot = iso(Math.max(S, R));
    const key = `suspend:${server.id}`;
    const rec = await this.o.journal.get(key);
    if (rec?.slot === slot && rec.state === "done") return server;
    let s = server;
    const record = (action: string, reason?: string) => this.o.journal.put({ key, kind: "suspend", serverId: s.id, state: "done", slot, action, reason, startedAt: iso(now), endedAt: iso(this.clock.now()), by: "runner" });
    if (taskState(s) !== null || ["BUILD", "REBUILD"].includes(s.status)) return s; // busy: next pass
    const wait = { timeoutMs: this.o.actionTimeoutMs ?? 20 * 60_000, clock: this.clock, signal: this.o.signal };
    if (want === "suspended") {
      if (s.status === "ACTIVE") {
        await this.o.journal.put({ key, kind: "suspend", serverId: s.id, state: "in-progress", slot, action: p.mode, startedAt: iso(now), by: "runner" });
        await this.call(s.id, p.mode === "pause" ? { pause: null } : { suspend: null });
        s = await waitServerStatus(this.o.client, s.id, [p.mode === "pause" ? "PAUSED" : "SUSPENDED"], wait);
        await record(p.mode);
        r.suspended++;
        this.emit(r, { kind: "suspended", serverId: s.id, serverName: s.name, message: `${p.mode === "pause" ? "paused (state kept in RAM, frozen)" : "suspended (memory written to disk, stopped)"} as scheduled (${p.suspend}, ${p.tz})` });
      } else {
        await record("none", `was ${s.status} at the scheduled ${p.mode}: left as is`);
        if (!["SUSPENDED", "PAUSED"].includes(s.status)) this.emit(r, { kind: "skipped", serverId: s.id, serverName: s.name, message: `scheduled ${p.mode} skipped: the server is ${s.status}` });
      }
      return s;
    }
    if (s.status === "SUSPENDED" || s.status === "PAUSED") {
      await this.o.journal.put({ key, kind: "suspend", serverId: s.id, state: "in-progress", slot, action: s.status === "PAUSED" ? "unpause" : "resume", startedAt: iso(now), by: "runner" });
      await this.call(s.id, s.status === "PAUSED" ? { unpause: null } : { resume: null });
      s = await waitServerStatus(this.o.client, s.id, ["ACTIVE"], wait);
      await record("resume");
      r.resumed++;
      this.emit(r, { kind: "resumed", serverId: s.id, serverName: s.name, message: `resumed as scheduled (${p.resume}, ${p.tz})` });
      return s;
    }
    await record("none", `was ${s.status} at the scheduled resume`);
    return s;
  }

  // ---- backups ----

  private async backup(server: Server, p: BackupPolicy, r: RunnerPassResult): Promise<void> {
    const sch = parseSchedule(p.schedule, p.tz);
    if ("error" in sch) throw new Error(`schedule ${p.schedule} ${sch.error}`);
    const slotMs = currentSlot(sch, this.clock.now());
    if (slotMs === undefined) return;
    const slot = iso(slotMs);
    const key = `backup:${server.id}:${p.type}:${slot}`;
    const rec = await this.o.journal.get(key);
    if (rec?.state === "done") return;
    const s = (await orUndefined(findServer(this.o.client, server.id))) ?? server;
    if (!SETTLED.includes(s.status) || taskState(s) !== null) {
      r.backupsDeferred++;
      this.emit(r, { kind: "backup-deferred", serverId: s.id, serverName: s.name, message: `backup ${p.type} of slot ${slot} waits: the server is ${statusLabel(s)} (Nova backs up ACTIVE, SHUTOFF, PAUSED or SUSPENDED servers with no task)` });
      return;
    }
    const startedAt = iso(this.clock.now());
    await this.o.journal.put({ key, kind: "backup", serverId: s.id, state: "in-progress", slot, action: "createBackup", startedAt, by: "runner" });
    try {
      const made = await backupForSlot(this.o.client, s.id, p, slotMs);
      await this.o.journal.put({ key, kind: "backup", serverId: s.id, state: "done", slot, action: "createBackup", imageId: made.imageId, startedAt, endedAt: iso(this.clock.now()), by: "runner" });
      if (made.adopted) r.backupsFound++;
      else r.backupsStarted++;
      const extra = made.discarded.length ? `; deleted duplicates of a racing runner: ${made.discarded.join(", ")}` : "";
      this.emit(r, { kind: "backup", serverId: s.id, serverName: s.name, imageId: made.imageId, message: `${made.adopted ? "found" : "started"} backup ${made.name} (${p.type}, rotation ${p.rotation}) for slot ${slot}${extra}` });
    } catch (e) {
      if (!(e instanceof ServerBusyError)) throw e;
      r.backupsDeferred++;
      this.emit(r, { kind: "backup-deferred", serverId: s.id, serverName: s.name, message: e.message });
    }
  }

  private emit(r: RunnerPassResult, e: Omit<RunnerEvent, "at">): void {
    const full = { at: iso(this.clock.now()), ...e };
    r.events.push(full);
    this.o.onEvent?.(full);
  }
}

/** One health check: GET the URL (2xx/3xx healthy), or open the TCP connection. `{ip}` is the server's fixed address. */
export async function probe(p: { http?: string; tcp?: string }, ip: string | undefined, timeoutMs: number): Promise<ProbeResult> {
  const target = (p.http ?? p.tcp)!;
  if (target.includes("{ip}") && !ip) return { ok: undefined, detail: "the server has no fixed IPv4 address" };
  const resolved = target.replaceAll("{ip}", ip ?? "");
  if (p.http) {
    try {
      const res = await fetch(resolved, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      await res.body?.cancel();
      return res.status < 400 ? { ok: true } : { ok: false, detail: `GET ${resolved} answered ${res.status}` };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { ok: false, detail: `GET ${resolved} failed: ${(e as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : cause ?? (e as Error).message}` };
    }
  }
  const at = resolved.lastIndexOf(":");
  const host = resolved.slice(0, at).replace(/^\[|\]$/g, "");
  const port = Number(resolved.slice(at + 1));
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (result: ProbeResult) => {
      sock.destroy();
      resolve(result);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, detail: `TCP ${resolved}: no connection within ${timeoutMs} ms` }));
    sock.once("connect", () => done({ ok: true }));
    sock.once("error", (e: NodeJS.ErrnoException) => done({ ok: false, detail: `TCP ${resolved}: ${e.code ?? e.message}` }));
  });
}
