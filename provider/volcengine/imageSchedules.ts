// Scheduled RecoveryImages (imageEvery + keepImages): the cloud, not Pulumi state, holds the schedule.
// Each of its recovery points (snapshot groups) carries `pulumi-recovery:schedule = <id>`, each of its
// images `<id> every=6h keep=3` (images can be retagged in place with CreateTags; groups cannot), so the
// controller finds every schedule of a region with two calls and a RecoveryImage reads its images back
// by its own stable id — never as deleted because its first image was pruned.
import { orUndefined } from "../core/errors";
import { TOKEN_TAG } from "../core/tokens";
import { parseDuration } from "../core/waiter";
import type { ImageSchedule, ScheduledPoint } from "../recovery/cloud";
import { originOf, TAGS, userTags } from "../recovery/policy";
import type { VolcengineClient } from "./client";
import { deleteImage, listImagesByTag, type Image } from "./images";
import { findInstance, listInstances, type Instance } from "./instances";
import { deletePoint, imageOfPoint, instanceConfig, pointImageToken, takePoint } from "./recoveryPoint";
import { findSnapshotGroup, listSnapshotGroups, type SnapshotGroup } from "./snapshots";
import { syncTags, tagMap } from "./tags";

export const SCHEDULE_ID = /^schedule-[0-9a-f]{20}$/;

/** A schedule's id: stable for the resource (derived from its create token), never an image id. */
export const scheduleIdOf = (createToken: string) => `schedule-${createToken.slice(2, 22)}`;

export const scheduleTagValue = (id: string, every: string, keep: number) => `${id} every=${every} keep=${keep}`;

export function parseScheduleTag(value: string | undefined): { id: string; every?: string; keep?: number } | undefined {
  if (!value) return undefined;
  const [id, ...fields] = value.split(" ");
  if (!SCHEDULE_ID.test(id)) return undefined;
  const f = Object.fromEntries(fields.map((x) => [x.slice(0, x.indexOf("=")), x.slice(x.indexOf("=") + 1)]));
  const keep = Number(f.keep);
  return { id, ...(f.every && parseDuration(f.every) ? { every: f.every } : {}), ...(Number.isInteger(keep) && keep > 0 ? { keep } : {}) };
}

const STATE: Record<string, ScheduledPoint["pointState"]> = { available: "available", creating: "creating", failed: "failed", error: "failed" };

export interface ScheduleView extends ImageSchedule {
  /** The schedule's images, newest first (every status). */
  images: Image[];
  groups: SnapshotGroup[];
}

/** Every schedule of the region (or one), from its points and images: two calls, whatever their number. */
export async function listSchedules(client: VolcengineClient, onlyId?: string): Promise<ScheduleView[]> {
  const [images, groups] = await Promise.all([
    listImagesByTag(client, TAGS.schedule),
    listSnapshotGroups(client, { tagKey: TAGS.schedule, tagValues: onlyId ? [onlyId] : undefined }),
  ]);
  const byId = new Map<string, { images: Image[]; groups: SnapshotGroup[] }>();
  const entry = (id: string) => byId.get(id) ?? byId.set(id, { images: [], groups: [] }).get(id)!;
  for (const img of images) {
    const tag = parseScheduleTag(tagMap(img.Tags)[TAGS.schedule]);
    if (tag && (!onlyId || tag.id === onlyId)) entry(tag.id).images.push(img);
  }
  for (const g of groups) {
    const id = tagMap(g.Tags)[TAGS.schedule];
    if (id && SCHEDULE_ID.test(id)) entry(id).groups.push(g);
  }
  const out: ScheduleView[] = [];
  for (const [id, { images: imgs, groups: gs }] of byId) {
    imgs.sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""));
    // The spec is on the images (retagged in place); the newest that carries one wins.
    const spec = imgs.map((i) => parseScheduleTag(tagMap(i.Tags)[TAGS.schedule])).find((t) => t?.every && t.keep);
    // A schedule whose first image was never made (a create that failed midway) is only found by its id.
    if ((!spec?.every || !spec.keep) && !onlyId) continue;
    const imageOf = new Map(imgs.map((i) => [tagMap(i.Tags)[TOKEN_TAG], i]));
    const points: ScheduledPoint[] = gs.map((g) => {
      const img = imageOf.get(pointImageToken(g.SnapshotGroupId));
      if (img) imageOf.delete(pointImageToken(g.SnapshotGroupId));
      return {
        pointId: g.SnapshotGroupId,
        pointState: STATE[g.Status] ?? "creating",
        ...(img ? { imageId: img.ImageId, imageState: STATE[img.Status] ?? "creating" } : {}),
        createdAt: g.CreationTime ?? "",
        sourceInstanceId: tagMap(g.Tags)[TAGS.source] ?? g.InstanceId ?? "",
      };
    });
    // Images whose point is gone (deleted behind our back) still count as images of the schedule.
    for (const img of imageOf.values()) points.push({ imageId: img.ImageId, imageState: STATE[img.Status] ?? "creating", createdAt: img.CreatedAt ?? "", sourceInstanceId: tagMap(img.Tags)[TAGS.source] ?? "" });
    points.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    out.push({ id, every: spec?.every ?? "", keep: spec?.keep ?? 0, points, images: imgs, groups: gs });
  }
  return out;
}

