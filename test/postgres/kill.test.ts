// Replicas of `pulumi-recovery watch --store postgres://…` as users run them — the built CLI, each in its
// own process — sharing one PostgreSQL journal and one emulator, while the test SIGKILLs one of them at
// random points many times and starts it again. In the end every interruption has exactly one final
// recovery point, one image and one replacement (created once: never made twice and cleaned up), and
// every recovery is done.
//
// Where the kills land is seeded (PULUMI_RECOVERY_KILL_SEED; printed with the numbers): after a random
// number of cloud requests since the previous kill, a random replica — most often one that holds claims.
// The replicas run on the emulator's frozen clock, stepped per request (1 s each); that clock moves with
// every replica's requests, so how much emulated time a recovery takes depends on how the machine
// schedules the processes. The notice is therefore longer than the clock can move within the test's
// budget (every waiting recovery polls at most every 50 ms: well under a million requests in 150 s), and
// no assertion here depends on it. Deadlines under a takeover are asserted where they are decidable, in
// controllers.test.ts (one process, a lapse charged to the cloud's clock as a whole lease).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecoveryRecord } from "../../provider/recovery/journal";
import { nextStep } from "../../provider/recovery/planner";
import { useEmulator } from "../support/emulator";
import { usePostgres } from "../support/postgres";
import { protectedSpotInstance } from "../support/spot";

const root = path.resolve(__dirname, "../..");
const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 1_000, start: Date.UTC(2030, 0, 1) } });
const pg = usePostgres("kill");
const SEED = Number(process.env.PULUMI_RECOVERY_KILL_SEED ?? 13);
const LEASE_SECONDS = 4;
/** Beyond what the replicas can spend of the frozen clock within the test's budget (see above). */
const NOTICE_SECONDS = 30 * 24 * 3600;

/** mulberry32: a small seeded generator, so a failing schedule can be run again. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

interface Replica {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

const running: Replica[] = [];
/** Every replica's stderr, the killed ones' too. */
const stderr: string[] = [];

