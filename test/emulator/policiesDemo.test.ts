// `pulumi-recovery demo-policies --json` (the second half of `npm run demo`), as a user runs it: the built
// CLI in a child process, its own emulator on a stepped frozen clock (`--stepped`: an hour per pass, a
// second per request), so the story is the same on a busy machine. Its last line is the verdict.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

describe("the policies demo", () => {
  it("runs a day and more of policies: snapshots taken and expired oldest first, the schedule and the copies pruned to what they keep", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, "dist/cli/main.js"), "demo-policies", "--json", "--stepped", "--hours", "30"], { cwd: root, timeout: 120_000 });
    const summary = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ retentionOk: true, scheduledImagesKept: 2, scheduledImagesAvailable: 2, copiesKept: 2 });
    // 00/06/12/18 h on two volumes for 30 hours from 00:30: five time points, ten snapshots; the 06:00 pair expires a day later.
    expect(summary.autoSnapshotsTaken).toBe(10);
    expect(summary.autoSnapshotsExpired).toBe(2);
    expect(summary.scheduleId).toMatch(/^schedule-/);
  });
});
