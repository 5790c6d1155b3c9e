// `pulumi-recovery serve` against the emulator: Cloud Monitor webhooks in the real body shape (the
// emulator's event rules POST them), the safety-net poll, both at once, the secret, health, metrics,
// JSON logs, graceful shutdown, configuration errors. Frozen clock, stepped per request.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../../cli/serve";
import { loadServeConfig } from "../../cli/serveConfig";
import { useEmulator } from "../support/emulator";
import { protectedSpotInstance } from "../support/spot";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } });
const SECRET = "s3cret-webhook-token-0123456789";
let svc: RunningService | undefined;
const logs: any[] = [];

afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

async function service(extra: Record<string, string> = {}) {
  const out = new PassThrough();
  out.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter(Boolean).forEach((l) => logs.push(JSON.parse(l))));
  logs.length = 0;
  process.env.PULUMI_RECOVERY_WEBHOOK_SECRET = SECRET;
  svc = await startService(
    { listen: "127.0.0.1:0", region: "cn-beijing", pollInterval: "10m", store: path.join(mkdtempSync(path.join(tmpdir(), "serve-")), "journal.json"), logFormat: "json", ...extra },
    { logDestination: out },
  );
  await expect.poll(() => logs.some((l) => l.msg === "pass done" || /serving at/.test(l.msg)), { interval: 20, timeout: 30_000 }).toBe(true);
  return svc;
}

const protectedInstance = async (name: string) => protectedSpotInstance(name, { zone: "a", imageId: "image-ubuntu2204-emu", identity: `test/serve/${name}` });

const metric = async (s: RunningService, name: string) => (await (await fetch(`${s.url}/metrics`)).text()).split("\n").filter((l) => l.startsWith(name));
const doneFor = (id: string) => logs.find((l) => l.kind === "done" && l.instanceId === id);
const replacementsOf = async (id: string) => (await ctx.emu.admin.volcengine.state()).instances.filter((i) => i.Tags.some((t: any) => t.Key === "pulumi-recovery:origin" && t.Value === id));

