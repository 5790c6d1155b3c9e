// Admin routes of spot recovery on the Alibaba Cloud service, reached as /_admin/alicloud/<route>:
//   POST preemption           {instanceId, noticeSeconds?}: the instance is locked (OperationLocks Recycling),
//                             released at the end of the notice (default the preemptionNoticeSeconds
//                             setting), and CloudMonitor posts the event to every registered webhook
//   POST release              {instanceId}: released now (the spot market, or by hand behind Pulumi's back)
//   GET  disk                 ?instanceId&disk (0 the system disk, 1.. data disks): what is written on it
//   POST disk                 {instanceId, path, content, disk?}: write a file on one of its disks
//   GET  image-disk           ?imageId&disk: what a disk of an image holds
//   POST change-rate          {instanceId, changeGiBPerHour}: how fast its disks change (incremental images)
//   GET/POST cloud-monitor    the webhooks {url, delayMs?, lossRate?} and their deliveries
//   POST security-groups      {securityGroupId}
//   POST instance-metadata    {instanceId, httpTokens: "optional" | "required"}
// Every body is checked (400 InvalidParameter) before it reaches a model.
import { BadInput, is, TEN_YEARS_SECONDS } from "../settings";
import type { EmulatorResponse } from "../service";
import { interrupt } from "./ecs/preemption";
import type { AlicloudModel } from "./models";

const id = is.string({ nonEmpty: true });
const BODIES = {
  preemption: is.shape<{ instanceId: string; noticeSeconds?: number }>({ instanceId: id, noticeSeconds: is.number({ max: TEN_YEARS_SECONDS }) }, ["noticeSeconds"]),
  instance: is.shape({ instanceId: id }),
  disk: is.shape<{ instanceId: string; path?: string; content?: string; disk?: number }>({ instanceId: id, path: id, content: is.string(), disk: is.number({ integer: true, max: 16 }) }, ["path", "content", "disk"]),
  imageDisk: is.shape<{ imageId: string; disk?: number }>({ imageId: id, disk: is.number({ integer: true, max: 16 }) }, ["disk"]),
  changeRate: is.shape<{ instanceId: string; changeGiBPerHour: number }>({ instanceId: id, changeGiBPerHour: is.number({ max: 1_000_000 }) }),
  rule: is.shape<{ url: string; delayMs?: number; lossRate?: number }>({ url: is.string({ nonEmpty: true }), delayMs: is.number({ integer: true, max: 600_000 }), lossRate: is.number({ max: 1 }) }, ["delayMs", "lossRate"]),
  securityGroup: is.shape({ securityGroupId: id }),
  metadata: is.shape<{ instanceId: string; httpTokens: "optional" | "required" }>({ instanceId: id, httpTokens: is.oneOf("optional", "required") }),
};

/** A GET carries its numbers in the query string. */
const numbers = (raw: any, keys: string[]) => (raw && typeof raw === "object" ? { ...raw, ...Object.fromEntries(keys.filter((k) => typeof raw[k] === "string").map((k) => [k, Number(raw[k])])) } : raw);

export function spotAdminRoute(m: AlicloudModel, subpath: string, method: string, raw: unknown): EmulatorResponse | undefined {
  const ok = (b: unknown): EmulatorResponse => ({ status: 200, body: b });
  const body = <T>(check: (v: unknown, name: string) => T, value = raw) => check(value, `${method} ${subpath}`);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  switch (`${method} ${subpath}`) {
    case "POST preemption": {
      const { instanceId, noticeSeconds = m.opts.preemptionNoticeSeconds } = body(BODIES.preemption);
      const intr = interrupt(m.clock, m.ecs, instanceId, noticeSeconds);
      m.monitor.emitPreemption({ instanceId, regionId: intr.regionId, at: intr.lockedAt });
      return ok({ instanceId, lockReason: "Recycling", lockedAt: iso(intr.lockedAt), releaseAt: iso(intr.releaseAt) });
    }
    case "POST release": {
      const { instanceId } = body(BODIES.instance);
      m.lifecycle.release(m.ecs.instance(instanceId));
      return ok({ released: instanceId });
    }
    case "GET disk":
    case "POST disk": {
      const req = body(BODIES.disk, numbers(raw, ["disk"]));
      const disk = m.ecs.instance(req.instanceId).disks[req.disk ?? 0];
      if (!disk) throw new BadInput(`${req.instanceId} has no disk ${req.disk}.`);
      if (method === "POST") {
        if (req.path === undefined) throw new BadInput("POST disk needs path.");
        disk.data[req.path] = req.content ?? "";
      }
      return ok({ instanceId: req.instanceId, diskId: disk.DiskId, device: disk.Device, data: { ...disk.data } });
    }
    case "GET image-disk": {
      const req = body(BODIES.imageDisk, numbers(raw, ["disk"]));
      const img = m.images.images.get(req.imageId);
      const snap = img?.snapshots[req.disk ?? 0];
      if (!snap) throw new BadInput(`No image ${req.imageId} with a disk ${req.disk ?? 0}.`);
      return ok({ imageId: req.imageId, device: snap.Device, data: { ...snap.data } });
    }
    case "POST change-rate": {
      const { instanceId, changeGiBPerHour } = body(BODIES.changeRate);
      for (const d of m.ecs.instance(instanceId).disks) d.changeGiBPerHour = changeGiBPerHour;
      return ok({ instanceId, changeGiBPerHour });
    }
    case "GET cloud-monitor":
      return ok({ rules: m.monitor.rules, deliveries: m.monitor.deliveries });
    case "POST cloud-monitor": {
      const r = body(BODIES.rule);
      if (!/^https?:\/\//.test(r.url)) throw new BadInput("url must be an http(s) URL.");
      return ok(m.monitor.add({ url: r.url, delayMs: r.delayMs ?? 0, lossRate: r.lossRate ?? 0 }));
    }
    case "POST security-groups": {
      const { securityGroupId } = body(BODIES.securityGroup);
      m.lifecycle.securityGroups.add(securityGroupId);
      return ok({ securityGroupId });
    }
    case "POST instance-metadata": {
      const { instanceId, httpTokens } = body(BODIES.metadata);
      m.ecs.instance(instanceId).HttpTokens = httpTokens;
      return ok({ instanceId, httpTokens });
    }
    default:
      return undefined;
  }
}

/** What the state route shows of spot recovery: instances' launch settings and locks, images, loose disks. */
export function spotState(m: AlicloudModel) {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    images: m.images.custom(m.opts.region).map((i) => ({
      ImageId: i.ImageId,
      ImageName: i.ImageName,
      Status: m.images.status(i),
      SourceInstanceId: i.sourceInstanceId,
      credential: i.credential,
      CreationTime: iso(i.createdAt),
      tags: i.tags.map((t) => ({ ...t })),
      snapshots: i.snapshots.map(({ data, ...s }) => s),
    })),
    imageSnapshots: [...m.images.snapshots.values()].map(({ data, ...s }) => s),
    looseDisks: [...m.ecs.looseDisks.values()].map(({ data, ...d }) => d),
  };
}
