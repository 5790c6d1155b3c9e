// ConsistentSnapshotPolicy and AlicloudAutoSnapshotPolicy through the real @alicloud SDK over HTTP to the
// emulator, with the controller's runner (pruning) in between. The emulated clock is frozen at a fixed
// instant (Monday 2026-11-23 00:00 UTC) and moves 1 s per API request plus what each test advances it by,
// so every schedule fires at exact, repeatable times, never by the wall clock.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { startService } from "../../cli/serve";
import { watch } from "../../cli/watch";
import type { RunningEmulator } from "../../emulator";
import { alicloudAutoSnapshotPolicyProvider, consistentSnapshotPolicyProvider, snapshotRoleProvider } from "../../provider";
import { AlicloudClient } from "../../provider/alicloud/client";
import { AlicloudPolicyRunner, type PolicyEvent } from "../../provider/alicloud/policyRunner";
import { externalClock } from "../../provider/core/clock";
import { useEmulator } from "../support/emulator";

const START = Date.UTC(2026, 10, 23, 0, 0, 0);
const fixture = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1000, start: START } });
let emu: RunningEmulator;
const DB = "i-emu-db-linux";

beforeAll(() => {
  emu = fixture.emu;
});

const admin = (path: string, body: unknown) => emu.admin.request(`alicloud/${path}`, "POST", body);
const state = () => emu.admin.request("alicloud/state");
const client = () => new AlicloudClient({ region: "cn-hangzhou", ecsEndpoint: emu.url, ramEndpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey });
const advance = (seconds: number) => emu.admin.advanceClock(seconds);
/** The emulated clock runs on from test to test: times are computed from where it stands. */
const HOUR = 3_600_000;
const nextAligned = (stepMs: number, offsetMs = 0) => Math.floor((emu.clock.now() - offsetMs) / stepMs) * stepMs + stepMs + offsetMs;
const advanceTo = (ms: number) => advance(Math.ceil((ms - emu.clock.now()) / 1000));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

async function checked(provider: typeof snapshotRoleProvider, news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const { inputs, failures } = await provider.check!(olds, news);
  expect(failures ?? []).toEqual([]);
  return inputs!;
}
async function failuresOf(provider: typeof snapshotRoleProvider, news: Record<string, unknown>) {
  return (await provider.check!({}, news)).failures ?? [];
}

async function setup() {
  await snapshotRoleProvider.create(await checked(snapshotRoleProvider, { roleName: "snap", instanceIds: [DB], __identity: "test/dev/snap" }));
  await admin("files", { instanceId: DB, path: "/root/pre.sh", content: "#!/bin/sh\nsync" });
  await admin("files", { instanceId: DB, path: "/root/post.sh", content: "#!/bin/sh\ntrue" });
}

const policyNews = (extra: Record<string, unknown> = {}) => ({
  instanceId: DB,
  ramRoleName: "snap",
  name: "db-hourly",
  preScriptPath: "/root/pre.sh",
  postScriptPath: "/root/post.sh",
  scriptTimeoutSeconds: 600,
  schedule: "rate(1h)",
  keepLast: 3,
  __identity: "test/dev/db-hourly",
  ...extra,
});

function runner(events: PolicyEvent[] = []) {
  return new AlicloudPolicyRunner({ client: client(), clock: externalClock(() => emu.clock.now()), onEvent: (e) => events.push(e) });
}

/** The policy's groups in the emulator, oldest first. */
const groups = async () => ((await state()).snapshotGroups as any[]).filter((g) => g.Name === "db-hourly").sort((a, b) => a.CreationTime.localeCompare(b.CreationTime));

