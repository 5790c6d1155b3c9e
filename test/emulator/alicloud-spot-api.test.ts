// The emulator's Alibaba Cloud spot side through the official TypeScript SDK (@alicloud/ecs20140526), no
// provider code in between: RunInstances (Pending → Running, disks from an image of a whole instance),
// DescribeInstances (paging, tag filters, OperationLocks), a preemption (Recycling lock, release after the
// notice, CloudMonitor webhook, the metadata answer), CreateImage / DescribeImages (Available by default) /
// DeleteImage / DeleteSnapshot, and instance tags. The emulated clock is frozen: tests step it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Ecs, * as $Ecs from "@alicloud/ecs20140526";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { useEmulator } from "../support/emulator";

const REGION = "cn-hangzhou";
const IMAGE = "aliyun_3_x64_20G_alibase_20240819.vhd";
const fixture = useEmulator({ clock: { frozen: true } });
let emu: RunningEmulator;
let ecs: Ecs;

beforeAll(() => {
  emu = fixture.emu;
  ecs = new Ecs(new $OpenApiUtil.Config({ accessKeyId: emu.credentials.accessKeyId, accessKeySecret: emu.credentials.secretKey, regionId: REGION, endpoint: `127.0.0.1:${emu.port}`, protocol: "HTTP", readTimeout: 20_000, connectTimeout: 20_000 }));
});

const advance = (seconds: number) => emu.clock.advance(seconds * 1000);
const rejection = async (p: Promise<unknown>): Promise<any> => p.then(() => expect.unreachable("the call should have been rejected"), (e) => e);

async function run(extra: Partial<ConstructorParameters<typeof $Ecs.RunInstancesRequest>[0]> = {}): Promise<string> {
  const res = await ecs.runInstances(
    new $Ecs.RunInstancesRequest({
      regionId: REGION,
      imageId: IMAGE,
      instanceType: "ecs.g7.large",
      vSwitchId: "vsw-emu-cn-hangzhou-i",
      securityGroupIds: ["sg-emu-default"],
      spotStrategy: "SpotAsPriceGo",
      instanceName: "web",
      password: "Spot-Passw0rd!",
      systemDisk: new $Ecs.RunInstancesRequestSystemDisk({ category: "cloud_essd", size: 40 }),
      dataDisk: [new $Ecs.RunInstancesRequestDataDisk({ category: "cloud_essd", size: 100, deleteWithInstance: false })],
      tag: [new $Ecs.RunInstancesRequestTag({ key: "app", value: "web" })],
      ...extra,
    }),
  );
  return res.body!.instanceIdSets!.instanceIdSet![0];
}

async function describe1(id: string) {
  const res = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify([id]) }));
  return res.body!.instances!.instance![0];
}

