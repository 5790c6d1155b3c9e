// Finders, status and waiters for custom images.
// DescribeImages without Status.N lists only `available` images (API-NOTES "Corrections"), so every
// lookup here asks for every status: a new image (`creating`) must not read as "disappeared".
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { VolcengineClient } from "./client";
import { tagList, type Tag } from "./tags";

/** The image statuses (DescribeImages Status.N: available | creating | error). */
export const IMAGE_STATUSES = ["available", "creating", "error"] as const;
/** A region holds at most 50 custom images (CreateImage, docs 6396/132240). */
export const CUSTOM_IMAGE_QUOTA = 50;

/** The region's custom-image quota is full: no image can be made there until some are deleted. */
export class ImageQuotaError extends Error {}

/** ImageForDescribeImagesOutput (the fields we use). */
export interface Image {
  ImageId: string;
  ImageName: string;
  Status: (typeof IMAGE_STATUSES)[number];
  Description?: string;
  Visibility?: string;
  Size?: number;
  CreatedAt?: string;
  OsType?: string;
  Platform?: string;
  Snapshots?: { SnapshotId: string; VolumeKind: string; Size: number }[];
  Tags?: Tag[];
}

export async function findImage(client: VolcengineClient, imageId: string): Promise<Image> {
  const res = await client.ecs<{ Images?: Image[] }>("DescribeImages", { ImageIds: [imageId], Status: [...IMAGE_STATUSES] });
  const image = res.Images?.find((i) => i.ImageId === imageId);
  if (!image) throw new NotFoundError("image", imageId, "in no status");
  return image;
}

/** Private images matching a tag, in every status, every page. */
export async function listImagesByTag(client: VolcengineClient, key: string, values?: string[]): Promise<Image[]> {
  return listPrivateImages(client, [{ Key: key, Values: values }]);
}

/** How many custom images the region holds (they count against CUSTOM_IMAGE_QUOTA whatever their status). */
export async function countCustomImages(client: VolcengineClient): Promise<number> {
  return (await listPrivateImages(client, undefined)).length;
}

async function listPrivateImages(client: VolcengineClient, tagFilters: { Key: string; Values?: string[] }[] | undefined): Promise<Image[]> {
  const out: Image[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.ecs<{ Images?: Image[]; NextToken?: string }>("DescribeImages", {
      Status: [...IMAGE_STATUSES],
      TagFilters: tagFilters,
      Visibility: "private",
      MaxResults: 100,
      NextToken: nextToken,
    });
    out.push(...(res.Images ?? []));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

/**
 * CreateImage from a system-volume snapshot (CreateImage takes exactly one of InstanceId, SnapshotId,
 * SnapshotGroupId; docs 6396/132240). No ClientToken: callers go through findOrCreate with a token tag.
 */
export async function createImage(
  client: VolcengineClient,
  req: { source: { SnapshotId: string } | { SnapshotGroupId: string } | { InstanceId: string; CreateWholeImage?: boolean }; imageName: string; description?: string; tags: Record<string, string> },
): Promise<string> {
  const res = await client.ecs<{ ImageId: string }>(
    "CreateImage",
    { ...req.source, ImageName: req.imageName, Description: req.description, Tags: tagList(req.tags) },
    { safe: false }, // no ClientToken: the caller's findOrCreate retries, looking first
  );
  return res.ImageId;
}

/**
 * CopyImage to another region of the account (volcenginesdkecs CopyImageRequest: ImageId, ImageName,
 * DestinationRegion required; CopyImageTags, Description, ProjectName, Tags) → the copy's ImageId in the
 * destination. No ClientToken: callers go through findOrCreate with a token tag on the copy.
 */
export async function copyImage(client: VolcengineClient, req: { imageId: string; destinationRegion: string; imageName: string; description?: string; tags: Record<string, string> }): Promise<string> {
  const res = await client.ecs<{ ImageId: string }>(
    "CopyImage",
    { ImageId: req.imageId, DestinationRegion: req.destinationRegion, ImageName: req.imageName, Description: req.description, Tags: tagList(req.tags) },
    { safe: false },
  );
  return res.ImageId;
}

export function waitImageAvailable(client: VolcengineClient, imageId: string, o: { timeoutMs: number; clock?: Clock; signal?: AbortSignal }): Promise<Image> {
  return waitUntil<Image | undefined>({
    what: `image ${imageId} to be available`,
    poll: () => orUndefined(findImage(client, imageId)),
    done: (i) => i?.Status === "available",
    failed: (i) => (i === undefined ? "the cloud no longer lists it in any status" : i.Status === "error" ? "the cloud reports status error (the source may have gone mid-copy)" : undefined),
    state: (i) => i?.Status ?? "gone",
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    signal: o.signal,
  }) as Promise<Image>;
}

/**
 * DeleteImages answers per item (OperationDetails); a missing image is already deleted.
 * `keepSnapshots`: an image made from a snapshot group's system snapshot leaves that snapshot to the group.
 */
export async function deleteImage(client: VolcengineClient, imageId: string, opts: { keepSnapshots?: boolean } = {}): Promise<void> {
  const res = await client.ecs<{ OperationDetails?: { ImageId: string; Error?: { Code: string; Message: string } }[] }>(
    "DeleteImages",
    { ImageIds: [imageId], DeleteBindedSnapshots: opts.keepSnapshots ? false : undefined },
    { safe: true }, // deleting twice is harmless: the second answers InvalidImage.NotFound, taken as done
  );
  const failure = res.OperationDetails?.find((d) => d.ImageId === imageId && d.Error);
  if (failure?.Error && failure.Error.Code !== "InvalidImage.NotFound") {
    throw new CloudError({ cloud: "volcengine", action: "DeleteImages", code: failure.Error.Code, message: failure.Error.Message });
  }
}

/** Until the image is no longer `creating` (DeleteImages refuses one that is: InvalidImageStatus). */
export async function waitImageSettled(client: VolcengineClient, imageId: string, timeoutMs: number): Promise<void> {
  await waitUntil({
    what: `image ${imageId} to finish being made`,
    poll: () => orUndefined(findImage(client, imageId)),
    done: (i) => i === undefined || i.Status !== "creating",
    state: (i) => i?.Status,
    timeoutMs,
  });
}

export async function waitImageGone(client: VolcengineClient, imageId: string, timeoutMs: number): Promise<void> {
  await waitUntil({
    what: `image ${imageId} to be deleted`,
    poll: () => orUndefined(findImage(client, imageId)),
    done: (i) => i === undefined,
    state: (i) => i?.Status,
    timeoutMs,
  });
}
