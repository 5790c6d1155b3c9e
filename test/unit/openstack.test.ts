// Pure parts of the OpenStack side: schedules (slots, firings, never-firing and too-frequent ones, time
// zones across a DST change), the policies' metadata encoding read back (and what cannot be read), the
// client's reading of each service's error body, and the slot's backup token and name.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { backupName, backupToken } from "../../provider/openstack/backups";
import { errorOf } from "../../provider/openstack/client";
import { probe } from "../../provider/openstack/runner";
import { backupPolicyOf, backupPolicySchema, encodePolicy, KEYS, policiesOf, recoveryPolicyOf, recoveryPolicySchema, suspendPolicyOf, suspendScheduleSchema } from "../../provider/openstack/policy";
import { currentSlot, minGapMs, nextFirings, parseSchedule, slotStamp } from "../../provider/openstack/schedule";

const at = (s: string) => Date.parse(s);
const sched = (text: string, tz = "UTC") => {
  const s = parseSchedule(text, tz);
  if ("error" in s) throw new Error(s.error);
  return s;
};

describe("schedules", () => {
  it("durations slot from the epoch; cron slots are the last firing, in the time zone", () => {
    expect(currentSlot(sched("1d"), at("2026-03-04T13:37:00Z"))).toBe(at("2026-03-04T00:00:00Z"));
    expect(currentSlot(sched("12h"), at("2026-03-04T13:37:00Z"))).toBe(at("2026-03-04T12:00:00Z"));
    expect(currentSlot(sched("0 2 * * *"), at("2026-03-04T01:59:00Z"))).toBe(at("2026-03-03T02:00:00Z"));
    expect(currentSlot(sched("0 2 * * *"), at("2026-03-04T02:00:00Z"))).toBe(at("2026-03-04T02:00:00Z"));
    expect(currentSlot(sched("0 20 * * 1-5"), at("2026-03-08T12:00:00Z"))).toBe(at("2026-03-06T20:00:00Z")); // Sunday → Friday's
    expect(currentSlot(sched("*/15 * * * *"), at("2026-03-04T13:37:00Z"))).toBe(at("2026-03-04T13:30:00Z"));
    expect(currentSlot(sched("0 0 1 1 *"), at("2026-03-04T13:37:00Z"))).toBe(at("2026-01-01T00:00:00Z"));
    // 02:00 in Berlin: 01:00 UTC in winter, 00:00 UTC after the change to summer time on 29 March 2026.
    expect(nextFirings(sched("0 2 * * *", "Europe/Berlin"), at("2026-03-28T12:00:00Z"), 3)).toEqual([at("2026-03-29T01:00:00Z"), at("2026-03-30T00:00:00Z"), at("2026-03-31T00:00:00Z")]);
    expect(slotStamp(at("2026-03-04T02:00:00Z"))).toBe("20260304T0200Z");
  });

  it("knows schedules that never fire, fire too often, or are not schedules", () => {
    expect(nextFirings(sched("0 0 31 2 *"), Date.now(), 1)).toEqual([]);
    expect(minGapMs(sched("0 0 30 2 *"), Date.now())).toBeUndefined();
    expect(minGapMs(sched("*/10 * * * *"), Date.now())).toBe(600_000);
    expect(parseSchedule("0 2 * *")).toEqual({ error: expect.stringMatching(/five fields/) });
    expect(parseSchedule("0 25 * * *")).toEqual({ error: expect.stringMatching(/not a valid cron expression/) });
    expect(parseSchedule("0s")).toEqual({ error: "is a zero duration" });
  });
});

