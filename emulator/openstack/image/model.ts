// Glance state: images with their (flat) properties and the simulated disk content they hold. A backup
// Nova makes is created queued, turns saving while it uploads and active when done; its status is derived
// from the emulated clock (glance api-ref images-images-v2.inc image statuses: queued, saving, active,
// killed, deleted, …).
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../../clock";
import { GlanceError, ImageNotFound } from "../errors";

export type Files = Record<string, string>;

export interface Image {
  id: string;
  name: string;
  owner: string;
  visibility: "public" | "private" | "shared" | "community";
  protected: boolean;
  diskFormat: string;
  containerFormat: string;
  minDisk: number;
  minRam: number;
  /** Bytes once the data is there (null while queued or saving). */
  size: number;
  createdAt: number;
  updatedAt: number;
  /** Additional properties (image_type, backup_type, instance_uuid, …), flat strings as Glance keeps them. */
  properties: Record<string, string>;
  tags: string[];
  /** The disk content the image holds: path → content. */
  files: Files;
  /** For images Nova uploads: saving from savingAt, active from activeAt. */
  upload?: { savingAt: number; activeAt: number };
  killed?: boolean;
}

export type ImageStatus = "queued" | "saving" | "active" | "killed";

export const CIRROS_IMAGE_ID = "0c2bd5e8-3f1a-4b7e-9d6c-2a1b0c9d8e7f";
export const RESCUE_IMAGE_ID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";

export class ImageModel {
  images = new Map<string, Image>();

  constructor(
    private readonly clock: Clock,
    private readonly adminProjectId: string,
  ) {
    this.seed();
  }

  reset(): void {
    this.images.clear();
    this.seed();
  }

  private seed(): void {
    const now = this.clock.now();
    const base = { owner: this.adminProjectId, visibility: "public" as const, protected: false, diskFormat: "qcow2", containerFormat: "bare", minDisk: 0, minRam: 0, createdAt: now, updatedAt: now, tags: [] };
    this.images.set(CIRROS_IMAGE_ID, {
      ...base,
      id: CIRROS_IMAGE_ID,
      name: "cirros",
      size: 21_430_272,
      properties: { os_distro: "cirros", hw_rng_model: "virtio" },
      files: { "/etc/os-release": 'NAME="CirrOS"\nVERSION="0.6.2"\n', "/etc/hostname": "cirros\n" },
    });
    this.images.set(RESCUE_IMAGE_ID, {
      ...base,
      id: RESCUE_IMAGE_ID,
      name: "rescue",
      size: 21_430_272,
      properties: { os_distro: "cirros", hw_rescue_device: "disk", hw_rescue_bus: "virtio" },
      files: { "/etc/os-release": 'NAME="CirrOS rescue"\nVERSION="0.6.2"\n', "/etc/hostname": "rescue\n" },
    });
  }

  status(img: Image): ImageStatus {
    if (img.killed) return "killed";
    if (!img.upload) return "active";
    const now = this.clock.now();
    if (now < img.upload.savingAt) return "queued";
    return now < img.upload.activeAt ? "saving" : "active";
  }

  /** Glance image visibility: public and community images, and the project's own. */
  visibleTo(projectId: string): Image[] {
    return [...this.images.values()].filter((i) => i.visibility === "public" || i.visibility === "community" || i.owner === projectId);
  }

  get(id: string, projectId: string): Image {
    const img = this.images.get(id);
    if (!img || !(img.visibility === "public" || img.visibility === "community" || img.owner === projectId)) throw new ImageNotFound(id);
    return img;
  }

  /** glance api-ref DELETE /v2/images/{id}: any status but deleted; not protected; the owner (policy default) only. */
  delete(id: string, projectId: string): void {
    const img = this.get(id, projectId);
    if (img.owner !== projectId) throw new GlanceError(403, "You are not authorized to complete delete_image action.");
    if (img.protected) throw new GlanceError(403, `Image ${id} is protected and cannot be deleted.`);
    this.images.delete(id);
  }

  /** The record Nova makes for a backup (nova compute/utils.py create_image: image_type, instance_uuid, user_id). */
  createForUpload(req: { name: string; owner: string; minDisk: number; minRam: number; properties: Record<string, string>; files: Files; savingAt: number; activeAt: number; baseSize: number }): Image {
    const now = this.clock.now();
    const content = Object.entries(req.files).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    const img: Image = {
      id: randomUUID(),
      name: req.name,
      owner: req.owner,
      visibility: "private",
      protected: false,
      diskFormat: "qcow2",
      containerFormat: "bare",
      minDisk: req.minDisk,
      minRam: req.minRam,
      size: req.baseSize + content,
      createdAt: now,
      updatedAt: now,
      properties: req.properties,
      tags: [],
      files: { ...req.files },
      upload: { savingAt: req.savingAt, activeAt: req.activeAt },
    };
    this.images.set(img.id, img);
    return img;
  }

  checksum(img: Image): string {
    return createHash("md5").update(JSON.stringify(img.files)).digest("hex");
  }

  hash(img: Image): string {
    return createHash("sha512").update(JSON.stringify(img.files)).digest("hex");
  }
}
