// Volcengine's side of spot recovery (the controller's RecoveryCloud): the fleet by the policy tag,
// interruptions from DescribeSystemEvents, recovery points as snapshot groups of every volume, relaunch
// from an image of the point's system snapshot with every data volume restored from its snapshot.
import { orUndefined } from "../core/errors";
import type { CallContext, FleetMember, Interruption, RecoveryCloud, RecoveryPointInfo } from "../recovery/cloud";
import { LEGACY_TAGS, originOf, policyFromTags, TAGS } from "../recovery/policy";
import type { VolcengineClient } from "./client";
import { findInterruptions } from "./events";
import { findImage } from "./images";
import { findInstance, listInstances, waitInstanceStatus } from "./instances";
import { launchInstance } from "./launch";
import { configFromTags, deletePoint, imageOfPoint, instanceConfig, launchFromPoint, listPoints, pointKind, takePoint, type InstanceConfig } from "./recoveryPoint";
import { findSnapshotGroup, listSnapshotGroups, type SnapshotGroup } from "./snapshots";
import { tagMap } from "./tags";

const STATE: Record<string, RecoveryPointInfo["state"]> = { available: "available", failed: "failed" };

function pointInfo(g: SnapshotGroup): RecoveryPointInfo {
  return {
    id: g.SnapshotGroupId,
    sourceInstanceId: tagMap(g.Tags)[TAGS.source] ?? g.InstanceId ?? "",
    kind: pointKind(g) ?? "manual",
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

  async relaunch(config: InstanceConfig, pointId: string, o: { token: string; ctx: CallContext; timeoutMs: number }): Promise<{ replacementId: string; imageId: string }> {
    const group = await findSnapshotGroup(this.client, pointId);
    const imageId = await imageOfPoint(this.client, group, { name: `recovery-${config.instanceName}`.slice(0, 128), timeoutMs: o.timeoutMs, clock: o.ctx.clock, signal: o.ctx.signal });
    const image = await findImage(this.client, imageId);
    const volumes = launchFromPoint(group, config, imageId, image.Size);
    const { instanceId } = await launchInstance(
      this.client,
      {
        zoneId: config.zoneId,
        instanceTypeId: config.instanceTypeId,
        subnetId: config.subnetId,
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
      o.token,
      `replacement of ${config.instanceId}`,
    );
    return { replacementId: instanceId, imageId };
  }

  async instanceStatus(instanceId: string): Promise<string | undefined> {
    return (await orUndefined(findInstance(this.client, instanceId)))?.Status;
  }

  isRunning(status: string): boolean {
    return status === "RUNNING";
  }

  async waitRunning(instanceId: string, timeoutMs: number, ctx: CallContext): Promise<void> {
    await waitInstanceStatus(this.client, instanceId, "RUNNING", timeoutMs, ctx.clock);
  }

  async deletePoint(id: string): Promise<void> {
    await deletePoint(this.client, id);
  }
}
