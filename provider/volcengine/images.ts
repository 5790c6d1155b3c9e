// Finders, status and waiters for custom images.
import { pollInterval } from "../config";
import { CloudError } from "../core/errors";
import { waitUntil } from "../core/waiter";
import type { EcsClient } from "./client";

export interface Image {
  ImageId: string;
  ImageName: string;
  Status: string; // available | creating | error
  Description?: string;
  Visibility?: string;
  Size?: number;
  CreatedAt?: string;
  OsType?: string;
  Platform?: string;
  InstanceId?: string;
  Snapshots?: unknown[];
  Tags?: { Key: string; Value: string }[];
}

export async function findImage(client: EcsClient, imageId: string): Promise<Image | undefined> {
  const res = await client.call<{ Images?: Image[] }>("DescribeImages", { ImageIds: [imageId] });
  return res.Images?.find((i) => i.ImageId === imageId);
}

/** Images carrying a tag (all pages), e.g. the recovery images of one instance. */
export async function listImagesByTag(client: EcsClient, key: string, value: string): Promise<Image[]> {
  const out: Image[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ Images?: Image[]; NextToken?: string }>("DescribeImages", {
      TagFilters: [{ Key: key, Values: [value] }],
      Visibility: "private",
      MaxResults: 100,
      NextToken: nextToken,
    });
    out.push(...(res.Images ?? []));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

export function waitImageAvailable(client: EcsClient, imageId: string, timeoutMs: number, signal?: AbortSignal): Promise<Image> {
  return waitUntil({
    what: `image ${imageId} to be available`,
    poll: () => findImage(client, imageId),
    done: (i) => i?.Status === "available",
    failed: (i) =>
      i === undefined ? "it disappeared while being created" : i.Status === "error" ? "the cloud reports status error (the source instance may have been released mid-copy)" : undefined,
    state: (i) => i?.Status ?? "gone",
    timeoutMs,
    interval: pollInterval(),
    signal,
  }) as Promise<Image>;
}

/** DeleteImages answers per item; a missing image is already deleted. */
export async function deleteImage(client: EcsClient, imageId: string): Promise<void> {
  const res = await client.call<{ OperationDetails?: { ImageId: string; Error?: { Code: string; Message: string } }[] }>(
    "DeleteImages",
    { ImageIds: [imageId] },
    { safe: true }, // deleting twice is harmless: the second answers InvalidImage.NotFound, taken as done
  );
  const failure = res.OperationDetails?.find((d) => d.ImageId === imageId && d.Error);
  if (failure?.Error && failure.Error.Code !== "InvalidImage.NotFound") {
    throw new CloudError({ cloud: "volcengine", action: "DeleteImages", code: failure.Error.Code, message: failure.Error.Message });
  }
}

export async function waitImageGone(client: EcsClient, imageId: string, timeoutMs: number): Promise<void> {
  await waitUntil({
    what: `image ${imageId} to be deleted`,
    poll: () => findImage(client, imageId),
    done: (i) => i === undefined,
    state: (i) => i?.Status,
    timeoutMs,
    interval: pollInterval(),
  });
}
