// `pulumi-recovery watch --once --json` as a scheduled job runs it: the built CLI in a child process,
// the connection from VOLCENGINE_* env vars, JSON lines out, and the exit code telling the pipeline.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { envFor, type RunningEmulator } from "../../emulator";
import { useEmulator } from "../support/emulator";
import { protectedSpotInstance } from "../support/spot";

const root = path.resolve(__dirname, "../..");
// A frozen clock far from this machine's (in 2030), stepped per request: the controller must measure
// margins and deadlines on the cloud's clock (it reads the emulator's from PULUMI_RECOVERY_EMULATOR_URL),
// or every margin below would be years off.
const fixture = useEmulator({ clock: { frozen: true, stepPerRequestMs: 2_000, start: Date.UTC(2030, 0, 1) } });
let emu: RunningEmulator;

function watchOnce(): Promise<{ code: number; lines: any[] }> {
  const journal = path.join(mkdtempSync(path.join(tmpdir(), "watch-")), "journal.json");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "dist/cli/main.js"), "watch", "--once", "--json", "--cloud", "volcengine", "--journal", journal],
      { cwd: root, env: { ...process.env, ...envFor(emu), PULUMI_RECOVERY_POLL_MS: "20" }, timeout: 60_000 },
      (err, stdout) => resolve({ code: err ? Number((err as any).code) : 0, lines: stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) }),
    );
  });
}

const protectedInstance = async (name: string) => protectedSpotInstance(name, { zone: "c", imageId: "image-ubuntu2204-emu" });

beforeAll(() => {
  emu = fixture.emu;
});

describe("pulumi-recovery watch --once", () => {
  it("carries a recovery to its end, prints a JSON line per step and a summary, and exits 0", async () => {
    const inst = await protectedInstance("watched");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { code, lines } = await watchOnce();
    expect(code).toBe(0);
    expect(lines.filter((l) => l.kind === "step").map((l) => l.step)).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
    for (const l of lines.filter((x) => x.kind === "step")) {
      expect(l).toMatchObject({ instanceId: inst.id, ms: expect.any(Number), marginMs: expect.any(Number) });
      expect(l.marginMs).toBeGreaterThan(0);
      expect(l.marginMs).toBeLessThanOrEqual(300_000);
      expect(l.at.startsWith("2030-")).toBe(true);
    }
    expect(lines.at(-1)).toEqual({ kind: "summary", job: "spot-recovery", cloud: "volcengine", region: "cn-beijing", protectedInstances: 1, interruptions: 1, recoveries: 1, failed: 0 });
  });

  it("exits 1 when a recovery fails (the point cannot finish before the release, and there is no rolling point)", async () => {
    const inst = await protectedInstance("too-slow");
    await emu.admin.volcengine.settings({ snapshotSecondsPerGiB: 100, imageWhenInstanceReleased: "fails" });
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { code, lines } = await watchOnce();
    expect(code).toBe(1);
    expect(lines.find((l) => l.kind === "failed")?.message).toMatch(/no earlier recovery point.*is lost/);
    expect(lines.at(-1)).toEqual({ kind: "summary", job: "spot-recovery", cloud: "volcengine", region: "cn-beijing", protectedInstances: 1, interruptions: 1, recoveries: 1, failed: 1 });
  });
});