describe("ConsistentSnapshotPolicy", () => {
  it("runs the plugin on its schedule, and the controller keeps exactly the newest groups", async () => {
    await setup();
    const p = await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews()));
    expect(p.id).toMatch(/^t-/);
    expect(p.outs).toMatchObject({ invocationId: p.id, status: "Scheduled", groupCount: 0 });
    const run = (await emu.admin.calls({ action: "RunCommand" }))[0];
    expect(run.params).toMatchObject({ RepeatMode: "Period", Frequency: "rate(1h)", Timeout: String(600 * 2 + 30 + 300) });
    // A rate never runs at creation (ratescheduled.go): nothing yet.
    await advance(120);
    expect(await groups()).toEqual([]);

    const events: PolicyEvent[] = [];
    const made: string[] = [];
    for (let cycle = 1; cycle <= 5; cycle++) {
      await advance(3600);
      const pass = await runner(events).runOnce();
      expect(pass.failed).toBe(0);
      const now = await groups();
      made.push(...now.map((g) => g.SnapshotGroupId).filter((id) => !made.includes(id)));
      expect(made).toHaveLength(cycle);
      // The newest three are kept; the oldest go, one per cycle once there are more than three.
      expect(now.map((g) => g.SnapshotGroupId)).toEqual(made.slice(-3));
    }
    // Pruned exactly the two oldest, in that order.
    expect(events.filter((e) => e.kind === "pruned").map((e) => e.groupId)).toEqual(made.slice(0, 2));
    // One group an hour, each at its fire time (creation + k hours).
    const created = Date.parse((await state()).invocations[0].CreationTime);
    expect((await groups()).map((g) => (Date.parse(g.CreationTime) - created) / 3_600_000)).toEqual([3, 4, 5]);
    // The adopted groups' snapshots carry the policy's tag.
    const snap = (await groups())[0].snapshots[0];
    expect(snap.tags).toEqual(expect.arrayContaining([{ Key: "APPConsistent", Value: "True" }, { Key: "pulumi-recovery:policy", Value: p.id }]));

    const r = await consistentSnapshotPolicyProvider.read!(p.id, p.outs);
    expect(r.props).toMatchObject({ invocationId: p.id, groupCount: 3, newestGroupId: made[4], newestConsistency: "application" });
  });

  it("changes the schedule and the retention in place, and delete stops the invocation and keeps the groups", async () => {
    await setup();
    const p = await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews({ keepLast: 5 })));
    await advance(120 + 3 * 3600);
    await runner().runOnce();
    expect(await groups()).toHaveLength(3);

    // Every 6 hours on the hour, UTC; and keep one.
    const news = await checked(consistentSnapshotPolicyProvider, policyNews({ schedule: "0 0 */6 * * ? UTC", keepLast: 1 }), p.outs);
    const d = await consistentSnapshotPolicyProvider.diff!(p.id, p.outs, news);
    expect([d.changes, d.replaces]).toEqual([true, []]);
    const u = await consistentSnapshotPolicyProvider.update!(p.id, p.outs, news);
    expect(u.outs.invocationId).toBe(p.id);
    expect((await emu.admin.calls({ action: "ModifyInvocationAttribute" }))[0].params).toMatchObject({ InvokeId: p.id, Frequency: "0 0 */6 * * ? UTC" });

    // Runs now fire at 00:00, 06:00, 12:00 and 18:00 UTC: up to half an hour past the second, two runs.
    const before = (await groups()).length;
    const t1 = nextAligned(6 * HOUR);
    await advanceTo(t1 + 6 * HOUR + 30 * 60_000);
    const made = (await groups()).slice(before);
    expect(made.map((g) => g.CreationTime.slice(11, 16))).toEqual([hhmm(t1), hhmm(t1 + 6 * HOUR)]);
    const pass = await runner().runOnce();
    expect(pass).toMatchObject({ groups: 1, failed: 0 });
    expect((await groups()).map((g) => g.SnapshotGroupId)).toEqual([made[1].SnapshotGroupId]);

    // Changing the name replaces the policy (the plugin's command changes); the old one stops first.
    const renamed = await checked(consistentSnapshotPolicyProvider, policyNews({ name: "db-other" }), u.outs);
    const d2 = await consistentSnapshotPolicyProvider.diff!(p.id, u.outs, renamed);
    expect([d2.replaces, d2.deleteBeforeReplace]).toEqual([["name"], true]);

    await consistentSnapshotPolicyProvider.delete!(p.id, u.outs);
    const s = await state();
    expect(s.invocations[0].InvocationStatus).toBe("Stopped");
    expect(await groups()).toHaveLength(1); // kept
    expect((await consistentSnapshotPolicyProvider.read!(p.id, u.outs)).id).toBe("");
    await advance(7 * 3600);
    expect(await groups()).toHaveLength(1); // no more runs
  });

  it("deleteSnapshotsOnDestroy deletes the policy's groups, never another group of the same name", async () => {
    await setup();
    // A group of the same name made before the policy existed (by hand): not the policy's.
    await client().call("ecs", "CreateSnapshotGroup", { InstanceId: DB, Name: "db-hourly" });
    const p = await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews({ keepLast: 1, deleteSnapshotsOnDestroy: true })));
    await advance(120 + 2 * 3600);
    const pass = await runner().runOnce();
    // Two runs: the older is pruned; the manual group is neither adopted nor pruned.
    expect(pass).toMatchObject({ adopted: 2, pruned: 1, groups: 1 });
    expect(await groups()).toHaveLength(2);
    await consistentSnapshotPolicyProvider.delete!(p.id, p.outs);
    const left = await groups();
    expect(left).toHaveLength(1);
    expect(left[0].snapshots[0].tags).toEqual([]);
  });

  it("reports a failed run with the plugin's exit code, and keeps the last good group however old", async () => {
    await setup();
    await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews({ keepLast: undefined, keepFor: "2h" })));
    await advance(120 + 3600);
    await runner().runOnce();
    await admin("instance", { instanceId: DB, forcedExitCode: 9 });
    await advance(5 * 3600);
    const events: PolicyEvent[] = [];
    const pass = await runner(events).runOnce();
    expect(events.find((e) => e.kind === "run-failed")?.message).toMatch(/exited with 9: the pre-script \(freeze\) failed/);
    // The only good group is five hours old (beyond keepFor) and is kept all the same.
    expect(pass).toMatchObject({ pruned: 0, groups: 1 });
  });

  it("`watch --cloud alicloud --once` and `serve` (an alicloud target) prune as the runner does", async () => {
    await setup();
    await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews({ keepLast: 1 })));
    await advance(120 + 2 * 3600);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: any) => (out.push(String(chunk)), true));
    let code: number;
    try {
      code = await watch({ cloud: "alicloud", once: true, json: true });
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const lines = out.join("").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.find((l) => l.kind === "summary" && l.job === "snapshot-policies")).toEqual({ kind: "summary", job: "snapshot-policies", cloud: "alicloud", region: "cn-hangzhou", policies: 1, groups: 1, adopted: 2, pruned: 1, failed: 0 });
    expect(await groups()).toHaveLength(1);

    // serve: one more run, pruned by the service's poll.
    await advance(3600);
    const logs: string[] = [];
    const dir = mkdtempSync(path.join(tmpdir(), "policies-serve-"));
    const config = path.join(dir, "serve.yaml");
    writeFileSync(config, `listen: 127.0.0.1:0\npollInterval: 1h\nstore: ${path.join(dir, "journal.json")}\ntargets: [{ cloud: volcengine, region: cn-beijing, endpoint: "${emu.url}" }, { cloud: alicloud, region: cn-hangzhou }]\n`);
    const svc = await startService({ config }, { logDestination: { write: (l: string) => (logs.push(l), true) } as any });
    try {
      await svc.pollNow();
    } finally {
      await svc.stop();
    }
    expect(logs.join("")).toContain("pruned group");
    expect(await groups()).toHaveLength(1);
  });

  it("adopts the periodic invocation whose RunCommand answer was lost (one schedule, not two)", async () => {
    await setup();
    await emu.admin.addFault({ cloud: "alicloud", action: "RunCommand", kind: "lose-response", count: 1 });
    const p = await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews()));
    expect((await state()).invocations.map((i: any) => i.InvokeId)).toEqual([p.id]);
    // A crash-retried create finds it by its token too.
    const again = await consistentSnapshotPolicyProvider.create(await checked(consistentSnapshotPolicyProvider, policyNews()));
    expect(again.id).toBe(p.id);
  });

  it.each([
    [{ schedule: "rate(30s)" }, "schedule", /at least 60 seconds/],
    [{ schedule: "rate(8d)" }, "schedule", /at most 7 days/],
    [{ schedule: "rate(5m)" }, "schedule", /one run may take up to 1530s/],
    [{ schedule: "0 0 0 30 2 ? UTC" }, "schedule", /never fires/],
    [{ schedule: "0 0 2 * * ? 2020 UTC" }, "schedule", /never fires/],
    [{ schedule: "0 0 2 * * ?" }, "schedule", /names no time zone.*"0 0 2 \* \* \? Asia\/Shanghai"/],
    [{ schedule: "0 0 25 * * ? UTC" }, "schedule", /hours field "25" is not valid: it takes 0-23/],
    [{ schedule: "0 0 2 * * ? Mars/Olympus" }, "schedule", /time zone "Mars\/Olympus"/],
    [{ schedule: "0 0 2 * * ? GMT+08:00" }, "schedule", /time zone "GMT\+08:00".*no leading zero/],
    [{ schedule: "at(2027-01-01 00:00:00)" }, "schedule", /runs once: a policy repeats/],
    [{ keepLast: 0 }, "keepLast", /at least 1/],
    [{ keepLast: 1001 }, "keepLast", /at most 1000/],
    [{ keepLast: undefined, keepFor: "30m" }, "keepFor", /at least "1h"/],
    [{ keepLast: undefined }, "keepLast", /set keepLast .* and\/or keepFor/],
  ])("refuses %j at preview, naming %s and the fix", async (bad, property, reason) => {
    const failures = await failuresOf(consistentSnapshotPolicyProvider, policyNews(bad));
    expect(failures).toEqual([expect.objectContaining({ property, reason: expect.stringMatching(reason) })]);
  });

  it("accepts a 6-hourly cron in a GMT offset and day-of-week names, as the agent reads them", async () => {
    expect(await failuresOf(consistentSnapshotPolicyProvider, policyNews({ schedule: "0 30 1 ? * MON-FRI GMT+8:00" }))).toEqual([]);
    expect(await failuresOf(consistentSnapshotPolicyProvider, policyNews({ schedule: "0 0 0/6 * * ? 2026-2030 Asia/Shanghai" }))).toEqual([]);
  });
});

