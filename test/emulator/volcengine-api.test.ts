// The emulator's Volcengine ECS API through the real @volcengine/openapi SDK (via our one client):
// signatures, the envelope, documented error codes, ClientToken rules, pagination, event spellings.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { CloudError } from "../../provider/core/errors";
import { EcsClient } from "../../provider/volcengine/client";
import { findInterruptions } from "../../provider/volcengine/events";
import { listInstances } from "../../provider/volcengine/instances";
import { useEmulator } from "../support/emulator";

const fixture = useEmulator({ timeScale: 100 });
let emu: RunningEmulator;
const client = (secretKey = emu.credentials.secretKey, accessKeyId = emu.credentials.accessKeyId) =>
  new EcsClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId, secretKey }, { retry: { maxAttempts: 1 } });
const run = (extra: Record<string, unknown> = {}) => ({
  ZoneId: "cn-beijing-a",
  ImageId: "image-ubuntu2204-emu",
  InstanceTypeId: "ecs.g3il.large",
  InstanceName: "api",
  SpotStrategy: "SpotAsPriceGo",
  NetworkInterfaces: [{ SubnetId: "subnet-emu-cn-beijing-a", SecurityGroupIds: ["sg-emu-default"] }],
  ...extra,
});
const code = (p: Promise<unknown>) => p.then(() => "ok", (e: CloudError) => e.code);

beforeAll(() => {
  emu = fixture.emu;
});

describe("Volcengine ECS emulation", () => {
  it("rejects a wrong secret and an unknown key, as the gateway does", async () => {
    expect(await code(client("wrong-secret").call("DescribeInstances"))).toBe("SignatureDoesNotMatch");
    expect(await code(client(undefined, "nobody").call("DescribeInstances"))).toBe("InvalidAccessKey");
    expect(await code(client().call("NoSuchAction"))).toBe("InvalidActionOrVersion");
  });

  it("validates RunInstances as documented", async () => {
    const c = client();
    expect(await code(c.call("RunInstances", run({ ImageId: undefined })))).toBe("MissingParameter");
    expect(await code(c.call("RunInstances", run({ SpotPriceLimit: 0.5 })))).toBe("InvalidParameter");
    expect(await code(c.call("RunInstances", run({ SpotStrategy: "SpotWithPriceLimit", SpotPriceLimit: 0.01 })))).toBe("InsufficientInstanceStock");
    expect(await code(c.call("RunInstances", run({ ClientToken: "x".repeat(65) })))).toBe("InvalidClientToken.Malformed");
    expect(await code(c.call("RunInstances", run({ DryRun: true })))).toBe("DryRunOperation");
    expect(await code(c.call("RunInstances", run({ ZoneId: "cn-beijing-b" })))).toBe("InvalidParameter"); // subnet in another zone
    expect((await emu.admin.volcengine.state()).instances).toEqual([]);
  });

  it("answers a repeated ClientToken with the first result, and a changed request with IdempotentParameterMismatch", async () => {
    const c = client();
    const a = await c.call("RunInstances", run({ ClientToken: "tok-1" }));
    const b = await c.call("RunInstances", run({ ClientToken: "tok-1" }));
    expect(b).toEqual(a);
    expect(await code(c.call("RunInstances", run({ ClientToken: "tok-1", InstanceName: "other" })))).toBe("IdempotentParameterMismatch");
    expect((await emu.admin.volcengine.state()).instances).toHaveLength(1);
  });

  it("pages DescribeInstances and filters by tag; an unknown id is an empty list", async () => {
    const c = client();
    await c.call("RunInstances", run({ Count: 30, ClientToken: "many", Tags: [{ Key: "team", Value: "a" }] }));
    await c.call("RunInstances", run({ Count: 5, ClientToken: "few" }));
    const first = await c.call("DescribeInstances", { MaxResults: 20 });
    expect(first.Instances).toHaveLength(20);
    expect(first.NextToken).toBeTruthy();
    expect(await listInstances(c, { tagKey: "team", tagValues: ["a"] })).toHaveLength(30);
    expect(await listInstances(c, {})).toHaveLength(35);
    expect((await c.call("DescribeInstances", { InstanceIds: ["i-doesnotexist"] })).Instances).toEqual([]);
  });

  it("reports spot interruptions under either spelling of the event type", async () => {
    const c = client();
    const { InstanceIds } = await c.call("RunInstances", run({ Count: 2, ClientToken: "two" }));
    await emu.admin.volcengine.spotInterruption({ instanceId: InstanceIds[0] });
    await emu.admin.volcengine.settings({ spotEventType: "SpotInstanceInterruption.Delete" });
    await emu.admin.volcengine.spotInterruption({ instanceId: InstanceIds[1] });
    const found = await findInterruptions(c, InstanceIds);
    expect(found.map((i) => i.instanceId).sort()).toEqual([...InstanceIds].sort());
    const types = (await c.call("DescribeSystemEvents", { ResourceIds: InstanceIds })).SystemEvents.map((e: any) => e.Type).sort();
    expect(types).toEqual(["SpotInstanceInterruption.Delete", "SpotInstanceInterruption_Delete"]);
  });

  it("a dropped connection on a read is retried by the retry policy", async () => {
    const retrying = new EcsClient({ region: "cn-beijing", endpoint: emu.url, accessKeyId: emu.credentials.accessKeyId, secretKey: emu.credentials.secretKey }, { retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    await emu.admin.addFault({ cloud: "volcengine", action: "DescribeInstances", kind: "drop", count: 1 });
    expect((await retrying.call("DescribeInstances")).Instances).toEqual([]);
    expect((await emu.admin.calls({ action: "DescribeInstances" })).map((c) => c.fault ?? "answered")).toEqual(["drop", "answered"]);
    // A write without a ClientToken is not retried: the error surfaces instead of a possible duplicate.
    await emu.admin.addFault({ cloud: "volcengine", action: "RunInstances", kind: "drop", count: 1 });
    await expect(retrying.call("RunInstances", run())).rejects.toThrow(/RunInstances failed/);
    expect(await emu.admin.calls({ action: "RunInstances" })).toHaveLength(1);
  });
});
