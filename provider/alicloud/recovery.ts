// Alibaba Cloud's side of spot recovery (the controller's RecoveryCloud), on ECS 2014-05-26:
// - the fleet: instances carrying the policy tag (ListTagResources, then DescribeInstances 100 at a time);
// - interruptions: OperationLocks LockReason "Recycling" (API notes: the instance "is released 5 minutes
//   later"; no field of the API says when the lock came, so the release is the lock's start + 5 minutes —
//   see `lockStart`); a CloudMonitor event pushed to `serve` brings its own time;
// - a recovery point: CreateImage of the whole instance ("a new snapshot is created for each disk"), tagged
//   with its source, kind and the configuration a relaunch needs; awaited Available;
// - a relaunch: RunInstances from that image in the same zone and vSwitch, with the same type, security
//   groups, disks (each data disk of the image by its device, with its category, size and performance
//   level from DescribeDisks), spot strategy and price limit, key pair (or PasswordInherit: the password
//   kept in the image), RAM role, user data, metadata mode, tags plus the line's origin; under the one
//   create-token rule (a token tag, and a ClientToken per attempt);
// - the guest hook: the policy's saved Cloud Assistant command (InvokeCommand), within its budget.
import type { Clock } from "../core/clock";
import { CloudError, orUndefined } from "../core/errors";
import { attemptToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import type { CallContext, FleetMember, Interruption, RecoveryCloud, RecoveryPointInfo, RelaunchOptions } from "../recovery/cloud";
import { decodeConfigTags, encodeConfigTags } from "../recovery/configTags";
import { tryPlacements } from "../recovery/placements";
import { encodePolicy, originOf, policyFromTags, TAGS, userTags, type Placement } from "../recovery/policy";
import type { AlicloudClient, AlicloudParam } from "./client";
import { createImageOfInstance, deleteImageAndSnapshots, findImage, imageState, listImagesByTag, type Image } from "./images";
import { disksOf, findInstance, findRamRole, findUserData, isRecycling, listInstances, listInstancesByTag, removeInstance, RUNNING, tagsOf, waitInstanceStatus, type Instance } from "./instances";
import { findInvocationResult, FINISHED, stopInvocation } from "./invocations";
import { TAG_LIMIT, TAG_VALUE_MAX, tagMap, tagParams } from "./tags";
import { waitUntil } from "../core/waiter";

/** How long a preemptible instance has between the Recycling lock and its release (API notes). */
export const NOTICE_MS = 5 * 60_000;

/** What a relaunch needs of an instance, recorded while it exists (no secret: no password). */
export interface AlicloudInstanceConfig {
  instanceId: string;
  instanceName: string;
  description?: string;
  hostName?: string;
  zoneId: string;
  vSwitchId: string;
  instanceType: string;
  securityGroupIds: string[];
  spotStrategy: string;
  spotPriceLimit?: number;
  spotDuration?: number;
  spotInterruptionBehavior?: string;
  keyPairName?: string;
  ramRoleName?: string;
  httpTokens?: string;
  /** Base64, from DescribeUserData (left out of a point's tags when it does not fit). */
  userData?: string;
  /** System disk first, then data disks in device order (DescribeDisks). */
  disks: { diskId: string; type: "system" | "data"; device: string; category: string; size: number; performanceLevel?: string; deleteWithInstance: boolean }[];
  /** User tags (the cloud's own and ours are never copied). */
  tags: Record<string, string>;
  /** The first instance of its line. */
  origin: string;
  /** The instance's recovery policy tag, carried to the replacement so it stays protected. */
  policyTag?: string;
}

/**
 * "No stock" (or a spot price above the limit). API notes: `OperationDenied.NoStock`; other spellings seen
 * for capacity; PULUMI_RECOVERY_STOCKOUT_CODES (comma-separated) adds the real ones. The code, or undefined.
 */
export function stockOutCode(err: unknown): string | undefined {
  if (!(err instanceof CloudError)) return undefined;
  const extra = (process.env.PULUMI_RECOVERY_STOCKOUT_CODES ?? "").split(",").map((c) => c.trim()).filter(Boolean);
  return extra.includes(err.code) || /NoStock|OutOfStock|SoldOut|InsufficientCapacity|Insufficient\.Resource/i.test(err.code) ? err.code : undefined;
}

/** The journal key of an instance's interruption: an instance is reclaimed once, so its id names it. */
export const interruptionId = (instanceId: string) => `preempt-${instanceId}`;

/** An image name from any text: 2-128 characters, a letter first, then letters, digits, `_ . : -` (CreateImageRequest.imageName). */
export function imageName(text: string): string {
  const body = text.replace(/[^\w.:-]/g, "-").replace(/^[^A-Za-z]+/, "");
  return `p-${body}`.slice(0, 128);
}

function pointKind(tags: Record<string, string>): RecoveryPointInfo["kind"] {
  const m = /(?:^| )kind=(final|rolling|manual)(?: |$)/.exec(tags[TAGS.point] ?? "");
  return (m?.[1] as RecoveryPointInfo["kind"]) ?? "manual";
}

/** `kind=final event=… release=…`: a final point records its interruption, so it is found with the journal lost. */
function pointTag(kind: "final" | "rolling", eventId?: string, releaseAt?: string): string {
  return [`kind=${kind}`, eventId && `event=${eventId}`, releaseAt && `release=${releaseAt}`].filter(Boolean).join(" ");
}

export class AlicloudRecovery implements RecoveryCloud<AlicloudInstanceConfig> {
  readonly cloud = "alicloud" as const;
  /** When each instance was last seen without a lock, and first seen with one (this process's memory). */
  private readonly lastUnlocked = new Map<string, number>();
  private readonly firstLocked = new Map<string, number>();
  /** The time a pushed event gave for an instance's interruption. */
  private readonly pushed = new Map<string, number>();

  constructor(
    readonly client: AlicloudClient,
    /** The cloud's clock: when a lock is noticed. */
    private readonly clock: Clock,
  ) {}

  get region(): string {
    return this.client.region;
  }

  private observe(instances: Instance[]): void {
    const now = this.clock.now();
    for (const inst of instances) {
      if (!isRecycling(inst)) this.lastUnlocked.set(inst.InstanceId, now);
      else if (!this.firstLocked.has(inst.InstanceId)) this.firstLocked.set(inst.InstanceId, now);
    }
  }

  private asMember(inst: Instance): FleetMember | undefined {
    const tags = tagsOf(inst);
    const policy = policyFromTags(tags);
    return policy && { instanceId: inst.InstanceId, name: inst.InstanceName ?? inst.InstanceId, status: inst.Status, healthy: inst.Status === RUNNING && !isRecycling(inst), policy, origin: originOf(inst.InstanceId, tags) };
  }

  async fleet(): Promise<FleetMember[]> {
    const instances = await listInstancesByTag(this.client, TAGS.policy);
    this.observe(instances);
    return instances.map((i) => this.asMember(i)).filter((m): m is FleetMember => m !== undefined);
  }

  async member(instanceId: string): Promise<FleetMember | undefined> {
    const inst = await orUndefined(findInstance(this.client, instanceId));
    if (inst) this.observe([inst]);
    return inst && this.asMember(inst);
  }

  /**
   * When the lock began, as well as this process can tell: the pushed event's time (the cloud's own); else —
   * when a pass saw the instance unlocked less than a notice before it first saw the lock — that pass (the
   * lock came after it: the conservative bound); else when the lock was first seen.
   */
  private lockStart(instanceId: string, pushedAt?: number): number {
    if (pushedAt !== undefined && Number.isFinite(pushedAt)) this.pushed.set(instanceId, pushedAt);
    const pushed = this.pushed.get(instanceId);
    if (pushed !== undefined) return pushed;
    const first = this.firstLocked.get(instanceId) ?? this.clock.now();
    const before = this.lastUnlocked.get(instanceId);
    return before !== undefined && first - before < NOTICE_MS ? before : first;
  }

  async interruptions(instanceIds: string[], opts: { statuses?: "scheduled" | "any"; pushedAt?: string } = {}): Promise<Interruption[]> {
    const live = await listInstances(this.client, instanceIds);
    this.observe(live);
    const out: Interruption[] = [];
    for (const inst of live.filter(isRecycling)) {
      const start = this.lockStart(inst.InstanceId, opts.pushedAt ? Date.parse(opts.pushedAt) : undefined);
      out.push({ eventId: interruptionId(inst.InstanceId), instanceId: inst.InstanceId, noticedAt: new Date(start).toISOString(), releaseAt: new Date(start + NOTICE_MS).toISOString() });
    }
    if (opts.statuses === "any") {
      // A released instance leaves no lock to read: its final recovery point names its interruption (a
      // controller noticed it before the journal was lost).
      const gone = instanceIds.filter((id) => !live.some((i) => i.InstanceId === id));
      for (const id of gone) {
        const final = (await listImagesByTag(this.client, TAGS.source, id)).find((img) => pointKind(tagMap(img.Tags)) === "final");
        const tag = final ? tagMap(final.Tags)[TAGS.point] ?? "" : "";
        const event = /(?:^| )event=(\S+)/.exec(tag)?.[1];
        const release = /(?:^| )release=(\S+)/.exec(tag)?.[1];
        if (final && event && release) out.push({ eventId: event, instanceId: id, noticedAt: new Date(Date.parse(release) - NOTICE_MS).toISOString(), releaseAt: release });
      }
    }
    return out;
  }

  async describe(instanceId: string): Promise<AlicloudInstanceConfig> {
    const inst = await findInstance(this.client, instanceId);
    const [disks, userData, ramRoleName] = await Promise.all([disksOf(this.client, instanceId), findUserData(this.client, instanceId), findRamRole(this.client, instanceId)]);
    const tags = tagsOf(inst);
    const policy = policyFromTags(tags);
    return {
      instanceId,
      instanceName: inst.InstanceName ?? instanceId,
      description: inst.Description || undefined,
      hostName: inst.HostName || undefined,
      zoneId: inst.ZoneId,
      vSwitchId: inst.VpcAttributes?.VSwitchId ?? "",
      instanceType: inst.InstanceType,
      securityGroupIds: inst.SecurityGroupIds?.SecurityGroupId ?? [],
      spotStrategy: inst.SpotStrategy ?? "NoSpot",
      spotPriceLimit: inst.SpotStrategy === "SpotWithPriceLimit" ? inst.SpotPriceLimit : undefined,
      spotDuration: inst.SpotDuration,
      spotInterruptionBehavior: inst.SpotInterruptionBehavior || undefined,
      keyPairName: inst.KeyPairName || undefined,
      ramRoleName,
      httpTokens: inst.MetadataOptions?.HttpTokens || undefined,
      userData,
      disks: disks.map((d) => ({ diskId: d.DiskId, type: d.Type, device: d.Device ?? "", category: d.Category, size: d.Size, performanceLevel: d.PerformanceLevel || undefined, deleteWithInstance: d.Type === "system" ? true : d.DeleteWithInstance !== false })),
      tags: userTags(tags),
      origin: originOf(instanceId, tags),
      policyTag: policy ? encodePolicy(policy) : undefined,
    };
  }

  async takePoint(config: AlicloudInstanceConfig, o: { kind: "final" | "rolling"; token: string; eventId?: string }): Promise<string> {
    // A final point also records when its instance is released, for a controller that lost its journal.
    const release = o.eventId ? new Date(this.lockStart(config.instanceId) + NOTICE_MS).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
    const own = { [TOKEN_TAG]: o.token, [TAGS.source]: config.instanceId, [TAGS.point]: pointTag(o.kind, o.eventId, release) };
    const { tags: cfgTags } = encodeConfigTags(config, TAG_LIMIT - Object.keys(own).length, TAG_VALUE_MAX);
    const { value } = await findOrCreate({
      what: `recovery point of ${config.instanceId}`,
      token: o.token,
      retry: this.client.retry,
      find: async () => (await listImagesByTag(this.client, TOKEN_TAG, o.token)).filter((i) => imageState(i.Status) !== "failed").map((i) => ({ id: i.ImageId, createdAt: i.CreationTime })),
      discard: (id) => deleteImageAndSnapshots(this.client, id),
      create: (clientToken) =>
        createImageOfInstance(this.client, {
          instanceId: config.instanceId,
          imageName: imageName(`${o.kind}-${config.instanceName}`),
          description: `Recovery point (${o.kind}) of ${config.instanceId}`,
          tags: { ...own, ...cfgTags },
          clientToken,
        }),
    });
    return value;
  }

  private info(img: Image): RecoveryPointInfo {
    const tags = tagMap(img.Tags);
    return { id: img.ImageId, sourceInstanceId: tags[TAGS.source] ?? "", kind: pointKind(tags), state: imageState(img.Status), createdAt: img.CreationTime ?? "", origin: decodeConfigTags<AlicloudInstanceConfig>(tags)?.origin };
  }

  async point(id: string): Promise<RecoveryPointInfo | undefined> {
    const img = await orUndefined(findImage(this.client, id));
    return img && this.info(img);
  }

  async points(instanceIds?: string[]): Promise<RecoveryPointInfo[]> {
    const images = instanceIds ? (await Promise.all(instanceIds.map((id) => listImagesByTag(this.client, TAGS.source, id)))).flat() : await listImagesByTag(this.client, TAGS.source);
    return images.map((i) => this.info(i)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async configOf(pointId: string): Promise<AlicloudInstanceConfig | undefined> {
    const img = await orUndefined(findImage(this.client, pointId));
    return img && decodeConfigTags<AlicloudInstanceConfig>(tagMap(img.Tags));
  }

  policyOf(config: AlicloudInstanceConfig) {
    return config.policyTag ? policyFromTags({ [TAGS.policy]: config.policyTag }) : undefined;
  }

  async runGuestHook(config: AlicloudInstanceConfig, hook: { commandId: string; timeoutSeconds: number }, o: { token: string; budgetMs: number; ctx: CallContext }): Promise<{ answered: boolean; detail: string }> {
    try {
      // InvokeCommand's Timeout: 10-86400 seconds (the command's own by default); the budget bounds the wait.
      const res = await this.client.call<{ InvokeId: string }>("ecs", "InvokeCommand", { CommandId: hook.commandId, InstanceId: [config.instanceId], Timeout: Math.max(10, Math.ceil(o.budgetMs / 1000)), ClientToken: o.token, ...tagParams({ [TOKEN_TAG]: o.token }) });
      const invokeId = res.InvokeId;
      const result = await waitUntil({
        what: `guest hook ${invokeId} on ${config.instanceId}`,
        poll: () => orUndefined(findInvocationResult(this.client, invokeId, config.instanceId)),
        done: (r) => r !== undefined && FINISHED.includes(r.InvocationStatus),
        timeoutMs: o.budgetMs,
        clock: o.ctx.clock,
        signal: o.ctx.signal,
      }).catch(() => undefined);
      if (!result) {
        await stopInvocation(this.client, invokeId, [config.instanceId]);
        return { answered: false, detail: `no answer within ${Math.round(o.budgetMs / 1000)}s (invocation ${invokeId} stopped)` };
      }
      const out = result.Output ? Buffer.from(result.Output, "base64").toString("utf8").trim().split("\n").pop() : "";
      return result.InvocationStatus === "Success"
        ? { answered: true, detail: `command ${hook.commandId} exited 0${out ? `: ${out}` : ""}` }
        : { answered: false, detail: `command ${hook.commandId} ended ${result.InvocationStatus}${result.ExitCode ? ` with exit code ${result.ExitCode}` : ""}${result.ErrorCode ? ` (${result.ErrorCode})` : ""}` };
    } catch (err) {
      if (o.ctx.signal?.aborted) throw err;
      return { answered: false, detail: `could not run it: ${(err as Error).message}` };
    }
  }

  async relaunch(config: AlicloudInstanceConfig, pointId: string, o: RelaunchOptions): Promise<{ replacementId: string; imageId: string; placement?: Placement; note?: string }> {
    const image = await findImage(this.client, pointId);
    if (image.Status !== "Available") throw new Error(`recovery point ${pointId} is ${image.Status}, not Available`);
    const home: Placement = { zoneId: config.zoneId, subnetId: config.vSwitchId, instanceTypeId: config.instanceType };
    const { result, placement, note } = await tryPlacements(home, o, (p) => this.launchAt(config, image, p, o.token), stockOutCode);
    return { replacementId: result, imageId: pointId, ...(placement ? { placement, note } : {}) };
  }

  /** RunInstances of the replacement at one placement, once per token (a token tag, looked for first). */
  private async launchAt(config: AlicloudInstanceConfig, image: Image, p: Placement, token: string): Promise<string> {
    const system = config.disks.find((d) => d.type === "system");
    const mappings = image.DiskDeviceMappings?.DiskDeviceMapping ?? [];
    const dataParams: Record<string, string | number | boolean> = {};
    // Each data disk of the image by its device, with the category, size and performance level it had.
    config.disks
      .filter((d) => d.type === "data")
      .forEach((d, i) => {
        const mapping = mappings.find((m) => m.Type === "data" && m.Device === d.device);
        if (!mapping) throw new Error(`recovery point ${image.ImageId} has no snapshot of data disk ${d.diskId} (${d.device})`);
        const n = i + 1;
        Object.assign(dataParams, {
          [`DataDisk.${n}.Device`]: d.device,
          [`DataDisk.${n}.Category`]: d.category,
          [`DataDisk.${n}.Size`]: Math.max(d.size, Number(mapping.Size ?? 0)),
          [`DataDisk.${n}.DeleteWithInstance`]: d.deleteWithInstance,
          ...(d.performanceLevel && d.category === "cloud_essd" ? { [`DataDisk.${n}.PerformanceLevel`]: d.performanceLevel } : {}),
        });
      });
    const tags = { ...config.tags, ...(config.policyTag ? { [TAGS.policy]: config.policyTag } : {}), [TAGS.origin]: config.origin, [TOKEN_TAG]: token };
    const { value } = await findOrCreate({
      what: `replacement of ${config.instanceId}`,
      token,
      retry: this.client.retry,
      find: async () => (await listInstancesByTag(this.client, TOKEN_TAG, token)).map((i) => ({ id: i.InstanceId, createdAt: i.CreationTime })),
      discard: (id) => removeInstance(this.client, id, 10 * 60_000),
      create: async (clientToken) => {
        const params: Record<string, AlicloudParam> = {
          ImageId: image.ImageId,
          ZoneId: p.zoneId,
          VSwitchId: p.subnetId,
          InstanceType: p.instanceTypeId ?? config.instanceType,
          SecurityGroupIds: config.securityGroupIds,
          InstanceName: config.instanceName,
          HostName: config.hostName,
          Description: config.description,
          InstanceChargeType: "PostPaid",
          SpotStrategy: config.spotStrategy,
          SpotPriceLimit: config.spotStrategy === "SpotWithPriceLimit" ? config.spotPriceLimit : undefined,
          SpotDuration: config.spotStrategy !== "NoSpot" ? config.spotDuration : undefined,
          SpotInterruptionBehavior: config.spotStrategy !== "NoSpot" ? config.spotInterruptionBehavior : undefined,
          // The login credential: the key pair, or the password kept in the image (PasswordInherit: "uses
          // the password preset in the image"; without either the replacement has none).
          KeyPairName: config.keyPairName,
          PasswordInherit: config.keyPairName ? undefined : true,
          RamRoleName: config.ramRoleName,
          HttpTokens: config.httpTokens,
          UserData: config.userData,
          "SystemDisk.Category": system?.category,
          "SystemDisk.Size": system ? Math.max(system.size, image.Size ?? 0) : undefined,
          ...(system?.performanceLevel && system.category === "cloud_essd" ? { "SystemDisk.PerformanceLevel": system.performanceLevel } : {}),
          ...dataParams,
          Amount: 1,
          ClientToken: clientToken,
          ...tagParams(tags),
        };
        try {
          return await this.runInstance(params);
        } catch (err) {
          // The image has no password to keep: the instance had none (keys in user data, a session manager…).
          // RunInstances refuses PasswordInherit then ("the image you use must have a password configured"); the
          // replacement is launched without it, like the instance it replaces. The code is not documented.
          if (!params.PasswordInherit || !(err instanceof CloudError) || !/PasswordInherit/i.test(`${err.code} ${err.cloudMessage}`)) throw err;
          return this.runInstance({ ...params, PasswordInherit: undefined, ClientToken: attemptToken(token) });
        }
      },
    });
    return value;
  }

  private async runInstance(params: Record<string, AlicloudParam>): Promise<string> {
    const res = await this.client.call<{ InstanceIdSets?: { InstanceIdSet?: string[] } }>("ecs", "RunInstances", params, { safe: false });
    const id = res.InstanceIdSets?.InstanceIdSet?.[0];
    if (!id) throw new CloudError({ cloud: "alicloud", action: "RunInstances", code: "InvalidResponse", message: "no InstanceIdSets in the answer" });
    return id;
  }

  async instanceStatus(instanceId: string): Promise<string | undefined> {
    return (await orUndefined(findInstance(this.client, instanceId)))?.Status;
  }

  isRunning(status: string): boolean {
    return status === RUNNING;
  }

  async waitRunning(instanceId: string, timeoutMs: number, ctx: CallContext): Promise<void> {
    await waitInstanceStatus(this.client, instanceId, RUNNING, timeoutMs, ctx.clock, ctx.signal);
  }

  async deletePoint(id: string): Promise<void> {
    await deleteImageAndSnapshots(this.client, id);
  }
}
