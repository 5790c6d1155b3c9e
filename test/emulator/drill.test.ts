// `pulumi-recovery drill --json` (what `npm run demo` runs), as a user runs it: the built CLI in a child
// process, on a stepped frozen clock (`--stepped`: a second per request), so whether each deadline is
// met is decided by the requests made, not by how busy the machine is. Its last line is the verdict.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { CallRecord } from "../../emulator/service";
import { unknownParamReport } from "../support/emulator";
import { KNOWN_PROVIDER_MISSPELLINGS } from "../support/knownProviderMisspellings";

const root = path.resolve(__dirname, "../..");

describe("the drill", () => {
  it("recovers a spot instance on each cloud before the release with its data, rescues and rotates on OpenStack, and cleans up", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, "dist/cli/main.js"), "drill", "--json", "--stepped"], { cwd: root, timeout: 120_000 });
    const last = stdout.trim().split("\n").pop()!;
    const summary = JSON.parse(last);
    expect(summary).toMatchObject({ recovered: true, dataIntact: true, deadlineMet: true, emulatorEmptyAfterCleanup: true, pointSource: "final" });
    expect(summary.configKept).toEqual({ hostname: true, password: true, userData: true, dataVolume: true });
    expect(summary.recoveryPointId).toMatch(/^ssg-/);
    expect(summary.replacementInstanceId).toMatch(/^i-/);
    expect(summary.snapshotGroup).toMatchObject({ consistency: "application", snapshots: 2, cleanedUp: true });
    expect(summary.recoveryImageId).toMatch(/^image-/);
    // OpenStack: three daily backups of which Nova keeps two, a rescue with the server's own disk second, repaired and unrescued, a night suspended.
    expect(summary.openstack).toMatchObject({ backupsMade: 3, backupsKept: 2, rescued: true, secondDisk: true, repaired: true, suspendedAndResumed: true, cleanedUp: true });
    // Four emulated hours of an hourly ConsistentSnapshotPolicy keeping 2: two pruned, the oldest each time.
    expect(summary.snapshotPolicy).toMatchObject({ cycles: 4, groupsMade: 4, kept: 2, pruned: 2, autoSnapshots: 1, cleanedUp: true, ok: true });
    expect(Object.keys(summary.steps)).toEqual(["point", "wait-point", "relaunch", "wait-running", "prune"]);
    for (const step of Object.values<any>(summary.steps)) expect(step.marginMs).toBeGreaterThan(0);
    // Alibaba Cloud: a preemptible instance protected by a SpotRecoveryPolicy, recovered from an image of every disk.
    expect(summary.alicloud).toMatchObject({ recovered: true, dataIntact: true, deadlineMet: true, policyFollowed: true, cleanedUp: true });
    expect(summary.alicloud.configKept).toEqual({ zoneAndVSwitch: true, spot: true, disks: true, password: true, hostname: true });
    expect(summary.alicloud.recoveryPointId).toMatch(/^m-/);
    for (const step of Object.values<any>(summary.alicloud.steps)) expect(step.marginMs).toBeGreaterThan(0);
    // The drill starts its own emulator (no useEmulator here): its summary lists what the API models did not know.
    expect(unknownParamReport(summary.unknownParams as CallRecord[], KNOWN_PROVIDER_MISSPELLINGS)).toBe("");
  });
});
