// `pulumi-recovery watch --once --json` as a scheduled job runs it: the built CLI in a child process,
// the connection from VOLCENGINE_* env vars, JSON lines out, and the exit code telling the pipeline.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { envFor, type RunningEmulator } from "../../emulator";
import { spotInstanceProvider } from "../../provider";
import { useEmulator } from "../support/emulator";

const root = path.resolve(__dirname, "../..");
// Real time (scale 1), so the controller's wall clock and the emulator's agree; fast state machines.
const fixture = useEmulator({ timeScale: 1, volcengine: { instanceCreateSeconds: 1, instanceDeleteSeconds: 1, imageSecondsPerGiB: 0.05 } });
let emu: RunningEmulator;

function watchOnce(): Promise<{ code: number; lines: any[] }> {
  const journal = path.join(mkdtempSync(path.join(tmpdir(), "watch-")), "journal.json");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "dist/cli/main.js"), "watch", "--once", "--json", "--journal", journal],
      { cwd: root, env: { ...process.env, ...envFor(emu), PULUMI_RECOVERY_POLL_MS: "20" }, timeout: 60_000 },
      (err, stdout) => resolve({ code: err ? Number((err as any).code) : 0, lines: stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) }),
    );
  });
}

async function protectedInstance(name: string) {
  const { inputs } = await spotInstanceProvider.check!({}, {
    zoneId: "cn-beijing-c",
    imageId: "image-ubuntu2204-emu",
    instanceTypeId: "ecs.g3il.large",
    subnetId: "subnet-emu-cn-beijing-c",
    securityGroupIds: ["sg-emu-default"],
    instanceName: name,
    recovery: { onInterruption: "image-and-relaunch", keepImages: 2 },
  });
  return spotInstanceProvider.create(inputs!);
}

beforeAll(() => {
  emu = fixture.emu;
});

describe("pulumi-recovery watch --once", () => {
  it("carries a recovery to its end, prints a JSON line per step and a summary, and exits 0", async () => {
    const inst = await protectedInstance("watched");
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 300 });
    const { code, lines } = await watchOnce();
    expect(code).toBe(0);
    expect(lines.filter((l) => l.kind === "step").map((l) => l.step)).toEqual(["image", "wait-image", "relaunch", "wait-running", "prune"]);
    for (const l of lines.filter((x) => x.kind === "step")) expect(l).toMatchObject({ instanceId: inst.id, ms: expect.any(Number), marginMs: expect.any(Number) });
    expect(lines.at(-1)).toEqual({ kind: "summary", protectedInstances: 1, interruptions: 1, recoveries: 1, failed: 0 });
  });

  it("exits 1 when a recovery fails (the image cannot finish before the release, and there is no rolling image)", async () => {
    const inst = await protectedInstance("too-slow");
    await emu.admin.volcengine.settings({ imageSecondsPerGiB: 100, imageWhenInstanceReleased: "fails" });
    await emu.admin.volcengine.spotInterruption({ instanceId: inst.id, noticeSeconds: 2 });
    const { code, lines } = await watchOnce();
    expect(code).toBe(1);
    expect(lines.find((l) => l.kind === "failed")?.message).toMatch(/no rolling recovery image.*is lost/);
    expect(lines.at(-1)).toEqual({ kind: "summary", protectedInstances: 1, interruptions: 1, recoveries: 1, failed: 1 });
  });
});