describe("Cloud Assistant periodic invocations (the emulator, through the SDK)", () => {
  const run = (extra: Record<string, unknown>) =>
    client().call<{ InvokeId: string }>("ecs", "RunCommand", { Type: "RunShellScript", CommandContent: "/root/job.sh", InstanceId: [DB], Timeout: 60, ...extra }, { safe: false });

  it("refuses a Frequency the API does not take (InvalidParam.Frequency)", async () => {
    for (const f of ["rate(30s)", "rate(8d)", "rate(1m)", "every hour", "0 0 0 * * ? * UTC extra"]) {
      await expect(run({ RepeatMode: "Period", Frequency: f }), f).rejects.toMatchObject({ code: "InvalidParam.Frequency" });
    }
  });

  it("never overlaps a run that is still going, and lists every run with IncludeHistory", async () => {
    await admin("files", { instanceId: DB, path: "/root/job.sh", content: "#!/bin/sh\nsleep 100" });
    await admin("settings", { invocationSeconds: 150 });
    const { InvokeId } = await run({ Frequency: "rate(2m)", Timeout: 110 }); // Frequency alone means Period
    await advance(9 * 60 - 5);
    const history = await client().call("ecs", "DescribeInvocationResults", { InvokeId, IncludeHistory: true });
    const results = history.Invocation.InvocationResults.InvocationResult;
    // Fire times every 2 minutes; each run lasts 110 s (its Timeout), shorter than 2 minutes: 4 runs.
    expect(results.map((r: any) => r.Repeats)).toEqual([4, 3, 2, 1]);
    await admin("settings", { invocationSeconds: 5 });
  });

  it("a cron that never fires again is reported Invalid by the agent (CronExpressionExpired)", async () => {
    const { InvokeId } = await run({ Frequency: "0 0 0 1 1 ? 2020 UTC", Timeout: 60 });
    const r = await client().call("ecs", "DescribeInvocationResults", { InvokeId });
    expect(r.Invocation.InvocationResults.InvocationResult[0]).toMatchObject({ InvocationStatus: "Invalid", ErrorCode: "CronExpressionExpired" });
    const list = await client().call("ecs", "DescribeInvocations", { InvokeId });
    expect(list.Invocations.Invocation[0]).toMatchObject({ RepeatMode: "Period", Frequency: "0 0 0 1 1 ? 2020 UTC", InvocationStatus: "Failed", Timed: false });
  });
});