describe("RunInstances and DescribeInstances", () => {
  it("launches Pending, then Running in the vSwitch's zone, with the spot settings, disks and tags asked for", async () => {
    const id = await run();
    expect((await describe1(id)).status).toBe("Pending");
    advance(30);
    const inst = await describe1(id);
    expect(inst).toMatchObject({ status: "Running", zoneId: "cn-hangzhou-i", instanceType: "ecs.g7.large", spotStrategy: "SpotAsPriceGo", spotInterruptionBehavior: "Terminate", vpcAttributes: { vSwitchId: "vsw-emu-cn-hangzhou-i" } });
    expect(inst.securityGroupIds!.securityGroupId).toEqual(["sg-emu-default"]);
    expect(inst.tags!.tag!.map((t) => [t.tagKey, t.tagValue])).toEqual([["app", "web"]]);
    expect(inst.operationLocks!.lockReason).toEqual([]);
    const disks = (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: id }))).body!.disks!.disk!;
    expect(disks.map((d) => [d.type, d.category, d.size, d.deleteWithInstance])).toEqual([
      ["system", "cloud_essd", 40, true],
      ["data", "cloud_essd", 100, false],
    ]);
  });

  it("pages with NextToken, filters by tag key alone, and answers the same ClientToken once", async () => {
    const token = "same-token-1";
    const first = await run({ clientToken: token, tag: [new $Ecs.RunInstancesRequestTag({ key: "fleet", value: "a" })] });
    expect(await run({ clientToken: token, tag: [new $Ecs.RunInstancesRequestTag({ key: "fleet", value: "a" })] })).toBe(first);
    for (let i = 0; i < 11; i++) await run({ tag: [new $Ecs.RunInstancesRequestTag({ key: "fleet", value: String(i) })] });
    const seen: string[] = [];
    let nextToken: string | undefined;
    let calls = 0;
    do {
      const res = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, tag: [new $Ecs.DescribeInstancesRequestTag({ key: "fleet" })], maxResults: 10, nextToken }));
      seen.push(...res.body!.instances!.instance!.map((i) => i.instanceId!));
      nextToken = res.body!.nextToken || undefined;
      calls++;
    } while (nextToken);
    expect(new Set(seen).size).toBe(12);
    expect(calls).toBe(2);
  });

  it("refuses what the API refuses: a vSwitch of another zone, no stock, a price limit below the spot price", async () => {
    expect((await rejection(run({ zoneId: "cn-hangzhou-h" }))).code).toBe("InvalidParameter.Mismatch");
    await emu.admin.alicloud.settings({ stockOut: [{ zoneId: "cn-hangzhou-i" }] });
    expect((await rejection(run())).code).toBe("OperationDenied.NoStock");
    await emu.admin.alicloud.settings({ stockOut: [] });
    expect((await rejection(run({ spotStrategy: "SpotWithPriceLimit", spotPriceLimit: 0.01 }))).code).toBe("OperationDenied.NoStock");
  });

  it("releases a Running instance only with Force; its DeleteWithInstance=false disk stays, Available", async () => {
    const id = await run();
    advance(30);
    expect((await rejection(ecs.deleteInstances(new $Ecs.DeleteInstancesRequest({ regionId: REGION, instanceId: [id] })))).code).toBe("IncorrectInstanceStatus");
    await ecs.deleteInstances(new $Ecs.DeleteInstancesRequest({ regionId: REGION, instanceId: [id], force: true }));
    expect((await describe1(id)).status).toBe("Stopping");
    advance(10);
    expect(await describe1(id)).toBeUndefined();
    const loose = (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, status: "Available" }))).body!.disks!.disk!;
    expect(loose.map((d) => [d.category, d.size, d.instanceId])).toEqual([["cloud_essd", 100, ""]]);
  });
});

