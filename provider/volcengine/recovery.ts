// Volcengine's side of spot recovery (the controller's RecoveryCloud): the fleet by the policy tag,
// interruptions from DescribeSystemEvents, recovery points as snapshot groups of every volume, relaunch
// from an image of the point's system snapshot with every data volume restored from its snapshot.
import { orUndefined } from "../core/errors";
import { CloudError } from "../core/errors";
import { HomeRegionCannot, type CallContext, type CopyState, type CopyStep, type FleetMember, type ImageSchedule, type Interruption, type RecoveryCloud, type RecoveryPointInfo, type RelaunchOptions, type ScheduledPoint } from "../recovery/cloud";
import { tryPlacements } from "../recovery/placements";
import type { Placement, RegionCopyPolicy } from "../recovery/policy";
import { invokeCommand, stopInvocation, waitInvocation } from "./assistant";
import { LEGACY_TAGS, originOf, policyFromTags, TAGS } from "../recovery/policy";
import type { VolcengineClient } from "./client";
import { findInterruptions } from "./events";
import { deleteImage, findImage, ImageQuotaError } from "./images";
import { advanceCopy, copyState, relaunchFromCopy } from "./regionCopies";
import { deleteScheduledPoint, finishScheduledPoint, listSchedules, takeScheduledPoint } from "./imageSchedules";
import { findInstance, listInstances, waitInstanceStatus } from "./instances";
import { launchInstance } from "./launch";
import { configFromTags, deletePoint, imageOfPoint, instanceConfig, launchFromPoint, listPoints, pointKind, takePoint, type InstanceConfig } from "./recoveryPoint";
import { findSnapshotGroup, listSnapshotGroups, type SnapshotGroup } from "./snapshots";
import { tagMap } from "./tags";

const STATE: Record<string, RecoveryPointInfo["state"]> = { available: "available", failed: "failed" };

/**
 * "No spot stock" (or a spot price above the limit). Volcengine documents no code for it: these are the
 * codes the emulator answers and the ones seen named for capacity elsewhere; PULUMI_RECOVERY_STOCKOUT_CODES
 * (comma-separated) adds the real ones.
 */
export function isStockOut(err: unknown): boolean {
  if (!(err instanceof CloudError)) return false;
  const extra = (process.env.PULUMI_RECOVERY_STOCKOUT_CODES ?? "").split(",").map((c) => c.trim()).filter(Boolean);
  return extra.includes(err.code) || /InsufficientInstanceStock|NoStock|OutOfStock|SoldOut|InsufficientCapacity|SpotPriceTooLow/i.test(err.code);
}

function pointInfo(g: SnapshotGroup): RecoveryPointInfo {
  return {
    id: g.SnapshotGroupId,
    sourceInstanceId: tagMap(g.Tags)[TAGS.source] ?? g.InstanceId ?? "",
    kind: ((k) => (k === "scheduled" || !k ? "manual" : k))(pointKind(g)),
    state: STATE[g.Status] ?? "creating",
    createdAt: g.CreationTime ?? "",
    origin: configFromTags(tagMap(g.Tags))?.origin,
  };
}

export class VolcengineRecovery implements RecoveryCloud<InstanceConfig> {
  readonly cloud = "volcengine" as const;

  constructor(readonly client: VolcengineClient) {}

  get region(): string {
    return this.client.region;
  }

  async fleet(): Promise<FleetMember[]> {
    // Release 0.1.0 recorded the policy under another key: both are read until those instances are updated.
    const [current, legacy] = await Promise.all([listInstances(this.client, { tagKey: TAGS.policy }), listInstances(this.client, { tagKey: LEGACY_TAGS.policy })]);
    const seen = new Set<string>();
    const out: FleetMember[] = [];
    for (const inst of [...current, ...legacy]) {
      if (seen.has(inst.InstanceId)) continue;
      seen.add(inst.InstanceId);
      const tags = tagMap(inst.Tags);
      const policy = policyFromTags(tags);
      if (!policy) continue;
      out.push({ instanceId: inst.InstanceId, name: inst.InstanceName ?? inst.InstanceId, status: inst.Status, healthy: inst.Status === "RUNNING", policy, origin: originOf(inst.InstanceId, tags) });
    }
    return out;
  }