describe("AlicloudAutoSnapshotPolicy", () => {
  const news = (extra: Record<string, unknown> = {}) => ({ name: "nightly", timePoints: [2], repeatWeekdays: [1, 2, 3, 4, 5, 6, 7], retentionDays: 2, diskIds: [] as string[], __identity: "test/dev/nightly", ...extra });

  it("takes a snapshot of each disk at its time point (UTC+8), expires them after the retention, and changes in place", async () => {
    const disks = (await state()).instances.find((i: any) => i.InstanceId === DB).disks.map((d: any) => d.DiskId);
    // 02:00 UTC+8 is 18:00 UTC: the policy is made at 17:00 UTC, an hour before its time point.
    const at = nextAligned(24 * HOUR, 17 * HOUR) + HOUR;
    await advanceTo(at - HOUR);
    const p = await alicloudAutoSnapshotPolicyProvider.create(await checked(alicloudAutoSnapshotPolicyProvider, news({ diskIds: disks })));
    expect(p.id).toMatch(/^sp-/);
    expect(p.outs).toMatchObject({ autoSnapshotPolicyId: p.id, status: "Normal", appliedDiskIds: [...disks].sort() });
    const create = (await emu.admin.calls({ action: "CreateAutoSnapshotPolicy" }))[0];
    // The lower-camel wire names and JSON-array strings of the API (no RegionId).
    expect(create.params).toMatchObject({ regionId: "cn-hangzhou", timePoints: '["2"]', repeatWeekdays: '["1","2","3","4","5","6","7"]', retentionDays: "2", "Tag.1.Key": "pulumi-recovery:token" });
    expect(create.params.RegionId).toBeUndefined();

    const autos = async () => (await client().call("ecs", "DescribeSnapshots", { SnapshotType: "auto", MaxResults: 100 })).Snapshots.Snapshot as any[];
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect(await autos()).toEqual([]);
    await advanceTo(at);
    const first = await autos();
    expect(first.map((s) => s.CreationTime)).toEqual([iso(at), iso(at)]);
    expect(first[0].SnapshotName).toBe(`auto_${new Date(at + 8 * HOUR).toISOString().slice(0, 10).replace(/-/g, "")}_1`);
    // Three days on: the snapshots of the last two days are there, the older ones have expired.
    await advance(3 * 86400);
    const later = await autos();
    expect([...new Set(later.map((s) => s.CreationTime))]).toEqual([iso(at + 72 * HOUR), iso(at + 48 * HOUR)]);

    // In place: another time point, and one disk less (cancelled for it only).
    const changed = await checked(alicloudAutoSnapshotPolicyProvider, news({ timePoints: [14, 2], diskIds: [disks[0]] }), p.outs);
    expect((await alicloudAutoSnapshotPolicyProvider.diff!(p.id, p.outs, changed)).replaces).toEqual([]);
    const u = await alicloudAutoSnapshotPolicyProvider.update!(p.id, p.outs, changed);
    expect(u.outs.appliedDiskIds).toEqual([disks[0]]);
    expect((await emu.admin.calls({ action: "ModifyAutoSnapshotPolicyEx" }))[0].params).toMatchObject({ timePoints: '["2","14"]' });
    expect((await emu.admin.calls({ action: "CancelAutoSnapshotPolicy" }))[0].params).toMatchObject({ autoSnapshotPolicyId: p.id, diskIds: JSON.stringify([disks[1]]) });

    const r = await alicloudAutoSnapshotPolicyProvider.read!(p.id, u.outs);
    expect(r.props).toMatchObject({ timePoints: [2, 14], appliedDiskIds: [disks[0]] });
    await alicloudAutoSnapshotPolicyProvider.delete!(p.id, u.outs);
    expect((await alicloudAutoSnapshotPolicyProvider.read!(p.id, u.outs)).id).toBe("");
    // Deleting an already deleted policy is done.
    await alicloudAutoSnapshotPolicyProvider.delete!(p.id, u.outs);
  });

  it("a create retried after a lost answer finds the policy by its token tag", async () => {
    await emu.admin.addFault({ cloud: "alicloud", action: "CreateAutoSnapshotPolicy", kind: "lose-response", count: 1 });
    const p = await alicloudAutoSnapshotPolicyProvider.create(await checked(alicloudAutoSnapshotPolicyProvider, news()));
    const again = await alicloudAutoSnapshotPolicyProvider.create(await checked(alicloudAutoSnapshotPolicyProvider, news()));
    expect(again.id).toBe(p.id);
    const all = await client().call("ecs", "DescribeAutoSnapshotPolicyEx", {});
    expect(all.AutoSnapshotPolicies.AutoSnapshotPolicy.map((x: any) => x.AutoSnapshotPolicyId)).toEqual([p.id]);
  });

  it.each([
    [{ timePoints: [24] }, "timePoints[0]", /hours 0-23 \(UTC\+8\)/],
    [{ timePoints: [] }, "timePoints", /at least one value/],
    [{ timePoints: [2, 2] }, "timePoints", /must not repeat/],
    [{ repeatWeekdays: [0] }, "repeatWeekdays[0]", /days 1-7 \(1 = Monday/],
    [{ repeatWeekdays: [8] }, "repeatWeekdays[0]", /days 1-7/],
    [{ retentionDays: 0 }, "retentionDays", /1-65535 days, or -1/],
    [{ retentionDays: 65536 }, "retentionDays", /1-65535 days, or -1/],
    [{ name: "1bad" }, "name", /starts with a letter/],
  ])("refuses %j at preview, naming %s and the fix", async (bad, property, reason) => {
    const failures = await failuresOf(alicloudAutoSnapshotPolicyProvider, news(bad));
    expect(failures).toEqual([expect.objectContaining({ property, reason: expect.stringMatching(reason) })]);
  });
});