function start(name: string): Replica {
  const proc = spawn(
    process.execPath,
    [path.join(root, "dist/cli/main.js"), "watch", "--store", pg.url, "--json", "--interval", "1", "--lease", String(LEASE_SECONDS), "--owner", name],
    { cwd: root, env: { ...process.env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const r = { name, proc, exited };
  running.push(r);
  return r;
}

async function kill(r: Replica): Promise<void> {
  r.proc.kill("SIGKILL");
  await r.exited;
  running.splice(running.indexOf(r), 1);
}

beforeEach(async () => {
  await pg.sql("DROP TABLE IF EXISTS pulumi_recovery_journal, pulumi_recovery_schema");
  // Shorter cloud work than the defaults, so a recovery is a few seconds of polling here.
  await ctx.emu.admin.volcengine.settings({ instanceCreateSeconds: 10, snapshotBaseSeconds: 5, snapshotSecondsPerGiB: 0.5, imageFromSnapshotBaseSeconds: 10, imageFromSnapshotSecondsPerGiB: 0.25 });
});

afterEach(async () => {
  await Promise.all([...running].map(kill));
});

const protectedInstance = async (name: string) => (await protectedSpotInstance(name, { identity: `test/kill/${name}` })).id;

/** The tags a create call sent (Tags.N.Key / Tags.N.Value). */
function sentTags(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^Tags\.(\d+)\.Key$/.exec(k);
    if (m) out[v] = params[`Tags.${m[1]}.Value`] ?? "";
  }
  return out;
}

const tagsOf = (x: any) => Object.fromEntries((x.Tags ?? []).map((t: any) => [t.Key, t.Value]));

async function replicaTest(replicas: number, interruptions: number, kills: number) {
  const random = rng(SEED * 100 + replicas);
  const instances = await Promise.all(Array.from({ length: interruptions }, (_, i) => protectedInstance(`r${replicas}-${i}`)));
  await ctx.emu.admin.clearCalls();
  const names = Array.from({ length: replicas }, (_, i) => `replica-${i + 1}`);
  for (const n of names) start(n);

  // Half the interruptions at once, the rest one after each of the first kills: replicas notice new ones
  // while others are being taken over.
  const events: { eventId: string; instanceId: string }[] = [];
  const interrupt = async (instanceId: string) => {
    const { eventId } = await ctx.emu.admin.volcengine.spotInterruption({ instanceId, noticeSeconds: NOTICE_SECONDS });
    events.push({ eventId, instanceId });
  };
  const pending = [...instances];
  for (const id of pending.splice(0, Math.ceil(interruptions / 2))) await interrupt(id);

  let seen = 0;
  let holderKills = 0;
  const killedDuring: Record<string, number> = {};
  const cutOff = new Set<string>();
  for (let k = 0; k < kills; k++) {
    // A random point: after 3..40 more cloud requests from the replicas.
    const wait = random.int(3, 40);
    const target = seen + wait;
    await expect.poll(async () => (seen = (await ctx.emu.admin.calls({ since: seen })).at(-1)?.seq ?? seen), { timeout: 30_000, interval: 10 }).toBeGreaterThanOrEqual(target);
    const leased = await pg.sql<{ owner: string; claim: string; record: RecoveryRecord }>("SELECT owner, event_id || ':' || generation AS claim, record FROM pulumi_recovery_journal WHERE lease_until > clock_timestamp()").catch(() => []);
    const holders = new Set(leased.map((r) => r.owner));
    const candidates = running.filter((r) => holders.has(r.name));
    const victim = candidates.length && random.next() < 0.75 ? random.pick(candidates) : random.pick(running);
    if (holders.has(victim.name)) holderKills++;
    await kill(victim);
    // What the killed replica was in the middle of, by each claimed recovery's next step (each claim once:
    // a predecessor's claims still lapsing carry the same name).
    for (const r of leased) if (r.owner === victim.name && !cutOff.has(r.claim) && cutOff.add(r.claim)) killedDuring[nextStep(r.record) ?? "finishing"] = (killedDuring[nextStep(r.record) ?? "finishing"] ?? 0) + 1;
    start(victim.name); // the same name: it must still wait for its predecessor's leases to lapse
    if (pending.length) await interrupt(pending.shift()!);
  }

  // Every recovery done, however the kills fell.
  const rows = async () => (await pg.sql<{ event_id: string; owner: string; generation: number; record: RecoveryRecord }>("SELECT event_id, owner, generation::int AS generation, record FROM pulumi_recovery_journal")).sort((a, b) => a.event_id.localeCompare(b.event_id));
  await expect.poll(async () => (await rows()).filter((r) => r.record.state !== "in-progress").length, { timeout: 90_000, interval: 200 }).toBe(interruptions);
  const done = await rows();
  expect(done.map((r) => r.event_id)).toEqual(events.map((e) => e.eventId).sort());
  expect(done.map((r) => r.record.state)).toEqual(done.map(() => "done"));

  // Exactly one final point, one image and one replacement per interruption, each created once.
  const state = await ctx.emu.admin.volcengine.state();
  const calls = (await ctx.emu.admin.calls()).filter((c) => c.status === 200);
  const created = (action: string, tag: string, value: string, extra: (t: Record<string, string>) => boolean = () => true) =>
    calls.filter((c) => c.action === action && sentTags(c.params)[tag] === value && extra(sentTags(c.params))).length;
  for (const { instanceId } of events) {
    const finals = state.snapshotGroups.filter((g) => tagsOf(g)["pulumi-recovery:source"] === instanceId && tagsOf(g)["pulumi-recovery:point"]?.startsWith("kind=final"));
    const images = state.images.filter((i) => tagsOf(i)["pulumi-recovery:source"] === instanceId);
    const replacements = state.instances.filter((i) => tagsOf(i)["pulumi-recovery:origin"] === instanceId && i.InstanceId !== instanceId);
    expect({ instanceId, finals: finals.length, images: images.length, replacements: replacements.length }).toEqual({ instanceId, finals: 1, images: 1, replacements: 1 });
    expect({
      instanceId,
      pointCreates: created("CreateSnapshotGroup", "pulumi-recovery:source", instanceId, (t) => t["pulumi-recovery:point"]?.startsWith("kind=final")),
      imageCreates: created("CreateImage", "pulumi-recovery:source", instanceId),
      runCreates: created("RunInstances", "pulumi-recovery:origin", instanceId),
    }).toEqual({ instanceId, pointCreates: 1, imageCreates: 1, runCreates: 1 });
    const rec = done.find((r) => r.record.instanceId === instanceId)!.record;
    expect(rec).toMatchObject({ pointId: finals[0].SnapshotGroupId, imageId: images[0].ImageId, replacementId: replacements[0].InstanceId });
  }

  const reclaims = done.reduce((n, r) => n + r.generation - 1, 0);
  const errText = stderr.splice(0).join("");
  if (errText.trim()) console.log(`replicas' stderr:\n${errText}`);
  const refused = errText.split("refused a write").length - 1;
  console.log(
    `kill test, seed ${SEED}: ${replicas} replicas, ${interruptions} interruptions, ${kills} SIGKILLs (${holderKills} of a replica holding claims; claimed recoveries cut off in their ${JSON.stringify(killedDuring)} step), ` +
      `${reclaims} claims after the first (takeovers of lapsed leases, and later passes), ${refused} writes refused to a replica that had lost its claim, ` +
      `${calls.length} cloud requests answered`,
  );
}

describe("replicas sharing a PostgreSQL journal, SIGKILLed at random points", () => {
  it("two replicas, one killed 12 times: each interruption recovered exactly once", () => replicaTest(2, 8, 12), 150_000);
  it("three replicas, one killed 20 times: each interruption recovered exactly once", () => replicaTest(3, 12, 20), 150_000);
});