  async member(instanceId: string): Promise<FleetMember | undefined> {
    const inst = await orUndefined(findInstance(this.client, instanceId));
    if (!inst) return undefined;
    const tags = tagMap(inst.Tags);
    const policy = policyFromTags(tags);
    return policy && { instanceId: inst.InstanceId, name: inst.InstanceName ?? inst.InstanceId, status: inst.Status, healthy: inst.Status === "RUNNING", policy, origin: originOf(inst.InstanceId, tags) };
  }

  async interruptions(instanceIds: string[], opts: { statuses?: "scheduled" | "any" } = {}): Promise<Interruption[]> {
    const statuses = opts.statuses === "any" ? ["Scheduled", "Executing", "Succeeded", "Inquiring", "Pending"] : ["Scheduled"];
    return (await findInterruptions(this.client, instanceIds, { statuses })).map(({ eventId, instanceId, noticedAt, releaseAt }) => ({ eventId, instanceId, noticedAt, releaseAt }));
  }

  async describe(instanceId: string): Promise<InstanceConfig> {
    return instanceConfig(this.client, await findInstance(this.client, instanceId));
  }

  async takePoint(config: InstanceConfig, o: { kind: "final" | "rolling"; token: string; eventId?: string }): Promise<string> {
    const name = `${o.kind}-${config.instanceName}`.slice(0, 100);
    return (await takePoint(this.client, config, { kind: o.kind, token: o.token, name, eventId: o.eventId })).groupId;
  }

  async point(id: string): Promise<RecoveryPointInfo | undefined> {
    const g = await orUndefined(findSnapshotGroup(this.client, id));
    return g && pointInfo(g);
  }

