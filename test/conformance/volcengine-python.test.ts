// A second, independent official client: the Volcengine Python SDK (volcenginesdkecs.ECSApi, its own
// request building, its own signer — which signs content-type, host and the X-Sdk-* headers the Node SDK
// does not send — and its typed response models) drives every action the emulator serves
// (tools/python/conformance/volcengine_sdk.py). Each Result must deserialise into the SDK's model and
// match its classes field by field; a refused request must reach the SDK as its ApiException.
import { describe, expect, it } from "vitest";
import { EBS_ACTIONS } from "../../emulator/volcengine/ebs";
import { ECS_ACTIONS } from "../../emulator/volcengine/ecs";
import { useEmulator } from "../support/emulator";
import { runPythonDriver } from "./python";

const ctx = useEmulator({ clock: { frozen: true } });
const ACTIONS = { ...ECS_ACTIONS, ...EBS_ACTIONS };

describe("the Volcengine Python SDK against the emulator", () => {
  it("has a strict check that finds unknown fields and wrong types (its self-test)", async () => {
    const { code, result } = await runPythonDriver("volcengine_sdk.py", ctx.emu, ["--self-test"]);
    expect(code).toBe(0);
    expect(result.clean).toEqual([]);
    expect(result.found).toEqual([
      "Result.Instances[0].InstanceId: is int 5, the model says str",
      "Result.Instances[0].Volumes[0].Size: is not in VolumeForDescribeInstancesOutput",
      'Result.TotalCount: is str "1", the model says int',
      "Result.Extra: is not in DescribeInstancesResponse",
      "Result.SystemEvents[0].ExtraInfo: is str, the model says dict(str, str)",
    ]);
  });

  it("signs requests the emulator accepts, and gets every served action's Result in its models' shape", async () => {
    const { code, result, stderr } = await runPythonDriver("volcengine_sdk.py", ctx.emu);
    expect(result.fatal, stderr).toBeUndefined();
    expect(code).toBe(0);
    expect(result.sdk).toMatchObject({ "volcenginesdk-ecs": expect.any(String), "volcenginesdk-core": expect.any(String) });
    const failures = result.calls.filter((c: any) => !c.ok);
    expect(failures).toEqual([]);
    expect([...new Set(result.calls.map((c: any) => c.action.replace(/ \(.*\)$/, "")))].sort()).toEqual(Object.keys(ACTIONS).sort());
    expect(result.calls.find((c: any) => c.action === "DescribeInstances").status).toBe("RUNNING");
    expect(result.calls.find((c: any) => c.action === "DescribeSystemEvents").types).toEqual(["SpotInstanceInterruption_Delete"]);
    // The policy the SDK created fired on both volumes (daily at 01:00 and 13:00 for two days) and counts them.
    expect(result.calls.find((c: any) => c.action === "DescribeAutoSnapshotPolicy").volumeNums).toBe(2);
    expect(result.calls.find((c: any) => c.action === "DescribeSnapshots (after the policy fired)").autoSnapshots).toBeGreaterThanOrEqual(4);
    // A value the model types as an integer, sent as a word: refused as the cloud does, seen as ApiException.
    expect(result.refusedWrongType).toEqual({ status: 400, code: "InvalidParameter" });

    // The emulator's side: every call signed as the gateway wants it (no 401s), keyed by its scope's service.
    const calls = await ctx.emu.admin.calls({ cloud: "volcengine" });
    expect(calls.filter((c) => c.status === 401)).toEqual([]);
    expect(new Set(calls.map((c) => c.service))).toEqual(new Set(["ecs", "storage_ebs"]));
    // By service too: ecs and storage_ebs each have a CreateTags and a DeleteTags.
    const served = [...Object.keys(ECS_ACTIONS).map((a) => `ecs:${a}`), ...Object.keys(EBS_ACTIONS).map((a) => `storage_ebs:${a}`)];
    expect([...new Set(calls.filter((c) => c.status === 200).map((c) => `${c.service}:${c.action}`))].sort()).toEqual(served.sort());
    expect(calls.filter((c) => c.status !== 200).map((c) => [c.service, c.action, c.code])).toEqual([["ecs", "DescribeInstances", "InvalidParameter"]]);
  });
});