describe("a preemptible interruption", () => {
  it("locks the instance (Recycling) for the notice, answers the metadata path, posts CloudMonitor's event, and releases it", async () => {
    const events: any[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        events.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      await emu.admin.alicloud.cloudMonitor({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
      const id = await run();
      advance(30);
      const meta = (headers: Record<string, string> = {}) => fetch(`${emu.url}/latest/meta-data/instance/spot/termination-time`, { headers: { "x-emulator-instance-id": id, ...headers } });
      expect((await meta()).status).toBe(404);
      const { releaseAt } = await emu.admin.alicloud.preemption({ instanceId: id });
      const inst = await describe1(id);
      expect(inst.status).toBe("Running");
      expect(inst.operationLocks!.lockReason).toEqual([expect.objectContaining({ lockReason: "Recycling" })]);
      const locked = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, lockReason: "Recycling" }));
      expect(locked.body!.instances!.instance!.map((i) => i.instanceId)).toEqual([id]);
      const answer = await meta();
      expect([answer.status, await answer.text()]).toEqual([200, releaseAt]);
      // Hardened mode: a token first.
      const token = await (await fetch(`${emu.url}/latest/api/token`, { method: "PUT", headers: { "x-emulator-instance-id": id, "X-aliyun-ecs-metadata-token-ttl-seconds": "60" } })).text();
      expect((await meta({ "X-aliyun-ecs-metadata-token": token })).status).toBe(200);
      expect((await meta({ "X-aliyun-ecs-metadata-token": "forged" })).status).toBe(401);
      await expect.poll(() => events.length).toBe(1);
      expect(events[0]).toMatchObject({ product: "ECS", name: "Instance:PreemptibleInstanceInterruption", level: "WARN", regionId: REGION, content: { instanceId: id, action: "delete" } });
      expect(events[0].resourceId).toMatch(new RegExp(`^acs:ecs:${REGION}:\\d+:instance/${id}$`));
      advance(299);
      expect(await describe1(id)).toBeDefined();
      advance(1);
      expect(await describe1(id)).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it("stops instead of releasing with SpotInterruptionBehavior Stop", async () => {
    const id = await run({ spotInterruptionBehavior: "Stop" });
    advance(30);
    await emu.admin.alicloud.preemption({ instanceId: id, noticeSeconds: 60 });
    advance(60);
    expect(await describe1(id)).toMatchObject({ status: "Stopped", operationLocks: { lockReason: [] } });
  });
});

describe("images of a whole instance", () => {
  it("snapshots every disk; DescribeImages lists it only when asked by status until it is Available; a relaunch restores every disk", async () => {
    const id = await run();
    advance(30);
    await emu.admin.alicloud.writeFile({ instanceId: id, path: "/etc/marker", content: "system" });
    await emu.admin.alicloud.writeFile({ instanceId: id, path: "/data/marker", content: "data", disk: 1 });
    const { imageId } = (await ecs.createImage(new $Ecs.CreateImageRequest({ regionId: REGION, instanceId: id, imageName: "point-1", tag: [new $Ecs.CreateImageRequestTag({ key: "k", value: "v" })] }))).body!;
    const listed = async (status?: string) => (await ecs.describeImages(new $Ecs.DescribeImagesRequest({ regionId: REGION, imageId, status }))).body!.images!.image!;
    expect(await listed()).toEqual([]);
    expect((await listed("Creating,Available"))[0]).toMatchObject({ status: "Creating", imageOwnerAlias: "self" });
    advance(20 + 140);
    const [img] = await listed();
    expect(img.status).toBe("Available");
    expect(img.diskDeviceMappings!.diskDeviceMapping!.map((d) => [d.device, d.type, d.size])).toEqual([
      ["/dev/xvda", "system", "40"],
      ["/dev/xvdb", "data", "100"],
    ]);
    const rep = await run({ imageId: imageId!, password: undefined, passwordInherit: true, dataDisk: [new $Ecs.RunInstancesRequestDataDisk({ device: "/dev/xvdb", category: "cloud_auto", size: 120 })] });
    advance(30);
    expect(await emu.admin.alicloud.files(rep, 0)).toEqual({ "/etc/marker": "system" });
    expect(await emu.admin.alicloud.files(rep, 1)).toEqual({ "/data/marker": "data" });
    const disks = (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION, instanceId: rep }))).body!.disks!.disk!;
    expect(disks.map((d) => [d.type, d.category, d.size])).toEqual([
      ["system", "cloud_essd", 40],
      ["data", "cloud_auto", 120],
    ]);
    // Its snapshots outlive the image, and go with DeleteSnapshot (Force: disks were made from them).
    const snaps = img.diskDeviceMappings!.diskDeviceMapping!.map((d) => d.snapshotId!);
    expect((await rejection(ecs.deleteSnapshot(new $Ecs.DeleteSnapshotRequest({ snapshotId: snaps[0] })))).code).toBe("SnapshotCreatedImage");
    expect((await rejection(ecs.deleteImage(new $Ecs.DeleteImageRequest({ regionId: REGION, imageId })))).code).toBe("ImageUsedByInstance");
    await ecs.deleteImage(new $Ecs.DeleteImageRequest({ regionId: REGION, imageId, force: true }));
    await ecs.deleteImage(new $Ecs.DeleteImageRequest({ regionId: REGION, imageId, force: true })); // an unknown image is ignored
    expect((await rejection(ecs.deleteSnapshot(new $Ecs.DeleteSnapshotRequest({ snapshotId: snaps[1] })))).code).toBe("SnapshotCreatedDisk");
    for (const s of snaps) await ecs.deleteSnapshot(new $Ecs.DeleteSnapshotRequest({ snapshotId: s, force: true }));
    expect((await emu.admin.alicloud.state()).imageSnapshots).toEqual([]);
  });
});

describe("instance tags", () => {
  it("adds, replaces and removes only the keys named, lists resources by tag key, and keeps within 20 tags", async () => {
    const id = await run();
    const tag = (key: string, value: string) => new $Ecs.TagResourcesRequestTag({ key, value });
    await ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id], tag: [tag("pulumi-recovery:policy", "on=image-and-relaunch keep=3"), tag("app", "web2")] }));
    await ecs.untagResources(new $Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id], tagKey: ["app"] }));
    const listed = await ecs.listTagResources(new $Ecs.ListTagResourcesRequest({ regionId: REGION, resourceType: "instance", tag: [new $Ecs.ListTagResourcesRequestTag({ key: "pulumi-recovery:policy" })] }));
    expect(listed.body!.tagResources!.tagResource!.map((t) => [t.resourceId, t.tagKey, t.tagValue])).toEqual([[id, "pulumi-recovery:policy", "on=image-and-relaunch keep=3"]]);
    const many = Array.from({ length: 20 }, (_, i) => tag(`k${i}`, "v"));
    expect((await rejection(ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: [id], tag: many })))).code).toBe("OperationDenied.QuotaExceed");
    expect((await rejection(ecs.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType: "instance", resourceId: ["i-nope"], tag: [tag("a", "b")] })))).code).toBe("InvalidResourceId.NotFound");
  });
});
