// A recovery point of EVERY disk of an instance, in a way that works on an ordinary account.
// CreateImage from an instance images the system disk only (CreateWholeImage is invitation-only, docs
// 6396/132240), so a recovery point is a storage_ebs snapshot group of all the instance's volumes
// (consistent across disks), and a relaunch is RunInstances from an image of the group's system-volume
// snapshot (CreateImage SnapshotId) with every data volume restored from its snapshot
// (Volumes.N.SnapshotId), of the same type and size, in the same order, with the same DeleteWithInstance.
// Images are made only when a point is used (the region holds at most 50 custom images); rolling points
// cost no image at all.
//
// Each point also records, in tags on its group, the configuration a relaunch needs (compressed, in
// chunks of 256 characters): a controller that lost its journal can still recover an instance that is
// gone, from its newest point.
import type { Clock } from "../core/clock";
import { createToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import { decodeConfigTags, encodeConfigTags } from "../recovery/configTags";
import { encodePolicy, originOf, policyFromTags, TAGS, userTags } from "../recovery/policy";
import type { VolcengineClient } from "./client";
import { countCustomImages, createImage, CUSTOM_IMAGE_QUOTA, deleteImage, findImage, ImageQuotaError, listImagesByTag, waitImageAvailable, waitImageGone, waitImageSettled } from "./images";
import { findUserData, type Instance } from "./instances";
import type { LaunchSpec } from "./launch";
import { createSnapshotGroup, deleteSnapshotGroup, listSnapshotGroups, waitSnapshotGroupSettled, type SnapshotGroup } from "./snapshots";
import { TAG_LIMIT, tagMap } from "./tags";
import { sizeOf, volumesOf, type Volume } from "./volumes";

/** `scheduled`: taken by a RecoveryImage with imageEvery (read back as a manual point by the spot controller). */
export type PointKind = "final" | "rolling" | "manual" | "scheduled";

/** What a relaunch needs of an instance, recorded while it still exists (no secrets: no password). */
export interface InstanceConfig {
  instanceId: string;
  instanceName: string;
  description?: string;
  hostname?: string;
  zoneId: string;
  instanceTypeId: string;
  subnetId: string;
  securityGroupIds: string[];
  spotStrategy: string;
  spotPriceLimit?: number;
  keyPairName?: string;
  projectName?: string;
  /** Base64, from DescribeUserData (left out of a point's tags when it does not fit). */
  userData?: string;
  /** System volume first, then data volumes in attach order. */
  volumes: { volumeId: string; kind: "system" | "data"; volumeType: string; size: number; deleteWithInstance: boolean }[];
  /** User tags (the cloud's own and ours are never copied) plus the lineage origin. */
  tags: Record<string, string>;
  origin: string;
  /** The instance's recovery policy tag value, carried to the replacement so it stays protected. */
  policyTag?: string;
}

export function volumesConfig(volumes: Volume[]): InstanceConfig["volumes"] {
  return volumes.map((v) => ({ volumeId: v.VolumeId, kind: v.Kind, volumeType: v.VolumeType, size: sizeOf(v), deleteWithInstance: v.Kind === "system" ? true : v.DeleteWithInstance !== false }));
}

const CHUNK = 256; // tag values take up to 256 characters

/** The config as tags `cfg.1…cfg.N` within `budget` tags; user data is dropped first when it does not fit. */
export function configTags(cfg: InstanceConfig, budget: number): { tags: Record<string, string>; droppedUserData: boolean } {
  return encodeConfigTags(cfg, budget, CHUNK);
}

export function configFromTags(tags: Record<string, string>): InstanceConfig | undefined {
  return decodeConfigTags<InstanceConfig>(tags);
}

/** `kind=rolling event=…` (spaces: `;` is not a tag character) */
function pointTag(kind: PointKind, eventId?: string): string {
  return eventId ? `kind=${kind} event=${eventId}` : `kind=${kind}`;
}

export function pointKind(group: Pick<SnapshotGroup, "Tags">): PointKind | undefined {
  const m = /(?:^|[ ;])kind=(final|rolling|manual)(?:[ ;]|$)/.exec(tagMap(group.Tags)[TAGS.point] ?? "");
  return m?.[1] as PointKind | undefined;
}

/**
 * Takes a recovery point of `cfg.instanceId` (a snapshot group of all its volumes), once per `token`: a
 * group already made under the token is returned instead of a second one. Returns the group id.
 */
export async function takePoint(client: VolcengineClient, cfg: InstanceConfig, o: { kind: PointKind; token: string; name: string; eventId?: string; extraTags?: Record<string, string> }): Promise<{ groupId: string; droppedUserData: boolean }> {
  const own = { [TOKEN_TAG]: o.token, [TAGS.source]: cfg.instanceId, [TAGS.point]: pointTag(o.kind, o.eventId), ...(o.extraTags ?? {}) };
  const { tags: cfgTags, droppedUserData } = configTags(cfg, TAG_LIMIT - Object.keys(own).length);
  const { value } = await findOrCreate({
    what: `recovery point of ${cfg.instanceId}`,
    token: o.token,
    retry: client.retry,
    find: async () => (await listSnapshotGroups(client, { tagKey: TOKEN_TAG, tagValues: [o.token] })).filter((g) => g.Status !== "failed").map((g) => ({ id: g.SnapshotGroupId, createdAt: g.CreationTime })),
    discard: (id) => deleteSnapshotGroup(client, id),
    create: (clientToken) =>
      createSnapshotGroup(client, {
        instanceId: cfg.instanceId,
        volumeIds: cfg.volumes.map((v) => v.volumeId),
        name: o.name,
        description: `Recovery point (${o.kind}) of ${cfg.instanceId}`,
        tags: { ...own, ...cfgTags },
        clientToken,
      }),
  });
  return { groupId: value, droppedUserData };
}

/** Every recovery point of an instance's line (taken of `instanceId`), newest first. */
export async function listPoints(client: VolcengineClient, instanceId: string): Promise<SnapshotGroup[]> {
  const groups = await listSnapshotGroups(client, { tagKey: TAGS.source, tagValues: [instanceId] });
  return groups.sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? ""));
}

