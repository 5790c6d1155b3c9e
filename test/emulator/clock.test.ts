// The emulator's clock: the frozen mode deadline tests run on (time moves only when the test says so,
// or by a fixed step per cloud API request), its checks, and the admin routes that move it. Nothing
// here depends on how fast the machine is: every expectation is an exact emulated time or count.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { createClock, MAX_ADVANCE_MS } from "../../emulator/clock";
import { VolcengineClient } from "../../provider/volcengine/client";
import { findInstance, waitInstanceStatus } from "../../provider/volcengine/instances";

const START = Date.UTC(2030, 0, 1); // emulated time is its own: the signature check keeps using real time
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("createClock", () => {
  it("frozen: now() stands still until advanced, and a step moves it only per tick", async () => {
    const clock = createClock({ frozen: true, start: START, stepPerRequestMs: 250 });
    await new Promise((r) => setTimeout(r, 20)); // real time passes …
    expect(clock.now()).toBe(START); // … emulated time does not
    clock.tick();
    clock.tick();
    expect(clock.now()).toBe(START + 500);
    clock.advance(60_000);
    expect(clock.now()).toBe(START + 60_500);
    expect(clock.iso()).toBe("2030-01-01T00:01:00Z");
  });

  it("switching between frozen and scaled keeps time continuous; ticks do nothing while scaled", () => {
    // A crawling scale (a real hour is 3.6 emulated ms), so a busy machine cannot blur the assertions.
    const clock = createClock({ timeScale: 1e-6, start: START, stepPerRequestMs: 1000 });
    clock.tick();
    clock.frozen = true;
    const frozenAt = clock.now();
    expect(frozenAt).toBeLessThan(START + 1000); // the tick did not move a scaled clock by its step
    clock.advance(5000);
    clock.frozen = false;
    expect(clock.now()).toBeGreaterThanOrEqual(frozenAt + 5000); // resumes from where it stood, no jump back
  });

  it("refuses moves and scales that would break it", () => {
    const clock = createClock({ frozen: true, start: START });
    for (const ms of [1e300, -1, NaN, Infinity, MAX_ADVANCE_MS + 1]) expect(() => clock.advance(ms)).toThrow(RangeError);
    for (const scale of [0, -1, NaN, Infinity, 1e7]) expect(() => (clock.timeScale = scale)).toThrow(RangeError);
    expect(() => (clock.stepPerRequestMs = -5)).toThrow(RangeError);
    expect(() => createClock({ timeScale: 1e300 })).toThrow(RangeError);
    expect(clock.now()).toBe(START); // nothing refused moved it
    const late = createClock({ frozen: true, start: Date.UTC(9999, 0, 1) });
    expect(() => late.advance(MAX_ADVANCE_MS)).toThrow(/9999/);
  });
});

describe("frozen clock through the emulator", () => {
  let emu: RunningEmulator;
  const client = () =>
    new VolcengineClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey }, { retry: { maxAttempts: 1 } });
  const run = () =>
    client().ecs("RunInstances", {
      ZoneId: "cn-beijing-a",
      ImageId: "image-ubuntu2204-emu",
      InstanceTypeId: "ecs.g3il.large",
      InstanceName: "clock",
      SpotStrategy: "SpotAsPriceGo",
      NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
    });
  const saved = process.env.PULUMI_RECOVERY_POLL_MS;

  beforeAll(async () => {
    emu = await startEmulator({ clock: { frozen: true, start: START }, volcengine: { instanceCreateSeconds: 30 } });
    process.env.PULUMI_RECOVERY_POLL_MS = "1"; // the waiter polls as fast as it can: only emulated time matters
  });
  afterAll(async () => {
    process.env.PULUMI_RECOVERY_POLL_MS = saved;
    await emu?.close();
  });
  beforeEach(async () => {
    await emu.admin.reset(); // leaves the clock as it is
    await emu.admin.freezeClock({ stepPerRequestMs: 0 });
  });

  it("state does not move without steps, however many requests and however much real time", async () => {
    const before = (await emu.admin.clock()).now;
    const { InstanceIds } = await run();
    for (let i = 0; i < 5; i++) expect((await findInstance(client(), InstanceIds[0]))?.Status).toBe("CREATING");
    await new Promise((r) => setTimeout(r, 50));
    expect((await emu.admin.volcengine.state()).instances[0].Status).toBe("CREATING");
    expect((await emu.admin.clock()).now).toBe(before);
  });

  it("advancing past an instance's ready time flips its status, exactly at the boundary", async () => {
    const { InstanceIds } = await run();
    const status = async () => (await findInstance(client(), InstanceIds[0]))?.Status;
    await emu.admin.advanceClock(29);
    expect(await status()).toBe("CREATING");
    await emu.admin.advanceClock(1); // instanceCreateSeconds: 30
    expect(await status()).toBe("RUNNING");
  });

  it("stepPerRequestMs advances exactly one step per cloud API request, not per admin request", async () => {
    const t0 = Date.parse((await emu.admin.freezeClock({ stepPerRequestMs: 1500 })).now);
    const since = (await emu.admin.calls()).at(-1)?.seq ?? 0;
    for (let i = 0; i < 4; i++) await client().ecs("DescribeInstances");
    await emu.admin.volcengine.state(); // admin reads do not move it
    expect(Date.parse((await emu.admin.clock()).now)).toBe(t0 + 4 * 1500);
    expect((await emu.admin.calls({ since })).map((c) => c.at)).toEqual([1, 2, 3, 4].map((n) => iso(t0 + n * 1500)));
  });

  it("a polling waiter makes time pass deterministically: RUNNING after exactly createSeconds / step polls", async () => {
    await emu.admin.freezeClock({ stepPerRequestMs: 5000 });
    const { InstanceIds } = await run(); // ready 30 s after its own request's time
    const since = (await emu.admin.calls()).at(-1)!.seq;
    const inst = await waitInstanceStatus(client(), InstanceIds[0], "RUNNING", 60_000);
    expect(inst.Status).toBe("RUNNING");
    expect(await emu.admin.calls({ since, action: "DescribeInstances" })).toHaveLength(6);
  });

  it("the admin API refuses clock moves that would brick the emulator, and a refused move changes nothing", async () => {
    const before = await emu.admin.clock();
    await expect(emu.admin.clock({ advanceSeconds: 1e300 })).rejects.toThrow(/400 InvalidParameter clock.advanceSeconds must be a finite number from 0 to 315360000/);
    await expect(emu.admin.clock({ advanceSeconds: -1 })).rejects.toThrow(/400/);
    await expect(emu.admin.clock({ timeScale: 0 })).rejects.toThrow(/timeScale must be > 0/);
    await expect(emu.admin.clock({ timeScale: 1e7 })).rejects.toThrow(/timeScale must be a finite number from 0 to 1000000/);
    await expect(emu.admin.request("clock", "POST", { timeScale: "fast" })).rejects.toThrow(/clock.timeScale takes a number/);
    await expect(emu.admin.clock({ frozen: false, stepPerRequestMs: -1 })).rejects.toThrow(/stepPerRequestMs/);
    await expect(emu.admin.request("clock", "POST", { advance: 5 })).rejects.toThrow(/clock has no field advance/);
    expect(await emu.admin.clock()).toEqual(before);
    // Every route still answers.
    expect((await client().ecs("DescribeInstances")).Instances).toEqual([]);
    expect((await emu.admin.health()).ok).toBe(true);
  });
});
