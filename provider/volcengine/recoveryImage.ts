// RecoveryImage: a recovery point of every disk of an instance — a snapshot group of all its volumes,
// and a custom image of the system-volume snapshot — awaited until available. With `wholeImage` (an
// invitation-only account feature) it is one CreateImage with CreateWholeImage instead.
//
// With `imageEvery` it is a schedule (imageSchedules.ts): the first point is taken at create, the
// recovery controller (`watch --once`, `serve`) takes one more whenever the newest is `imageEvery` old
// and keeps `keepImages`. Its id is then the schedule's (`schedule-…`), never an image id, and its
// outputs follow the newest image; without `imageEvery` the id is the image id, exactly as before.
import { z } from "zod";
import { volcengineConnection } from "../config";
import { checkResource, duration, timeoutsSchema, UNKNOWN } from "../core/check";
import { describeFailure, orUndefined } from "../core/errors";
import { diffInputs, partialResource, pickInputs, type HandlerContext, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import { parseDuration } from "../core/waiter";
import { originOf, RESERVED_IMAGE_TAGS, TAGS, userTags } from "../recovery/policy";
import { VolcengineClient } from "./client";
import { createImage, deleteImage, findImage, listImagesByTag, waitImageAvailable, waitImageGone, waitImageSettled, type Image } from "./images";
import { findInstance, listInstances, startInstance, stopInstance } from "./instances";
import { volumesOf } from "./volumes";
import { description, resourceName } from "./names";
import { deletePoint, imageOfPoint, instanceConfig, launchFromPoint, takePoint } from "./recoveryPoint";
import type { RecoveryImageOutputs } from "./resources";
import { findSnapshotGroup, waitSnapshotGroup, type SnapshotGroup } from "./snapshots";
import { deleteScheduledPoint, listSchedules, retagSchedule, SCHEDULE_ID, scheduleIdOf, scheduleTagValue, type ScheduleView } from "./imageSchedules";
import { configFromTags, pointImageToken } from "./recoveryPoint";
import { userTagsSchema } from "./spotInstance/schema";
import { TAG_LIMIT, syncTags, tagMap } from "./tags";

export const recoveryImageSchema = z
  .object({
    instanceId: z.string({ message: "instanceId is required: the instance to take the recovery point of" }).regex(/^i-[\w-]+$/, 'instanceId must be an instance id such as "i-abc123"'),
    imageName: resourceName("imageName"),
    description: description("description").optional(),
    wholeImage: z.boolean().optional(),
    tags: userTagsSchema(TAG_LIMIT - RESERVED_IMAGE_TAGS).optional(),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-beijing"').optional(),
    adoptImageId: z.string().regex(/^image-[\w-]+$/, 'adoptImageId must be an image id such as "image-abc123"').optional(),
    imageEvery: duration("imageEvery", { min: "1h" }).optional(),
    keepImages: z.number().int("keepImages is a whole number").min(1, "keepImages is at least 1").max(10, "keepImages is at most 10 (each is a custom image, and a region holds 50)").optional(),
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (v.keepImages !== undefined && v.imageEvery === undefined) issue("keepImages", 'keepImages applies only to a schedule: set imageEvery (e.g. "6h") too, or remove keepImages');
    if (v.imageEvery !== undefined && v.wholeImage) issue("imageEvery", "a scheduled RecoveryImage takes recovery points of every disk: remove wholeImage");
    if (v.imageEvery !== undefined && v.adoptImageId) issue("imageEvery", "a scheduled RecoveryImage makes its own images: remove adoptImageId");
    if (v.imageEvery !== undefined && v.tags && Object.keys(v.tags).length > TAG_LIMIT - RESERVED_IMAGE_TAGS - 1) issue("tags", `a scheduled RecoveryImage takes at most ${TAG_LIMIT - RESERVED_IMAGE_TAGS - 1} tags (its images keep one more for the schedule)`);
  });

/** keepImages when a schedule does not say. */
const DEFAULT_KEEP = 3;

export type RecoveryImageInputs = z.infer<typeof recoveryImageSchema>;
type Props = RecoveryImageInputs & RecoveryImageOutputs;
const INPUT_KEYS = Object.keys(recoveryImageSchema.shape);
const REPLACE_KEYS = ["instanceId", "imageName", "description", "wholeImage", "region", "adoptImageId"];
const DEFAULT_CREATE_MS = 60 * 60_000; // big disks take a long time (35 minutes has been reported)
const DEFAULT_DELETE_MS = 10 * 60_000;

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => VolcengineClient.for(volcengineConnection(ctx.config, inputs.region));
const label = (p: { imageName?: string }, id?: string) => `RecoveryImage ${p.imageName ?? id ?? ""}`.trim();

function outputsFor(inputs: Record<string, any>, image: Image, extra: Partial<RecoveryImageOutputs>): Props {
  const tags = userTags(tagMap(image.Tags));
  return plain({
    dataSnapshots: [],
    ...inputs,
    ...extra,
    tags: inputs.tags === undefined && Object.keys(tags).length === 0 ? undefined : tags,
    imageId: image.ImageId,
    status: image.Status,
    size: image.Size,
    createdAt: image.CreatedAt,
  });
}

const createTokenOf = (inputs: RecoveryImageInputs) =>
  createToken("volcengine:RecoveryImage", inputs.__identity, inputs.__tokenSalt, { instanceId: inputs.instanceId, imageName: inputs.imageName, description: inputs.description, wholeImage: inputs.wholeImage });

/** The point (snapshot group) and its image; returns what the outputs need. */
async function makeRecoveryImage(client: VolcengineClient, inputs: RecoveryImageInputs, timeoutMs: number, made: { groupId?: string; imageId?: string }): Promise<Partial<RecoveryImageOutputs> & { imageId: string }> {
  const token = createTokenOf(inputs);
  const scheduleId = inputs.imageEvery ? scheduleIdOf(token) : undefined;
  const inst = await findInstance(client, inputs.instanceId);
  const tags = { ...(inputs.tags ?? {}), [TAGS.source]: inst.InstanceId };
  if (inputs.wholeImage) {
    // An instance on PTSSD disks must be stopped before CreateImage (docs 6396/132240): stop it for the
    // image and start it again afterwards (the TSDoc of `wholeImage` says so).
    const volumes = await volumesOf(client, inst.InstanceId);
    const mustStop = inst.Status === "RUNNING" && volumes.some((v) => v.VolumeType === "PTSSD");
    if (mustStop) await stopInstance(client, inst.InstanceId, timeoutMs);
    const { value } = await findOrCreate({
      what: `image ${inputs.imageName}`,
      token,
      retry: client.retry,
      find: async () => (await listImagesByTag(client, TOKEN_TAG, [token])).filter((i) => i.Status !== "error").map((i) => ({ id: i.ImageId, createdAt: i.CreatedAt })),
      create: () => createImage(client, { source: { InstanceId: inst.InstanceId, CreateWholeImage: true }, imageName: inputs.imageName, description: inputs.description, tags: { ...tags, [TOKEN_TAG]: token } }),
    });
    made.imageId = value;
    try {
      await waitImageAvailable(client, value, { timeoutMs });
    } finally {
      if (mustStop) await startInstance(client, inst.InstanceId, timeoutMs);
    }
    return { imageId: value, dataSnapshots: [], sourceInstanceId: inst.InstanceId, lineOrigin: originOf(inst.InstanceId, tagMap(inst.Tags)) };
  }
  const cfg = await instanceConfig(client, inst);
  const { groupId } = await takePoint(client, cfg, { kind: scheduleId ? "scheduled" : "manual", token, name: inputs.imageName, ...(scheduleId ? { extraTags: { [TAGS.schedule]: scheduleId } } : {}) });
  made.groupId = groupId;
  const group = await waitSnapshotGroup(client, groupId, { timeoutMs });
  const scheduleTag: Record<string, string> = scheduleId ? { [TAGS.schedule]: scheduleTagValue(scheduleId, inputs.imageEvery!, inputs.keepImages ?? DEFAULT_KEEP) } : {};
  const imageId = await imageOfPoint(client, group, { name: inputs.imageName, tags: { ...(inputs.tags ?? {}), ...scheduleTag }, timeoutMs });
  made.imageId = imageId;
  const { dataVolumes } = launchFromPoint(group, cfg, imageId, undefined);
  return { imageId, snapshotGroupId: groupId, sourceInstanceId: inst.InstanceId, lineOrigin: cfg.origin, dataSnapshots: dataVolumes.map((v) => ({ snapshotId: v.snapshotId!, volumeType: v.volumeType, size: v.size, deleteWithInstance: v.deleteWithInstance ?? true })) };
}

/**
 * A schedule's outputs: those of its newest available image (or its newest image), plus the list. The
 * schedule's interval and count as its images record them (drift is shown and retagged by `up`).
 */
function scheduledOutputs(inputs: Record<string, any>, view: ScheduleView): Props {
  const newest = view.images.find((i) => i.Status === "available") ?? view.images[0];
  const group: SnapshotGroup | undefined = newest && view.groups.find((g) => pointImageToken(g.SnapshotGroupId) === tagMap(newest.Tags)[TOKEN_TAG]);
  const cfg = group && configFromTags(tagMap(group.Tags));
  const available = view.images.filter((i) => i.Status === "available").map((i) => i.ImageId);
  const extra: Partial<RecoveryImageOutputs> = {
    ...(group ? { snapshotGroupId: group.SnapshotGroupId } : {}),
    ...(group && cfg ? { dataSnapshots: launchFromPoint(group, cfg, newest!.ImageId, undefined).dataVolumes.map((v) => ({ snapshotId: v.snapshotId!, volumeType: v.volumeType, size: v.size, deleteWithInstance: v.deleteWithInstance ?? true })) } : {}),
    sourceInstanceId: view.points.find((p) => p.sourceInstanceId)?.sourceInstanceId ?? inputs.sourceInstanceId,
    latestImageId: newest?.ImageId,
    imageIds: available,
    count: available.length,
  };
  const spec = view.every ? { imageEvery: view.every, keepImages: inputs.keepImages === undefined && view.keep === DEFAULT_KEEP ? undefined : view.keep } : {};
  if (!newest) return plain({ dataSnapshots: [], ...inputs, ...extra, ...spec, status: "creating" });
  return outputsFor({ ...inputs, ...spec }, newest, extra);
}

/** Waits out what is still being made, then deletes every point and image of a schedule. */
async function removeSchedule(client: VolcengineClient, view: ScheduleView, timeoutMs: number): Promise<void> {
  for (const p of view.points) {
    if (p.pointId && p.pointState === "creating") await waitSnapshotGroup(client, p.pointId, { timeoutMs, done: (g) => g?.Status === "failed" }).catch(() => undefined);
    if (p.imageId && p.imageState === "creating") await waitImageAvailable(client, p.imageId, { timeoutMs }).catch(() => undefined);
    await deleteScheduledPoint(client, p);
  }
}

async function removeRecoveryImage(client: VolcengineClient, imageId: string | undefined, groupId: string | undefined, timeoutMs: number): Promise<void> {
  // A point's image (found by its token, even when the create failed before it knew the id) goes
  // with the point; an adopted or whole image on its own.
  if (groupId) return deletePoint(client, groupId, timeoutMs);
  if (imageId) {
    await waitImageSettled(client, imageId, timeoutMs);
    await deleteImage(client, imageId);
    await waitImageGone(client, imageId, timeoutMs);
  }
}

/** The newest live instance of the image's line, when its own instance is gone. */
async function successorOf(client: VolcengineClient, props: Props): Promise<{ instanceId?: string }> {
  const origin = props.lineOrigin ?? props.sourceInstanceId ?? props.instanceId;
  const line = await listInstances(client, { tagKey: TAGS.origin, tagValues: [origin] });
  const newest = line.sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
  return newest ? { instanceId: newest.InstanceId } : {};
}

export const recoveryImageHandler: ResourceHandler<RecoveryImageInputs, RecoveryImageOutputs> = {
  async check(olds, news) {
    // A replacement gets a token salt derived from what it replaces, a first create none (core/tokens.ts).
    return checkResource(recoveryImageSchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news, ctx) {
    let d = diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS });
    // A schedule has another kind of id than a single image: adding or removing imageEvery replaces it.
    if ((olds.imageEvery === undefined) !== (news.imageEvery === undefined)) d = { ...d, changes: true, replaces: [...(d.replaces ?? []), "imageEvery"] };
    if (!d.replaces?.includes("instanceId")) return d;
    // The instance was relaunched by the recovery controller and a refresh adopted the replacement: the
    // image is of the same line, so it stays. Unknown during preview (the instance is being updated):
    // not a replacement yet; `up` diffs again with the known id.
    const rest = d.replaces.filter((k) => k !== "instanceId");
    const sameLine =
      news.instanceId === UNKNOWN ||
      (await (async () => {
        const client = clientFor(news, ctx);
        const successor = await orUndefined(findInstance(client, news.instanceId));
        const origin = successor ? originOf(successor.InstanceId, tagMap(successor.Tags)) : undefined;
        return origin !== undefined && [olds.instanceId, olds.sourceInstanceId, olds.lineOrigin].includes(origin);
      })());
    return sameLine ? { ...d, replaces: rest } : d;
  },

  async create(props, ctx) {
    const inputs = recoveryImageSchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    const client = clientFor(inputs, ctx);
    const timeoutMs = parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS;
    if (inputs.adoptImageId) {
      try {
        const image = await orUndefined(findImage(client, inputs.adoptImageId));
        if (!image || image.Visibility === "public") throw new Error(`adoptImageId ${inputs.adoptImageId}: no such custom image in region ${client.region}`);
        return { id: image.ImageId, outs: outputsFor({ ...props, ...inputs }, image, {}) };
      } catch (err) {
        throw describeFailure(name, err);
      }
    }
    const made: { groupId?: string; imageId?: string } = {};
    const scheduleId = inputs.imageEvery ? scheduleIdOf(createTokenOf(inputs)) : undefined;
    try {
      const extra = await makeRecoveryImage(client, inputs, timeoutMs, made);
      if (scheduleId) {
        const [view] = await listSchedules(client, scheduleId);
        return { id: scheduleId, outs: scheduledOutputs({ ...props, ...inputs, ...extra }, view) };
      }
      return { id: extra.imageId, outs: outputsFor({ ...props, ...inputs }, await findImage(client, extra.imageId), extra) };
    } catch (err) {
      const why = describeFailure(name, err).message;
      if (!made.groupId && !made.imageId) throw new Error(why);
      try {
        await removeRecoveryImage(client, made.imageId, made.groupId, DEFAULT_DELETE_MS);
      } catch (cleanupErr) {
        // Still being made (cannot be deleted yet): keep it in state so `up`/`destroy` can finish the job.
        const id = scheduleId ?? made.imageId ?? made.groupId!;
        throw partialResource(id, plain({ ...props, ...inputs, imageId: made.imageId, snapshotGroupId: made.groupId, status: "unknown", dataSnapshots: [] }), [why, `cleanup failed: ${describeFailure(name, cleanupErr).message}`]);
      }
      throw new Error(`${why} (what it made first was deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      if (SCHEDULE_ID.test(id)) {
        // Gone only when nothing of the schedule is left in the cloud (pruning always keeps the newest).
        const [view] = await listSchedules(client, id);
        if (!view || view.points.length === 0) return { id: "", props: {} as Props };
        const follow = (await orUndefined(findInstance(client, props.instanceId))) ? {} : await successorOf(client, props);
        return { id, props: scheduledOutputs({ ...props, ...follow }, view) };
      }
      // A partial resource whose image was never made is tracked by its snapshot group.
      if (id.startsWith("sg-")) return (await orUndefined(findSnapshotGroup(client, id))) ? { id, props } : { id: "", props: {} as Props };
      const image = await orUndefined(findImage(client, id));
      if (!image) return { id: "", props: {} as Props };
      // The instance was relaunched by the recovery controller: record its successor, so that the next
      // diff against the program (whose instanceId now reads the successor) finds nothing to do.
      const follow = (await orUndefined(findInstance(client, props.instanceId))) ? {} : await successorOf(client, props);
      return { id, props: outputsFor({ ...props, ...follow }, image, {}) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = recoveryImageSchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      if (SCHEDULE_ID.test(id)) {
        // The interval, the count and the user tags live on the schedule's images: retag them all.
        const [view] = await listSchedules(client, id);
        if (!view) throw new Error(`schedule ${id} has no recovery image left in region ${client.region}: run \`pulumi refresh\`, then \`pulumi up\``);
        await retagSchedule(client, view, inputs.imageEvery!, inputs.keepImages ?? DEFAULT_KEEP, olds.tags ?? {}, inputs.tags ?? {});
        const [after] = await listSchedules(client, id);
        return { outs: scheduledOutputs({ ...olds, ...news, ...inputs }, after ?? view) };
      }
      await syncTags(client, "image", id, olds.tags ?? {}, inputs.tags ?? {});
      return { outs: outputsFor({ ...olds, ...news, ...inputs }, await findImage(client, id), {}) };
    } catch (err) {
      throw describeFailure(label(inputs, id), err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      if (SCHEDULE_ID.test(id)) {
        const [view] = await listSchedules(client, id);
        const timeoutMs = parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS;
        if (view) return await removeSchedule(client, view, timeoutMs);
        return await removeRecoveryImage(client, props.imageId, props.snapshotGroupId, timeoutMs);
      }
      const imageId = id.startsWith("image-") ? id : props.imageId;
      await removeRecoveryImage(client, imageId, props.adoptImageId ? undefined : props.snapshotGroupId, parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
