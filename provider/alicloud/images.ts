// Finders, status and waiters for custom images (ECS 2014-05-26 CreateImage, DescribeImages, DeleteImage,
// DeleteSnapshot). From the SDK models' documentation (@alicloud/ecs20140526):
// - CreateImage with InstanceId: "a new snapshot is created for each disk of the instance" (system and
//   data disks: the image holds every disk, DiskDeviceMappings), ClientToken supported; the instance must
//   be Running or Stopped.
// - DescribeImages Status "Default value: Available": every lookup here asks for every status, so a new
//   (Creating) image never reads as "disappeared". Several statuses are comma-separated.
// - DeleteImage leaves the image's snapshots ("the snapshot cannot be deleted [until] the custom image"
//   is): a point is deleted with its snapshots, Force on both (images and disks of a line use them).
import type { Clock } from "../core/clock";
import { NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { AlicloudClient } from "./client";
import { tagParams, type AcsTags } from "./tags";

/** Every status DescribeImages knows (DescribeImagesRequest.status), for lookups that must see all. */
export const ALL_STATUSES = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated";

/** DescribeImagesResponseBodyImagesImage (the fields we use). */
export interface Image {
  ImageId: string;
  ImageName?: string;
  Status: string;
  Progress?: string;
  Size?: number;
  CreationTime?: string;
  OSType?: string;
  DiskDeviceMappings?: { DiskDeviceMapping?: { SnapshotId?: string; Device?: string; Type?: string; Size?: string }[] };
  Tags?: AcsTags;
}

/** Creating/Waiting → creating; Available → available; anything else (CreateFailed, UnAvailable, …) → failed. */
export function imageState(status: string): "creating" | "available" | "failed" {
  if (status === "Creating" || status === "Waiting") return "creating";
  return status === "Available" ? "available" : "failed";
}

export async function findImage(client: AlicloudClient, imageId: string): Promise<Image> {
  const res = await client.call<{ Images?: { Image?: Image[] } }>("ecs", "DescribeImages", { ImageId: imageId, Status: ALL_STATUSES, ImageOwnerAlias: "self" });
  const image = res.Images?.Image?.find((i) => i.ImageId === imageId);
  if (!image) throw new NotFoundError("image", imageId, "in no status");
  return image;
}

/** Custom images carrying tag `key` (with `value`, when given), in every status, every page, newest first. */
export async function listImagesByTag(client: AlicloudClient, key: string, value?: string): Promise<Image[]> {
  const out: Image[] = [];
  for (let page = 1; ; page++) {
    // PageSize: "Maximum value: 100".
    const res = await client.call<{ Images?: { Image?: Image[] }; TotalCount?: number }>("ecs", "DescribeImages", {
      Status: ALL_STATUSES,
      ImageOwnerAlias: "self",
      "Tag.1.Key": key,
      ...(value !== undefined ? { "Tag.1.Value": value } : {}),
      PageNumber: page,
      PageSize: 100,
    });
    const got = res.Images?.Image ?? [];
    out.push(...got);
    if (got.length < 100 || page * 100 >= (res.TotalCount ?? 0)) break;
  }
  return out.sort((a, b) => (b.CreationTime ?? "").localeCompare(a.CreationTime ?? ""));
}

/** CreateImage of a whole instance (every disk). Not retried by the client: findOrCreate retries after a look. */
export async function createImageOfInstance(client: AlicloudClient, req: { instanceId: string; imageName: string; description?: string; tags: Record<string, string>; clientToken: string }): Promise<string> {
  const res = await client.call<{ ImageId: string }>(
    "ecs",
    "CreateImage",
    { InstanceId: req.instanceId, ImageName: req.imageName, Description: req.description, ClientToken: req.clientToken, ...tagParams(req.tags) },
    { safe: false },
  );
  return res.ImageId;
}

export function waitImageAvailable(client: AlicloudClient, imageId: string, o: { timeoutMs: number; clock?: Clock; signal?: AbortSignal }): Promise<Image> {
  return waitUntil<Image | undefined>({
    what: `image ${imageId} to be Available`,
    poll: () => orUndefined(findImage(client, imageId)),
    done: (i) => i?.Status === "Available",
    failed: (i) => (i === undefined ? "the cloud no longer lists it in any status" : imageState(i.Status) === "failed" ? `the cloud reports status ${i.Status}` : undefined),
    state: (i) => i?.Status ?? "gone",
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    signal: o.signal,
  }) as Promise<Image>;
}

/** The snapshots an image is made of (one per disk). */
export const snapshotsOf = (image: Image) => (image.DiskDeviceMappings?.DiskDeviceMapping ?? []).map((d) => d.SnapshotId).filter((s): s is string => Boolean(s));

/**
 * Deletes an image and the snapshots it was made of. Both calls ignore what is already gone ("If the
 * specified custom image does not exist, the request is ignored"; DeleteSnapshot likewise), so a retry
 * after a crash finishes the job. Force: a replacement launched from the image, and its disks made from
 * the snapshots, keep running (they only lose re-initialisation from them).
 */
export async function deleteImageAndSnapshots(client: AlicloudClient, imageId: string): Promise<void> {
  const image = await orUndefined(findImage(client, imageId));
  if (image) await client.call("ecs", "DeleteImage", { ImageId: imageId, Force: true }, { safe: true });
  for (const s of image ? snapshotsOf(image) : []) await client.call("ecs", "DeleteSnapshot", { SnapshotId: s, Force: true }, { safe: true, regionParam: null });
}
