// Recovery points copied to a second region (recovery.copyToRegion), so a region loss still leaves a
// recovery point and a relaunch can use it when the home region cannot.
//
// A point is a snapshot group of every volume (recoveryPoint.ts); CopyImage copies images, not groups.
// So a copy takes three steps, each a pass of the controller (nothing here waits):
//   1. at home, an image of the whole group (CreateImage SnapshotGroupId, docs 6396/132240), made once
//      under a token tag; it counts against the home region's 50 custom images only until step 3;
//   2. CopyImage to the destination (volcenginesdkecs CopyImageRequest: ImageId, ImageName,
//      DestinationRegion; Tags), made once under a token tag found in the destination (no ClientToken);
//      the copy carries the instance's configuration in its tags, so it can be relaunched with the home
//      region gone;
//   3. once the copy is available, the home image goes (a copying image cannot be deleted: DeleteImages
//      answers OperationDenied.ImageIsCopying, API-NOTES "Corrections").
// Whether an image of a group carries the data volumes, and whether CopyImage copies them, no source
// confirms: every copy is read back (its Snapshots[]) and one holding only the system disk says so.
import { orUndefined } from "../core/errors";
import { createToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import type { CallContext, CopySource, CopyState, CopyStep, RegionCopy } from "../recovery/cloud";
import { encodePolicy, policyFromTags, TAGS, type Placement, type RegionCopyPolicy } from "../recovery/policy";
import type { VolcengineClient } from "./client";
import { copyImage, countCustomImages, createImage, CUSTOM_IMAGE_QUOTA, deleteImage, ImageQuotaError, listImagesByTag, type Image } from "./images";
import { launchInstance } from "./launch";
import { configFromTags, configTags, copySourceToken, type InstanceConfig } from "./recoveryPoint";
import { findSnapshotGroup } from "./snapshots";
import { TAG_LIMIT, tagMap } from "./tags";

const STATE: Record<string, RegionCopy["state"]> = { available: "available", creating: "creating", error: "failed" };

/** The copy of a point in a region: one per point and region. */
export const copyToken = (pointId: string, region: string) => createToken("volcengine:region-copy", pointId, region, {});

/** `ssg-… 2026-01-05T01:00:00Z`: the point, and when it was taken (the age of the data a copy holds). */
const copyOfValue = (pointId: string, createdAt?: string) => (createdAt ? `${pointId} ${createdAt}` : pointId);
const parseCopyOf = (v = "") => {
  const [pointId, pointCreatedAt] = v.split(" ");
  return { pointId, pointCreatedAt };
};

export function regionCopyOf(img: Image, region: string): RegionCopy {
  const tags = tagMap(img.Tags);
  const { pointId, pointCreatedAt } = parseCopyOf(tags[TAGS.copyOf]);
  const cfg = configFromTags(tags);
  const dataWanted = cfg?.volumes.filter((v) => v.kind === "data").length ?? 0;
  const dataHeld = (img.Snapshots ?? []).filter((s) => s.VolumeKind === "data").length;
  return {
    id: img.ImageId,
    region,
    pointId,
    sourceInstanceId: tags[TAGS.source] ?? "",
    origin: tags[TAGS.origin] ?? tags[TAGS.source] ?? "",
    state: STATE[img.Status] ?? "creating",
    createdAt: img.CreatedAt ?? "",
    ...(pointCreatedAt ? { pointCreatedAt } : {}),
    allDisks: dataHeld >= dataWanted,
  };
}

/** Our copies in `region` and our images at home to copy from: one DescribeImages in each. */
export async function copyState(home: VolcengineClient, region: string): Promise<CopyState> {
  if (region === home.region) return { copies: [], sources: [] };
  const [copies, sources] = await Promise.all([listImagesByTag(home.forRegion(region), TAGS.copyOf), listImagesByTag(home, TAGS.copyOf)]);
  // Told apart by their tokens: a copy made here from a third region, or one of this region's own copies
  // elsewhere, is never taken for an image to copy from (and deleted as one).
  const tokenIs = (i: Image, f: (pointId: string) => string) => tagMap(i.Tags)[TOKEN_TAG] === f(parseCopyOf(tagMap(i.Tags)[TAGS.copyOf]).pointId);
  return {
    copies: copies.filter((i) => tokenIs(i, (p) => copyToken(p, region))).map((i) => regionCopyOf(i, region)).sort((a, b) => (b.pointCreatedAt ?? b.createdAt).localeCompare(a.pointCreatedAt ?? a.createdAt)),
    sources: sources.filter((i) => tokenIs(i, copySourceToken)).map((i): CopySource => {
      const tags = tagMap(i.Tags);
      return { id: i.ImageId, pointId: parseCopyOf(tags[TAGS.copyOf]).pointId, sourceInstanceId: tags[TAGS.source] ?? "", state: STATE[i.Status] ?? "creating" };
    }),
  };
}

async function ensureQuota(client: VolcengineClient, what: string): Promise<void> {
  const held = await countCustomImages(client);
  if (held >= CUSTOM_IMAGE_QUOTA) {
    throw new ImageQuotaError(`region ${client.region} already holds ${held} custom images, the quota of ${CUSTOM_IMAGE_QUOTA} (docs 6396/132240): no ${what}; delete unused custom images or lower keepImages / copyToRegion.keep`);
  }
}

/** One step of the copy of `pointId` to `region` (see the top of this file); never waits. */
export async function advanceCopy(home: VolcengineClient, pointId: string, region: string, known: CopyState): Promise<CopyStep> {
  if (region === home.region) return { state: "failed", note: `recovery.copyToRegion.region is the instance's own region ${region}: name another region` };
  const dest = home.forRegion(region);
  const mine = known.copies.filter((c) => c.pointId === pointId);
  const done = mine.find((c) => c.state === "available");
  if (done) return { state: "done", copyId: done.id, ...(done.allDisks ? {} : { note: `the copy in ${region} carries the system disk only: the cloud did not copy the data volumes' snapshots` }) };
  const copying = mine.find((c) => c.state === "creating");
  if (copying) return { state: "copying", copyId: copying.id };
  const failed = mine.filter((c) => c.state === "failed");
  if (failed.length) {
    for (const f of failed) await deleteImage(dest, f.id);
    return { state: "failed", note: `the copy ${failed.map((f) => f.id).join(", ")} to ${region} ended in error; it was deleted and is made again next pass` };
  }
  const group = await orUndefined(findSnapshotGroup(home, pointId));
  if (!group) return { state: "failed", note: `recovery point ${pointId} is gone` };
  if (group.Status !== "available") return { state: "preparing", note: `recovery point ${pointId} is still being taken` };
  const cfg = configFromTags(tagMap(group.Tags));
  const source = known.sources.find((s) => s.pointId === pointId && s.state !== "failed");
  const badSource = known.sources.find((s) => s.pointId === pointId && s.state === "failed");
  if (badSource) {
    await deleteImage(home, badSource.id, { keepSnapshots: true });
    return { state: "failed", note: `the image of recovery point ${pointId} to copy from ended in error; it was deleted and is made again next pass` };
  }
  if (!source) {
    const token = copySourceToken(pointId);
    const { value } = await findOrCreate({
      what: `image of recovery point ${pointId} to copy to ${region}`,
      token,
      retry: home.retry,
      find: async () => (await listImagesByTag(home, TOKEN_TAG, [token])).filter((i) => i.Status !== "error").map((i) => ({ id: i.ImageId, createdAt: i.CreatedAt })),
      discard: (id) => deleteImage(home, id, { keepSnapshots: true }),
      create: async () => {
        await ensureQuota(home, `image could be made of recovery point ${pointId} to copy to ${region}`);
        // The group's snapshots stay the group's: the image only refers to them (deleted with keepSnapshots).
        return createImage(home, {
          source: { SnapshotGroupId: pointId },
          imageName: `copy-source-${pointId}`.slice(0, 128),
          description: `Recovery point ${pointId} of ${group.InstanceId ?? "an instance"}, to copy to ${region}`,
          tags: { [TOKEN_TAG]: token, [TAGS.source]: group.InstanceId ?? cfg?.instanceId ?? "", [TAGS.copyOf]: copyOfValue(pointId, group.CreationTime) },
        });
      },
    });
    return { state: "preparing", note: `image ${value} of the whole point is being made to copy from` };
  }
  if (source.state === "creating") return { state: "preparing", note: `image ${source.id} of the whole point is being made to copy from` };
  const token = copyToken(pointId, region);
  const own = { [TOKEN_TAG]: token, [TAGS.source]: group.InstanceId ?? cfg?.instanceId ?? "", [TAGS.copyOf]: copyOfValue(pointId, group.CreationTime), [TAGS.origin]: cfg?.origin ?? group.InstanceId ?? "" };
  const carried = cfg ? configTags(cfg, TAG_LIMIT - Object.keys(own).length).tags : {};
  const { value } = await findOrCreate({
    what: `copy of recovery point ${pointId} to ${region}`,
    token,
    retry: home.retry,
    find: async () => (await listImagesByTag(dest, TOKEN_TAG, [token])).filter((i) => i.Status !== "error").map((i) => ({ id: i.ImageId, createdAt: i.CreatedAt })),
    discard: (id) => deleteImage(dest, id),
    create: async () => {
      await ensureQuota(dest, `copy could be made of recovery point ${pointId}`);
      return copyImage(home, { imageId: source.id, destinationRegion: region, imageName: `recovery-copy-${pointId}`.slice(0, 128), description: `Copy of recovery point ${pointId} from ${home.region}`, tags: { ...own, ...carried } });
    },
  });
  return { state: "copying", copyId: value };
}

/**
 * Relaunches from the newest available copy of `config`'s line in `policy.region`, at
 * `policy.relaunch` (zone, subnet and security groups of that region), once per token. Reads only the
 * destination region: the home region may be gone.
 */
export async function relaunchFromCopy(
  home: VolcengineClient,
  config: InstanceConfig,
  policy: RegionCopyPolicy,
  o: { token: string; ctx: CallContext; timeoutMs: number },
): Promise<{ replacementId: string; imageId: string; placement: Placement; pointCreatedAt: string; note: string }> {
  const at = policy.relaunch;
  if (!at) throw new Error(`recovery.copyToRegion.relaunch is not set: a copy in ${policy.region} cannot be relaunched without a zone, subnet and security groups of that region`);
  const dest = home.forRegion(policy.region);
  const copies = (await listImagesByTag(dest, TAGS.copyOf))
    .filter((img) => tagMap(img.Tags)[TOKEN_TAG] === copyToken(parseCopyOf(tagMap(img.Tags)[TAGS.copyOf]).pointId, policy.region))
    .map((img) => ({ img, copy: regionCopyOf(img, policy.region) }))
    .filter(({ copy }) => copy.state === "available" && (copy.origin === config.origin || copy.sourceInstanceId === config.instanceId))
    .sort((a, b) => (b.copy.pointCreatedAt ?? b.copy.createdAt).localeCompare(a.copy.pointCreatedAt ?? a.copy.createdAt));
  const newest = copies[0];
  if (!newest) throw new Error(`no available copy of ${config.instanceId}'s recovery points in ${policy.region} to relaunch from`);
  const cfg = configFromTags(tagMap(newest.img.Tags)) ?? config;
  const system = cfg.volumes.find((v) => v.kind === "system");
  const data = cfg.volumes.filter((v) => v.kind === "data");
  const dataSnaps = (newest.img.Snapshots ?? []).filter((s) => s.VolumeKind === "data");
  const policyHere = cfg.policyTag ? policyFromTags({ [TAGS.policy]: cfg.policyTag }) : undefined;
  // The replacement stays protected in its new region, without a copy to itself.
  const carriedPolicy = policyHere ? encodePolicy({ ...policyHere, copy: undefined, fallbacks: undefined }) : undefined;
  const placement: Placement = { region: policy.region, zoneId: at.zoneId, subnetId: at.subnetId, instanceTypeId: at.instanceTypeId ?? cfg.instanceTypeId };
  const { instanceId } = await launchInstance(
    dest,
    {
      zoneId: at.zoneId,
      imageId: newest.img.ImageId,
      instanceTypeId: placement.instanceTypeId!,
      subnetId: at.subnetId,
      securityGroupIds: at.securityGroupIds,
      spotStrategy: cfg.spotStrategy === "SpotWithPriceLimit" ? "SpotWithPriceLimit" : cfg.spotStrategy === "NoSpot" ? "NoSpot" : "SpotAsPriceGo",
      spotPriceLimit: cfg.spotPriceLimit,
      instanceName: cfg.instanceName,
      hostname: cfg.hostname,
      description: cfg.description,
      keyPairName: cfg.keyPairName,
      keepImageCredential: cfg.keyPairName ? undefined : true,
      userDataBase64: cfg.userData,
      systemVolume: { volumeType: system?.volumeType ?? "ESSD_PL0", size: Math.max(system?.size ?? 40, newest.img.Size ?? 0) },
      // A data volume the copy holds no snapshot of starts empty, of the same type and size.
      dataVolumes: data.map((v, i) => ({ volumeType: v.volumeType, size: v.size, deleteWithInstance: v.deleteWithInstance, snapshotId: dataSnaps[i]?.SnapshotId })),
      tags: { ...cfg.tags, ...(carriedPolicy ? { [TAGS.policy]: carriedPolicy } : {}), [TAGS.origin]: cfg.origin },
    },
    o.token,
    `replacement of ${config.instanceId} in ${policy.region}`,
  );
  const missing = data.length - Math.min(data.length, dataSnaps.length);
  const note =
    `relaunched in ${policy.region} (${at.zoneId}, ${placement.instanceTypeId}) from copy ${newest.img.ImageId} of recovery point ${newest.copy.pointId}` +
    (missing ? `; the copy carries the system disk only: ${missing} data volume(s) started EMPTY` : data.length ? "; every disk restored" : "");
  return { replacementId: instanceId, imageId: newest.img.ImageId, placement, pointCreatedAt: newest.copy.pointCreatedAt ?? newest.copy.createdAt, note };
}