/** The create token of the image made of a point: one image per point, found again by it. */
export function pointImageToken(groupId: string): string {
  return createToken("volcengine:point-image", groupId, undefined, {});
}

/** The image of a point, made once (token tag) from its system-volume snapshot and awaited. */
export async function imageOfPoint(
  client: VolcengineClient,
  group: SnapshotGroup,
  o: { name: string; tags?: Record<string, string>; timeoutMs: number; clock?: Clock; signal?: AbortSignal; wait?: boolean },
): Promise<string> {
  const system = group.Snapshots?.find((s) => s.VolumeKind === "system");
  if (!system) throw new Error(`recovery point ${group.SnapshotGroupId} has no system-volume snapshot`);
  const token = pointImageToken(group.SnapshotGroupId);
  const { value: imageId } = await findOrCreate({
    what: `image of recovery point ${group.SnapshotGroupId}`,
    token,
    retry: client.retry,
    find: async () => (await listImagesByTag(client, TOKEN_TAG, [token])).filter((i) => i.Status !== "error").map((i) => ({ id: i.ImageId, createdAt: i.CreatedAt })),
    discard: (id) => deleteImage(client, id, { keepSnapshots: true }),
    create: async () => {
      const held = await countCustomImages(client);
      if (held >= CUSTOM_IMAGE_QUOTA) {
        throw new ImageQuotaError(`the region already holds ${held} custom images, the quota of ${CUSTOM_IMAGE_QUOTA} (CreateImage, docs 6396/132240): no image could be made of recovery point ${group.SnapshotGroupId}; delete unused custom images or lower recovery.keepImages`);
      }
      return createImage(client, { source: { SnapshotId: system.SnapshotId }, imageName: o.name, description: `Recovery image of ${group.InstanceId ?? "an instance"}`, tags: { ...(o.tags ?? {}), [TOKEN_TAG]: token, [TAGS.source]: group.InstanceId ?? "" } });
    },
  });
  if (o.wait === false) return imageId;
  const image = await findImage(client, imageId);
  if (image.Status !== "available") await waitImageAvailable(client, imageId, { timeoutMs: o.timeoutMs, clock: o.clock, signal: o.signal });
  return imageId;
}