describe("policies as Nova metadata", () => {
  it("encode within 255 characters and read back; unknown or unreadable items are reported, not acted on", () => {
    const b = backupPolicySchema.parse({ serverId: "11111111-2222-3333-4444-555555555555", schedule: "0 2 * * *", backupType: "daily", __identity: "p/s/x" });
    const r = recoveryPolicySchema.parse({ serverId: b.serverId, action: "rebuild-from-backup", healthProbe: { tcp: "{ip}:22" }, __identity: "p/s/y" });
    const s = suspendScheduleSchema.parse({ serverId: b.serverId, suspendAt: "0 20 * * 1-5", resumeAt: "0 7 * * 1-5", __identity: "p/s/z" });
    const md = { app: "web", [KEYS.backup("daily")]: encodePolicy(backupPolicyOf(b)), [KEYS.recovery]: encodePolicy(recoveryPolicyOf(r)), [KEYS.suspend]: encodePolicy(suspendPolicyOf(s)), "pulumi-recovery:backup:weekly": "{broken", "pulumi-recovery:future": "x" };
    for (const v of Object.values(md)) expect(v.length).toBeLessThanOrEqual(255);
    const p = policiesOf(md);
    expect(p.backups).toEqual([{ schedule: "0 2 * * *", tz: "UTC", type: "daily", rotation: 7, prefix: "backup", by: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
    expect(p.recovery).toMatchObject({ action: "rebuild-from-backup", onError: true, expectRunning: false, probe: { tcp: "{ip}:22", fails: 3, timeout: "5s" }, cooldown: "30m" });
    expect(p.suspend).toMatchObject({ mode: "suspend", suspend: "0 20 * * 1-5", resume: "0 7 * * 1-5" });
    expect(p.unreadable.sort()).toEqual(["pulumi-recovery:backup:weekly", "pulumi-recovery:future"]);
    // A policy item whose type does not match its key is not trusted.
    expect(policiesOf({ [KEYS.backup("weekly")]: encodePolicy(backupPolicyOf(b)) }).unreadable).toEqual([KEYS.backup("weekly")]);
  });

  it("refuse a policy that would not fit Nova's 255 characters, naming the field", () => {
    const long = recoveryPolicySchema.safeParse({ serverId: "11111111-2222-3333-4444-555555555555", action: "rescue", rescueImageId: "11111111-2222-3333-4444-555555555555", healthProbe: { http: `http://{ip}:8080/${"a".repeat(135)}` } });
    expect(long.success).toBe(false);
    expect(long.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([["healthProbe", expect.stringMatching(/healthProbe: the policy takes \d+ characters in the server's metadata, more than Nova's 255: shorten healthProbe.http/)]]);
  });
});

describe("the slot's backup", () => {
  it("has one token per server, type and slot, and a name that says which slot", () => {
    const t = backupToken("s1", "daily", 1000);
    expect(t).toBe(backupToken("s1", "daily", 1000));
    expect(new Set([t, backupToken("s1", "daily", 2000), backupToken("s2", "daily", 1000), backupToken("s1", "weekly", 1000)]).size).toBe(4);
    expect(backupName({ prefix: "web", type: "daily" }, at("2026-03-04T02:00:00Z"))).toBe("web-daily-20260304T0200Z");
  });
});

describe("error bodies", () => {
  const res = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers) });
  it("reads Nova's fault name, Keystone's and Glance's titles, an HTML page, Retry-After and the request id", () => {
    const nova = errorOf("compute", "createBackup", res(409, { "x-openstack-request-id": "req-1" }), { conflictingRequest: { code: 409, message: "Cannot 'createBackup' instance x while it is in task_state image_backup" } });
    expect([nova.code, nova.httpStatus, nova.requestId, nova.cloudMessage]).toEqual(["conflictingRequest", 409, "req-1", "Cannot 'createBackup' instance x while it is in task_state image_backup"]);
    const limited = errorOf("compute", "GET /servers", res(429), { overLimit: { code: 429, message: "slow down", retryAfter: "7" } });
    expect([limited.code, limited.retryAfterMs]).toEqual(["overLimit", 7000]);
    expect(errorOf("compute", "x", res(503, { "retry-after": "2" }), undefined).retryAfterMs).toBe(2000);
    const keystone = errorOf("identity", "POST /v3/auth/tokens", res(401), { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
    expect(keystone.code).toBe("Unauthorized");
    const glance = errorOf("image", "GET /v2/images/{id}", res(404), { code: "404 Not Found", title: "Not Found", message: "No image found with ID x" });
    expect([glance.code, glance.cloudMessage]).toEqual(["NotFound", "No image found with ID x"]);
    const html = errorOf("image", "DELETE /v2/images/{id}", res(403), "<html><body><h1>403 Forbidden</h1>You are not authorized</body></html>");
    expect([html.code, html.cloudMessage]).toEqual(["Forbidden", "403 Forbidden You are not authorized"]);
  });
});

describe("health probes", () => {
  it("connect over TCP to {ip}:port, fail on a closed port, and are not made without an address", async () => {
    const server = createServer((sock) => sock.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await probe({ tcp: `{ip}:${port}` }, "127.0.0.1", 2000)).toEqual({ ok: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await probe({ tcp: `{ip}:${port}` }, "127.0.0.1", 2000)).toEqual({ ok: false, detail: `TCP 127.0.0.1:${port}: ECONNREFUSED` });
    expect(await probe({ http: `http://127.0.0.1:${port}/healthz` }, undefined, 2000)).toEqual({ ok: false, detail: `GET http://127.0.0.1:${port}/healthz failed: ECONNREFUSED` });
    expect(await probe({ http: "http://{ip}:8080/" }, undefined, 2000)).toEqual({ ok: undefined, detail: "the server has no fixed IPv4 address" });
  });
});
