// A second, independent official client: the Alibaba Cloud Python SDK (alibabacloud_ecs20140526 over
// alibabacloud_tea_openapi — its own ACS3 and RPC v2 signers, flattening and models) drives every ECS and
// Cloud Assistant action the emulator serves (tools/python/conformance/alicloud_sdk.py), each raw body
// walked against the SDK's model classes. RAM has no Python SDK installed: the script makes its role
// through the same core's generic call_api, and the Node suites check RAM's shapes.
import { describe, expect, it } from "vitest";
import { COMMAND_ACTIONS } from "../../emulator/alicloud/assistant/commands";
import { ASSISTANT_ACTIONS } from "../../emulator/alicloud/assistant/responses";
import { AUTO_SNAPSHOT_ACTIONS } from "../../emulator/alicloud/ecs/autoSnapshotPolicies";
import { LAUNCH_ACTIONS } from "../../emulator/alicloud/ecs/launchResponses";
import { ECS_ACTIONS } from "../../emulator/alicloud/ecs/responses";
import { TAG_ACTIONS } from "../../emulator/alicloud/ecs/tags";
import { useEmulator } from "../support/emulator";
import { runPythonDriver } from "./python";

const ctx = useEmulator({ timeScale: 1e-6 });

describe("the Alibaba Cloud Python SDK against the emulator", () => {
  it("has a strict check that finds unknown fields and wrong types (its self-test)", async () => {
    const { code, result } = await runPythonDriver("alicloud_sdk.py", ctx.emu, ["--self-test"]);
    expect(code).toBe(0);
    expect(result.clean).toEqual([]);
    expect(result.found).toEqual([
      "body.Foo: is not in DescribeInstancesResponseBody",
      'body.TotalCount: is str "2", the model says int',
      "body.Instances.Instance[0].InstanceId: is int 5, the model says str",
      "body.Instances.Instance[0].Tags.Tag[0].Bar: is not in DescribeInstancesResponseBodyInstancesInstanceTagsTag",
    ]);
  });

  it("signs ACS3 and RPC v2 requests the emulator accepts, and gets every served ECS action's body in its models' shape", async () => {
    const { code, result, stderr } = await runPythonDriver("alicloud_sdk.py", ctx.emu);
    expect(result.fatal, stderr).toBeUndefined();
    expect(code).toBe(0);
    expect(result.calls.filter((c: any) => !c.ok)).toEqual([]);
    expect([...new Set(result.calls.map((c: any) => c.action.replace(/ \(.*\)$/, "")))].sort()).toEqual(Object.keys({ ...ECS_ACTIONS, ...LAUNCH_ACTIONS, ...ASSISTANT_ACTIONS, ...COMMAND_ACTIONS, ...AUTO_SNAPSHOT_ACTIONS, ...TAG_ACTIONS }).sort());
    expect(result.instances).toEqual(["i-emu-db-linux"]);
    // The plugin ran through RunCommand and its group is listed with the one made directly.
    expect(result.calls.find((c: any) => c.action === "DescribeInvocationResults")).toMatchObject({ status: "Success", exitCode: 0 });
    expect(result.calls.find((c: any) => c.action === "DescribeSnapshotGroups").groups).toContain(result.plugin.groupId);
    expect(result.refused).toEqual({ code: "MissingParameter", status: 400 });
    expect(result.v2).toEqual({ ok: true, total: 2 });
    // A rate(5m) after 11 minutes: two runs, newest first; the schedule, tags and mode as the SDK reads them.
    expect(result.calls.find((c: any) => c.action === "DescribeInvocationResults (IncludeHistory)").repeats).toEqual([2, 1]);
    expect(result.calls.find((c: any) => c.action === "DescribeInvocations (periodic)").periodic).toEqual({ repeatMode: "Period", frequency: "0 0 2 * * ? Asia/Shanghai", timed: true, tags: 0 });
    // 00:00 and 12:00 UTC+8 within 13 hours: one snapshot per disk for one of them, at least.
    expect(result.auto).toMatchObject({ timePoints: '["0","12"]', retentionDays: 5, diskNums: 2, status: "Normal" });
    expect(result.auto.snapshots).toBeGreaterThanOrEqual(2);
    // Spot recovery's actions: a preemptible instance locked for recycling, an image of every disk (not listed
    // by default while Creating), a relaunch from it, tags, a saved command run on the replacement.
    expect(result.spot).toMatchObject({ listedByDefaultWhileCreating: 0, image: { status: "Available", disks: [["system", "40"], ["data", "50"]] }, hook: "Success" });
    expect(result.spot.tagged).toHaveLength(1);
    expect(result.spot.locked).toEqual([[result.spot.tagged[0], ["Recycling"]]]);

    const calls = await ctx.emu.admin.calls({ cloud: "alicloud" });
    expect(calls.filter((c) => c.code && /Signature|AccessKey|TimeStamp|Nonce/.test(c.code))).toEqual([]);
    expect(calls.filter((c) => c.status !== 200).map((c) => [c.action, c.code])).toEqual([["DescribeSnapshotGroups", "MissingParameter"]]);
  });
});
