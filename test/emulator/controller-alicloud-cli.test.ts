// `pulumi-recovery watch` and `serve` on Alibaba Cloud, and both clouds in one service: the built CLI (watch)
// and the service in process (serve) against the emulator, on a frozen clock stepped per request. The
// CloudMonitor webhook is POSTed by the emulator in the notification's body shape.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { notificationTime, startService, type RunningService } from "../../cli/serve";
import { loadServeConfig } from "../../cli/serveConfig";
import { parseClouds } from "../../cli/clouds";
import { envFor } from "../../emulator";
import { spotInstanceProvider } from "../../provider";
import { AlicloudClient } from "../../provider/alicloud/client";
import { syncTags } from "../../provider/alicloud/tags";
import { alicloudConnection } from "../../provider/config";
import { TAGS } from "../../provider/recovery/policy";
import { useEmulator } from "../support/emulator";

const root = path.resolve(__dirname, "../..");
const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000, start: Date.UTC(2030, 0, 1) } });
const SECRET = "s3cret-webhook-token-0123456789";
const ali = () => AlicloudClient.for(alicloudConnection(undefined));

async function aliProtected(name: string): Promise<string> {
  const res = await ali().call<{ InstanceIdSets: { InstanceIdSet: string[] } }>("ecs", "RunInstances", {
    ImageId: "aliyun_3_x64_20G_alibase_20240819.vhd",
    InstanceType: "ecs.g7.large",
    VSwitchId: "vsw-emu-cn-hangzhou-h",
    SecurityGroupIds: ["sg-emu-default"],
    InstanceName: name,
    KeyPairName: "ops",
    SpotStrategy: "SpotAsPriceGo",
    "SystemDisk.Category": "cloud_essd",
    "DataDisk.1.Category": "cloud_essd",
    "DataDisk.1.Size": 40,
  });
  const id = res.InstanceIdSets.InstanceIdSet[0];
  ctx.emu.clock.advance(30_000);
  await syncTags(ali(), "instance", id, {}, { [TAGS.policy]: "on=image-and-relaunch keep=2" });
  return id;
}

async function volcProtected(name: string) {
  const { inputs } = await spotInstanceProvider.check!({}, { zoneId: "cn-beijing-c", imageId: "image-ubuntu2204-emu", instanceTypeId: "ecs.g3il.large", subnetId: "subnet-emu-cn-beijing-c", securityGroupIds: ["sg-emu-default"], instanceName: name, recovery: { onInterruption: "image-and-relaunch", keepImages: 2 }, __identity: `test/cli/${name}` });
  return spotInstanceProvider.create(inputs!);
}

function watchOnce(args: string[]): Promise<{ code: number; lines: any[]; stderr: string }> {
  const journal = path.join(mkdtempSync(path.join(tmpdir(), "watch-")), "journal.json");
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "dist/cli/main.js"), "watch", "--once", "--json", "--journal", journal, ...args], { cwd: root, env: { ...process.env, ...envFor(ctx.emu), PULUMI_RECOVERY_POLL_MS: "20" }, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as any).code) : 0, lines: stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)), stderr }),
    );
  });
}

describe("pulumi-recovery watch on Alibaba Cloud", () => {
  it("--cloud alicloud recovers a preempted instance with the same JSON lines as on Volcengine", async () => {
    const id = await aliProtected("watched");
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    const { code, lines, stderr } = await watchOnce(["--cloud", "alicloud"]);
    expect(code, stderr).toBe(0);
    expect(lines.filter((l) => l.kind === "step").map((l) => l.step)).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
    for (const l of lines.filter((x) => x.kind === "step")) expect(l).toMatchObject({ instanceId: id, ms: expect.any(Number), marginMs: expect.any(Number), at: expect.stringMatching(/^2030-/) });
    expect(lines.find((l) => l.kind === "summary" && l.job === "spot-recovery")).toEqual({ kind: "summary", job: "spot-recovery", cloud: "alicloud", region: "cn-hangzhou", protectedInstances: 1, interruptions: 1, recoveries: 1, failed: 0 });
    const rep = (await ctx.emu.admin.alicloud.state()).instances.find((i) => i.tags.some((t: any) => t.Key === TAGS.origin && t.Value === id));
    expect(rep).toMatchObject({ KeyPairName: "ops", credential: "keypair" });
  });

  it("both clouds in one pass by default (their credentials are configured): each line names its cloud", async () => {
    const aliId = await aliProtected("ali");
    const volc = await volcProtected("volc");
    await ctx.emu.admin.alicloud.preemption({ instanceId: aliId });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: volc.id, noticeSeconds: 300 });
    const { code, lines, stderr } = await watchOnce([]);
    expect(code, stderr).toBe(0);
    const done = lines.filter((l) => l.kind === "done").map((l) => [l.cloud, l.instanceId]);
    expect(done.sort()).toEqual([["alicloud", aliId], ["volcengine", volc.id]].sort());
    // A summary per job: spot recovery on each cloud, Alibaba's snapshot policies (none here); OpenStack only when named.
    const summaries = lines.filter((l) => l.kind === "summary").map(({ job, cloud, protectedInstances, recoveries, failed }) => ({ job, cloud, protectedInstances, recoveries, failed }));
    expect(summaries).toEqual([
      { job: "spot-recovery", cloud: "volcengine", protectedInstances: 1, recoveries: 1, failed: 0 },
      { job: "spot-recovery", cloud: "alicloud", protectedInstances: 1, recoveries: 1, failed: 0 },
      { job: "snapshot-policies", cloud: "alicloud", protectedInstances: undefined, recoveries: undefined, failed: 0 },
    ]);
  });

  it("refuses flags it cannot apply, naming the fix", async () => {
    expect(() => parseClouds("aws")).toThrow(/"aws" is not a cloud .* volcengine, alicloud/);
    const { code, stderr } = await watchOnce(["--cloud", "volcengine,alicloud", "--region", "cn-beijing"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--region and --endpoint apply to one cloud/);
  });
});

