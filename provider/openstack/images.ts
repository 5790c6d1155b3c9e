// Finders, status and waiters for Glance images (the backups Nova makes). Glance v2 api-ref
// images-images-v2.inc: an image's additional properties are top-level keys of its JSON and can be
// filtered on directly (`?image_type=backup&instance_uuid=…`); a list without `status` shows active,
// queued and saving images; pages follow the `next` link.
import { CloudError, NotFoundError } from "../core/errors";
import type { OpenStackClient } from "./client";

/** Image properties Nova sets on a backup (nova compute/utils.py create_image, compute/api.py backup). */
export interface Image {
  id: string;
  name: string;
  /** queued, saving, active, killed, deleted, pending_delete, deactivated, uploading, importing. */
  status: string;
  created_at: string;
  updated_at?: string;
  size?: number | null;
  owner?: string;
  image_type?: string;
  backup_type?: string;
  instance_uuid?: string;
  [property: string]: unknown;
}

/** The image, or NotFoundError (404, or deleted). */
export async function findImage(client: OpenStackClient, imageId: string): Promise<Image> {
  try {
    const { body } = await client.image<Image>("GET", `/images/${encodeURIComponent(imageId)}`, { action: "GET /v2/images/{id}" });
    if (body.status === "deleted" || body.status === "pending_delete") throw new NotFoundError("image", imageId, body.status);
    return body;
  } catch (err) {
    if (err instanceof CloudError && err.httpStatus === 404) throw new NotFoundError("image", imageId, "no such image");
    throw err;
  }
}

/** Images matching property filters, every page, newest first (Glance's default sort is created_at desc). */
export async function listImages(client: OpenStackClient, filters: Record<string, string | undefined>): Promise<Image[]> {
  const out: Image[] = [];
  let marker: string | undefined;
  for (;;) {
    const { body } = await client.image<{ images: Image[]; next?: string }>("GET", "/images", { query: { ...filters, limit: 100, marker, sort: "created_at:desc,id:desc" }, action: "GET /v2/images" });
    out.push(...body.images);
    if (!body.next || !body.images.length) return out;
    marker = body.images[body.images.length - 1].id;
  }
}

/** The backups Nova made of a server (image_type=backup, instance_uuid), of one type or all, newest first. */
export function listBackups(client: OpenStackClient, serverId: string, o: { backupType?: string; extra?: Record<string, string> } = {}): Promise<Image[]> {
  return listImages(client, { image_type: "backup", instance_uuid: serverId, backup_type: o.backupType, ...o.extra });
}

/** DELETE /v2/images/{id}; an image already gone is deleted. */
export async function deleteImage(client: OpenStackClient, imageId: string): Promise<void> {
  try {
    await client.image("DELETE", `/images/${encodeURIComponent(imageId)}`, { action: "DELETE /v2/images/{id}" });
  } catch (err) {
    if (err instanceof CloudError && err.httpStatus === 404) return;
    throw err;
  }
}