describe("pulumi-recovery serve", () => {
  it("a pushed event starts the recovery at once: one webhook delivery, not a poll interval", async () => {
    const s = await service();
    const inst = await protectedInstance("pushed");
    await ctx.emu.admin.volcengine.eventRule({ url: `${s.url}/webhooks/volcengine/${SECRET}` });
    await s.pollNow(); // the service's only poll before the interruption (the interval is 10 minutes)
    const passesBefore = await metric(s, 'pulumi_recovery_passes_total{cloud="volcengine",region="cn-beijing",job="spot-recovery",result="ok"}');
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    await expect.poll(() => doneFor(inst.id), { interval: 50, timeout: 60_000 }).toBeTruthy();
    expect(logs.find((l) => l.kind === "noticed")).toMatchObject({ instanceId: inst.id, source: "push" });
    expect(await metric(s, 'pulumi_recovery_passes_total{cloud="volcengine",region="cn-beijing",job="spot-recovery",result="ok"}')).toEqual(passesBefore); // no poll in between
    expect((await ctx.emu.admin.volcengine.eventRules()).deliveries).toEqual([expect.objectContaining({ outcome: "delivered", status: 202 })]);
    expect(await metric(s, "pulumi_recovery_interruptions_total")).toContain('pulumi_recovery_interruptions_total{cloud="volcengine",region="cn-beijing",source="push"} 1');
    expect(await metric(s, "pulumi_recovery_recoveries_total")).toContain('pulumi_recovery_recoveries_total{cloud="volcengine",region="cn-beijing",outcome="done"} 1');
    expect((await metric(s, "pulumi_recovery_api_calls_total")).some((l) => /action="CreateSnapshotGroup",outcome="ok"} 1$/.test(l))).toBe(true);
  });

  it("a lost push is caught by the poll; push and poll at once recover once", async () => {
    const s = await service();
    const lost = await protectedInstance("lost-push");
    const both = await protectedInstance("both");
    await ctx.emu.admin.volcengine.eventRule({ url: `${s.url}/webhooks/volcengine/${SECRET}`, lossRate: 1 });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: lost.id, noticeSeconds: 300 });
    await s.pollNow();
    expect(doneFor(lost.id)).toBeTruthy();
    expect(logs.find((l) => l.kind === "noticed" && l.instanceId === lost.id).source).toBe("poll");

    await ctx.emu.admin.reset();
    const both2 = await protectedInstance("both");
    await ctx.emu.admin.volcengine.eventRule({ url: `${s.url}/webhooks/volcengine/${SECRET}` });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: both2.id, noticeSeconds: 300 });
    await s.pollNow(); // races the webhook
    await expect.poll(() => doneFor(both2.id), { interval: 50, timeout: 60_000 }).toBeTruthy();
    ctx.emu.clock.advance(600_000);
    expect(await replacementsOf(both2.id)).toHaveLength(1);
    expect((await ctx.emu.admin.volcengine.state()).snapshotGroups.filter((g) => g.Tags.some((t: any) => t.Key === "pulumi-recovery:source" && t.Value === both2.id))).toHaveLength(1);
    void both;
  });

  it("refuses a webhook without the secret, and serves health, readiness and metrics", async () => {
    const s = await service();
    const body = JSON.stringify({ EventType: "ecs:Instance:SpotInstanceInterruption.Delete.Scheduled", Region: "cn-beijing", Details: { subject: "i-x" } });
    expect((await fetch(`${s.url}/webhooks/volcengine`, { method: "POST", body })).status).toBe(401);
    expect((await fetch(`${s.url}/webhooks/volcengine/not-the-secret`, { method: "POST", body })).status).toBe(401);
    expect((await fetch(`${s.url}/webhooks/volcengine`, { method: "POST", body, headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(202);
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect(await metric(s, "pulumi_recovery_webhooks_total")).toEqual(
      expect.arrayContaining(['pulumi_recovery_webhooks_total{cloud="volcengine",result="unauthorized"} 2', 'pulumi_recovery_webhooks_total{cloud="volcengine",result="accepted"} 1']),
    );
    expect(logs.every((l) => !JSON.stringify(l).includes(SECRET) && !JSON.stringify(l).includes(ctx.emu.credentials.secretKey))).toBe(true);
  });

  it("shuts down gracefully: a recovery in flight is journaled where it stopped and the next controller finishes it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "serve-"));
    const store = path.join(dir, "journal.json");
    // No drain time: the step in flight stops at once (a drain lets it finish; here the point is that nothing is lost).
    writeFileSync(path.join(dir, "serve.yaml"), "drainSeconds: 0\nlog:\n  format: json\n");
    const s = await service({ store, config: path.join(dir, "serve.yaml") });
    const inst = await protectedInstance("interrupted-service");
    await ctx.emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 4 }); // a point that takes a while
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const running = s.pollNow();
    await expect.poll(() => logs.some((l) => l.kind === "step" && l.step === "point"), { interval: 10, timeout: 30_000 }).toBe(true);
    await s.stop();
    await running;
    svc = undefined;
    expect(logs.at(-1)).toMatchObject({ unfinished: [expect.stringMatching(/^event-/)] });
    const next = await service({ store });
    await next.pollNow();
    expect(doneFor(inst.id)).toBeTruthy();
  });

  it("refuses a bad configuration at start, naming the field and the fix", () => {
    expect(() => loadServeConfig({ listen: "nowhere" }, { VOLCENGINE_REGION: "cn-beijing" })).toThrow(/listen: listen must be host:port/);
    expect(() => loadServeConfig({}, {})).toThrow(/targets: targets is required|targets needs at least one/);
    expect(() => loadServeConfig({ region: "cn-beijing", pollInterval: "1s" }, {})).toThrow(/pollInterval must be a duration .*at least "5s"/);
    expect(() => loadServeConfig({ region: "cn-beijing" }, { PULUMI_RECOVERY_WEBHOOK_SECRET: "short" })).toThrow(/at least 16 characters/);
    expect(() => loadServeConfig({ cloud: "aws", region: "us-east-1" }, {})).toThrow(/--cloud: "aws" is not a cloud this controller works on; use volcengine, alicloud, openstack/);
    expect(() => loadServeConfig({ config: "/dev/null" }, {})).toThrow(/targets/);
  });

  it("the shipped deploy/serve.yaml is a valid configuration", () => {
    const cfg = loadServeConfig({ config: path.resolve(__dirname, "../../deploy/serve.yaml") }, {});
    expect(cfg.targets).toEqual([{ cloud: "volcengine", region: "cn-beijing" }, { cloud: "alicloud", region: "cn-hangzhou" }]);
    expect(cfg).toMatchObject({ listen: "0.0.0.0:9464", pollIntervalMs: 60_000, leaseSeconds: 30, drainSeconds: 30 });
  });
});