/** The instance to take the next point of: the schedule's own, or the newest member of its line after a recovery. */
async function sourceOf(client: VolcengineClient, schedule: ImageSchedule, views: SnapshotGroup[]): Promise<Instance> {
  const newest = schedule.points.find((p) => p.sourceInstanceId);
  if (!newest) throw new Error(`schedule ${schedule.id} has no recovery point to tell its instance`);
  const inst = await orUndefined(findInstance(client, newest.sourceInstanceId));
  if (inst) return inst;
  const group = views.find((g) => g.SnapshotGroupId === newest.pointId);
  const origin = group ? originOf(newest.sourceInstanceId, tagMap(group.Tags)) : newest.sourceInstanceId;
  const line = (await listInstances(client, { tagKey: TAGS.origin, tagValues: [origin] })).sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""));
  if (!line[0]) throw new Error(`instance ${newest.sourceInstanceId} of schedule ${schedule.id} is gone and no instance of its line remains: no new recovery image until it is back`);
  return line[0];
}

/** Starts a new point of the schedule's instance, once per token (the controller's bucket of the interval). */
export async function takeScheduledPoint(client: VolcengineClient, schedule: ScheduleView | ImageSchedule, token: string): Promise<string> {
  const view = "groups" in schedule ? schedule : (await listSchedules(client, schedule.id))[0];
  const inst = await sourceOf(client, schedule, view?.groups ?? []);
  const cfg = await instanceConfig(client, inst);
  const name = view?.images[0]?.ImageName ?? `scheduled-${inst.InstanceId}`;
  return (await takePoint(client, cfg, { kind: "scheduled", token, name, extraTags: { [TAGS.schedule]: schedule.id } })).groupId;
}

/** Starts the image of a ready point, with the schedule's tags and the user tags of its newest image. */
export async function finishScheduledPoint(client: VolcengineClient, schedule: ScheduleView | ImageSchedule, pointId: string, o: { wait?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const view = "images" in schedule ? schedule : (await listSchedules(client, schedule.id))[0];
  const newest = view?.images[0];
  const group = await findSnapshotGroup(client, pointId);
  return imageOfPoint(client, group, {
    name: newest?.ImageName ?? `scheduled-${group.InstanceId}`,
    tags: { ...userTags(tagMap(newest?.Tags)), [TAGS.schedule]: scheduleTagValue(schedule.id, schedule.every, schedule.keep) },
    timeoutMs: o.timeoutMs ?? 60 * 60_000,
    wait: o.wait ?? false,
  });
}

/** A point and its image, or an image whose point is gone. */
export async function deleteScheduledPoint(client: VolcengineClient, point: ScheduledPoint): Promise<void> {
  if (point.pointId) return deletePoint(client, point.pointId);
  if (point.imageId) await deleteImage(client, point.imageId);
}

/** Retags every image of a schedule with a new interval / count / user tags (one CreateTags per image). */
export async function retagSchedule(client: VolcengineClient, view: ScheduleView, every: string, keep: number, olds: Record<string, string>, news: Record<string, string>): Promise<void> {
  for (const img of view.images) {
    await syncTags(client, "image", img.ImageId, { ...olds, [TAGS.schedule]: tagMap(img.Tags)[TAGS.schedule] }, { ...news, [TAGS.schedule]: scheduleTagValue(view.id, every, keep) });
  }
}
