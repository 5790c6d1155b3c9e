// Two `pulumi-recovery serve` replicas sharing a PostgreSQL journal: both receive the pushed event and
// both poll, and the interruption is still recovered once (one point, one replacement) by one of them.
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../../cli/serve";
import { spotInstanceProvider } from "../../provider";
import { useEmulator } from "../support/emulator";
import { usePostgres } from "../support/postgres";

const ctx = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000 } });
const pg = usePostgres("serve");
const SECRET = "s3cret-webhook-token-0123456789";
const running: RunningService[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function replica(owner: string, logs: any[]): Promise<RunningService> {
  const out = new PassThrough();
  out.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter(Boolean).forEach((l) => logs.push(JSON.parse(l))));
  process.env.PULUMI_RECOVERY_WEBHOOK_SECRET = SECRET;
  const s = await startService({ listen: "127.0.0.1:0", region: "cn-beijing", pollInterval: "10m", store: pg.url, owner, logFormat: "json" }, { logDestination: out });
  running.push(s);
  return s;
}

describe("serve replicas on PostgreSQL", () => {
  it("push to both and poll on both: one recovery, by one replica, and the password never in a log", async () => {
    const logsA: any[] = [];
    const logsB: any[] = [];
    const a = await replica("replica-a", logsA);
    const b = await replica("replica-b", logsB);
    const { inputs } = await spotInstanceProvider.check!({}, {
      zoneId: "cn-beijing-a",
      imageId: "image-ubuntu2204-emu",
      instanceTypeId: "ecs.g3il.large",
      subnetId: "subnet-emu-cn-beijing-a",
      securityGroupIds: ["sg-emu-default"],
      instanceName: "shared",
      recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
      __identity: "test/serve-pg/shared",
    });
    const inst = await spotInstanceProvider.create(inputs!);
    await ctx.emu.admin.volcengine.eventRule({ url: `${a.url}/webhooks/volcengine/${SECRET}` });
    await ctx.emu.admin.volcengine.eventRule({ url: `${b.url}/webhooks/volcengine/${SECRET}` });
    await ctx.emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    await Promise.all([a.pollNow(), b.pollNow()]);
    const done = () => [...logsA, ...logsB].filter((l) => l.kind === "done" && l.instanceId === inst.id);
    await expect.poll(() => done().length, { interval: 50, timeout: 90_000 }).toBe(1);
    await Promise.all([a.pollNow(), b.pollNow()]); // a later pass on either finds nothing left to do

    const state = await ctx.emu.admin.volcengine.state();
    const ours = (tags: any[], key: string) => tags.some((t: any) => t.Key === key && t.Value === inst.id);
    expect(state.instances.filter((i) => ours(i.Tags, "pulumi-recovery:origin"))).toHaveLength(1);
    expect(state.snapshotGroups.filter((g) => ours(g.Tags, "pulumi-recovery:source"))).toHaveLength(1);
    expect(done()).toHaveLength(1);
    expect([logsA, logsB].filter((l) => l.some((e) => e.kind === "noticed" && e.instanceId === inst.id))).toHaveLength(1); // journaled once
    const password = new URL(pg.url).password;
    if (password) expect(JSON.stringify([...logsA, ...logsB])).not.toContain(password);
  });
});