  async points(instanceIds?: string[]): Promise<RecoveryPointInfo[]> {
    const groups = instanceIds
      ? (await Promise.all(instanceIds.map((id) => listPoints(this.client, id)))).flat()
      : await listSnapshotGroups(this.client, { tagKey: TAGS.source });
    return groups.map(pointInfo).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async configOf(pointId: string): Promise<InstanceConfig | undefined> {
    const g = await orUndefined(findSnapshotGroup(this.client, pointId));
    return g && configFromTags(tagMap(g.Tags));
  }

  policyOf(config: InstanceConfig) {
    return config.policyTag ? policyFromTags({ [TAGS.policy]: config.policyTag }) : undefined;
  }

  async runGuestHook(config: InstanceConfig, hook: { commandId: string; timeoutSeconds: number }, o: { token: string; budgetMs: number; ctx: CallContext }): Promise<{ answered: boolean; detail: string }> {
    try {
      const invocationId = await invokeCommand(this.client, { commandId: hook.commandId, instanceId: config.instanceId, name: "pulumi-recovery-guest-hook", timeoutSeconds: Math.ceil(o.budgetMs / 1000), token: o.token });
      const result = await waitInvocation(this.client, invocationId, config.instanceId, { timeoutMs: o.budgetMs, clock: o.ctx.clock, signal: o.ctx.signal });
      if (!result) {
        await stopInvocation(this.client, invocationId);
        return { answered: false, detail: `no answer within ${Math.round(o.budgetMs / 1000)}s (invocation ${invocationId} stopped)` };
      }
      const out = result.Output ? Buffer.from(result.Output, "base64").toString("utf8").trim().split("\n").pop() : "";
      return result.InvocationResultStatus === "Success"
        ? { answered: true, detail: `command ${hook.commandId} exited 0${out ? `: ${out}` : ""}` }
        : { answered: false, detail: `command ${hook.commandId} ended ${result.InvocationResultStatus}${result.ExitCode ? ` with exit code ${result.ExitCode}` : ""}${result.ErrorCode ? ` (${result.ErrorCode})` : ""}` };
    } catch (err) {
      if (o.ctx.signal?.aborted) throw err;
      return { answered: false, detail: `could not run it: ${(err as Error).message}` };
    }
  }

  async relaunch(config: InstanceConfig, pointId: string, o: RelaunchOptions): Promise<{ replacementId: string; imageId: string; placement?: Placement; note?: string }> {
    const group = await findSnapshotGroup(this.client, pointId);
    const imageId = await imageOfPoint(this.client, group, { name: `recovery-${config.instanceName}`.slice(0, 128), timeoutMs: o.timeoutMs, clock: o.ctx.clock, signal: o.ctx.signal }).catch((e) => {
      throw e instanceof ImageQuotaError ? new HomeRegionCannot(e.message) : e;
    });
    const image = await findImage(this.client, imageId);
    const volumes = launchFromPoint(group, config, imageId, image.Size);
    const home: Placement = { zoneId: config.zoneId, subnetId: config.subnetId, instanceTypeId: config.instanceTypeId };
    const { result, placement, note } = await tryPlacements(home, o, (p) => this.launchAt(config, volumes, p, o.token), (err) => (isStockOut(err) ? (err as CloudError).code : undefined));
    return { replacementId: result.instanceId, imageId, ...(placement ? { placement, note } : {}) };
  }

  private async launchAt(config: InstanceConfig, volumes: ReturnType<typeof launchFromPoint>, placement: Placement, token: string): Promise<{ instanceId: string }> {
    return launchInstance(
      this.client,
      {
        zoneId: placement.zoneId,
        instanceTypeId: placement.instanceTypeId ?? config.instanceTypeId,
        subnetId: placement.subnetId,
        securityGroupIds: config.securityGroupIds,
        spotStrategy: config.spotStrategy === "SpotWithPriceLimit" ? "SpotWithPriceLimit" : config.spotStrategy === "NoSpot" ? "NoSpot" : "SpotAsPriceGo",
        spotPriceLimit: config.spotPriceLimit,
        instanceName: config.instanceName,
        hostname: config.hostname,
        description: config.description,
        projectName: config.projectName,
        // The login credential: the key pair, or the password kept in the recovery image (RunInstances
        // KeepImageCredential; without either a relaunch from a custom image has none).
        keyPairName: config.keyPairName,
        keepImageCredential: config.keyPairName ? undefined : true,
        userDataBase64: config.userData,
        ...volumes,
        tags: { ...config.tags, ...(config.policyTag ? { [TAGS.policy]: config.policyTag } : {}), [TAGS.origin]: config.origin },
      },
      token,
      `replacement of ${config.instanceId}`,
    );
  }

  async instanceStatus(instanceId: string, region?: string): Promise<string | undefined> {
    return (await orUndefined(findInstance(this.client.forRegion(region ?? this.region), instanceId)))?.Status;
  }

  isRunning(status: string): boolean {
    return status === "RUNNING";
  }

  async waitRunning(instanceId: string, timeoutMs: number, ctx: CallContext, region?: string): Promise<void> {
    await waitInstanceStatus(this.client.forRegion(region ?? this.region), instanceId, "RUNNING", timeoutMs, ctx.clock);
  }

  async deletePoint(id: string): Promise<void> {
    await deletePoint(this.client, id);
  }

  copyState(region: string): Promise<CopyState> {
    return copyState(this.client, region);
  }

  advanceCopy(pointId: string, region: string, known: CopyState): Promise<CopyStep> {
    return advanceCopy(this.client, pointId, region, known);
  }

  async deleteCopy(region: string, copyId: string): Promise<void> {
    await deleteImage(this.client.forRegion(region), copyId);
  }

  async deleteCopySource(sourceId: string): Promise<void> {
    // The point's snapshots stay the point's (the image only refers to them).
    await deleteImage(this.client, sourceId, { keepSnapshots: true });
  }

  relaunchFromCopy(config: InstanceConfig, policy: RegionCopyPolicy, o: { token: string; ctx: CallContext; timeoutMs: number }) {
    return relaunchFromCopy(this.client, config, policy, o);
  }

  imageSchedules(): Promise<ImageSchedule[]> {
    return listSchedules(this.client);
  }

  takeScheduledPoint(schedule: ImageSchedule, token: string): Promise<string> {
    return takeScheduledPoint(this.client, schedule, token);
  }

  finishScheduledPoint(schedule: ImageSchedule, pointId: string): Promise<string> {
    return finishScheduledPoint(this.client, schedule, pointId);
  }

  deleteScheduledPoint(_schedule: ImageSchedule, point: ScheduledPoint): Promise<void> {
    return deleteScheduledPoint(this.client, point);
  }
}