/** The image made at home of a whole point to copy to another region (regionCopies.ts): one per point. */
export const copySourceToken = (pointId: string) => createToken("volcengine:copy-source", pointId, undefined, {});

/**
 * Deletes a point and the images made of it (its relaunch image, and an image to copy from: they use the
 * point's snapshots, so they go first; one still being copied makes this fail until the copy ends).
 */
export async function deletePoint(client: VolcengineClient, groupId: string, timeoutMs = 10 * 60_000): Promise<void> {
  const images = await listImagesByTag(client, TOKEN_TAG, [pointImageToken(groupId), copySourceToken(groupId)]);
  for (const img of images) {
    // One still being made (a create that gave up waiting) cannot be deleted yet: let it finish first.
    if (img.Status === "creating") await waitImageSettled(client, img.ImageId, timeoutMs);
    await deleteImage(client, img.ImageId, { keepSnapshots: true });
    await waitImageGone(client, img.ImageId, timeoutMs);
  }
  await waitSnapshotGroupSettled(client, groupId, timeoutMs);
  await deleteSnapshotGroup(client, groupId);
}

/** How to relaunch from a point: the image for the system volume, every data volume from its snapshot. */
export function launchFromPoint(group: SnapshotGroup, cfg: InstanceConfig, imageId: string, imageSize: number | undefined): Pick<LaunchSpec, "imageId" | "systemVolume" | "dataVolumes"> {
  const snapshots = group.Snapshots ?? [];
  const system = cfg.volumes.find((v) => v.kind === "system");
  const data = cfg.volumes.filter((v) => v.kind === "data");
  return {
    imageId,
    // Never smaller than the image (RunInstances: the system volume may not be smaller than the image).
    systemVolume: { volumeType: system?.volumeType ?? "ESSD_PL0", size: Math.max(system?.size ?? 40, imageSize ?? 0) },
    dataVolumes: data.map((v) => {
      const snap = snapshots.find((s) => s.VolumeId === v.volumeId);
      if (!snap) throw new Error(`recovery point ${group.SnapshotGroupId} has no snapshot of data volume ${v.volumeId}`);
      return { volumeType: v.volumeType, size: v.size, deleteWithInstance: v.deleteWithInstance, snapshotId: snap.SnapshotId };
    }),
  };
}

/** Everything a relaunch needs of a live instance: DescribeInstances, storage_ebs DescribeVolumes, DescribeUserData. */
export async function instanceConfig(client: VolcengineClient, inst: Instance): Promise<InstanceConfig> {
  const [volumes, userData] = await Promise.all([volumesOf(client, inst.InstanceId), findUserData(client, inst.InstanceId)]);
  const nic = inst.NetworkInterfaces?.[0] ?? {};
  const tags = tagMap(inst.Tags);
  const policy = policyFromTags(tags);
  return {
    instanceId: inst.InstanceId,
    instanceName: inst.InstanceName ?? inst.InstanceId,
    description: inst.Description || undefined,
    hostname: inst.Hostname || undefined,
    zoneId: inst.ZoneId,
    instanceTypeId: inst.InstanceTypeId ?? "",
    subnetId: nic.SubnetId ?? "",
    securityGroupIds: nic.SecurityGroupIds ?? [],
    spotStrategy: inst.SpotStrategy ?? "SpotAsPriceGo",
    spotPriceLimit: inst.SpotPriceLimit || undefined,
    keyPairName: inst.KeyPairName || undefined,
    projectName: inst.ProjectName || undefined,
    userData,
    volumes: volumesConfig(volumes),
    tags: userTags(tags),
    origin: originOf(inst.InstanceId, tags),
    policyTag: policy ? encodePolicy(policy) : undefined,
  };
}