describe("pulumi-recovery serve with Alibaba Cloud", () => {
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
    svc = await startService({ listen: "127.0.0.1:0", cloud: "alicloud:cn-hangzhou,volcengine:cn-beijing", pollInterval: "10m", store: path.join(mkdtempSync(path.join(tmpdir(), "serve-")), "journal.json"), logFormat: "json", ...extra }, { logDestination: out });
    await expect.poll(() => logs.some((l) => /serving at/.test(l.msg ?? "")), { interval: 20, timeout: 30_000 }).toBe(true);
    return svc;
  }

  it("a CloudMonitor event pushed to /webhooks/alicloud/<secret> starts the recovery at once, with the event's time as the notice", async () => {
    const s = await service();
    const id = await aliProtected("pushed");
    await ctx.emu.admin.alicloud.cloudMonitor({ url: `${s.url}/webhooks/alicloud/${SECRET}` });
    await s.pollNow(); // the only poll before the interruption (the interval is 10 minutes)
    const { lockedAt } = await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    await expect.poll(() => logs.find((l) => l.kind === "done" && l.instanceId === id), { interval: 50, timeout: 60_000 }).toBeTruthy();
    expect(logs.find((l) => l.kind === "noticed" && l.instanceId === id)).toMatchObject({ cloud: "alicloud", region: "cn-hangzhou", source: "push" });
    expect((await ctx.emu.admin.alicloud.cloudMonitorDeliveries()).deliveries).toEqual([expect.objectContaining({ outcome: "delivered", status: 202 })]);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('pulumi_recovery_interruptions_total{cloud="alicloud",region="cn-hangzhou",source="push"} 1');
    expect(text).toContain('pulumi_recovery_recoveries_total{cloud="alicloud",region="cn-hangzhou",outcome="done"} 1');
    // The release is the event's time + 5 minutes, not when the service heard of it nor the earlier poll's bound.
    const noticed = logs.find((l) => l.kind === "noticed" && l.instanceId === id);
    expect(new Date(Date.parse(noticed.at) + noticed.marginMs).toISOString()).toBe(new Date(Date.parse(lockedAt) + 300_000).toISOString());
  });

  it("refuses an Alibaba webhook without the secret, ignores other events, and catches a lost push with the poll", async () => {
    const s = await service();
    const body = JSON.stringify({ product: "ECS", name: "Instance:PreemptibleInstanceInterruption", regionId: "cn-hangzhou", content: { instanceId: "i-x", action: "delete" } });
    expect((await fetch(`${s.url}/webhooks/alicloud`, { method: "POST", body })).status).toBe(401);
    expect((await fetch(`${s.url}/webhooks/alicloud/wrong`, { method: "POST", body })).status).toBe(401);
    const other = await fetch(`${s.url}/webhooks/alicloud/${SECRET}`, { method: "POST", body: JSON.stringify({ name: "Instance:SystemMaintenance.Reboot:Scheduled", regionId: "cn-hangzhou", content: { instanceId: "i-x" } }) });
    expect(await other.json()).toMatchObject({ ignored: true });
    const id = await aliProtected("lost");
    await ctx.emu.admin.alicloud.cloudMonitor({ url: `${s.url}/webhooks/alicloud/${SECRET}`, lossRate: 1 });
    await ctx.emu.admin.alicloud.preemption({ instanceId: id });
    await s.pollNow();
    expect(logs.find((l) => l.kind === "done" && l.instanceId === id)).toBeTruthy();
    expect(logs.find((l) => l.kind === "noticed" && l.instanceId === id).source).toBe("poll");
    expect(logs.every((l) => !JSON.stringify(l).includes(SECRET) && !JSON.stringify(l).includes(ctx.emu.credentials.secretKey))).toBe(true);
  });

  it("reads its targets from --cloud or the environment, and the notification's time format", () => {
    expect(loadServeConfig({ cloud: "alicloud" }, { ALIBABA_CLOUD_REGION: "cn-hangzhou" }).targets).toEqual([{ cloud: "alicloud", region: "cn-hangzhou" }]);
    expect(loadServeConfig({}, { ALIBABA_CLOUD_REGION: "cn-hangzhou", VOLCENGINE_REGION: "cn-beijing" }).targets.map((t) => t.cloud)).toEqual(["volcengine", "alicloud"]);
    expect(() => loadServeConfig({ cloud: "alicloud,volcengine", region: "cn-hangzhou" }, {})).toThrow(/apply to one cloud/);
    expect(notificationTime("20190409T121826.922+0800")).toBe("2019-04-09T04:18:26.922Z");
    expect(notificationTime("yesterday")).toBeUndefined();
  });
});
