// RecoveryImage: a custom image of an instance (CreateImage), awaited until available.
import { createHash } from "node:crypto";
import { z } from "zod";
import { volcengineConnection } from "../config";
import { checkInputs, timeoutsSchema } from "../core/check";
import { describeFailure } from "../core/errors";
import { diffInputs, partialResource, type HandlerContext, type ResourceHandler, pickInputs } from "../core/handler";
import { plain } from "../core/outputs";
import { withRetry } from "../core/retry";
import { parseDuration } from "../core/waiter";
import { EcsClient } from "./client";
import { deleteImage, findImage, listImagesByTag, waitImageAvailable, waitImageGone, type Image } from "./images";
import { tagMap } from "./instances";

/** CreateImage takes no ClientToken: this tag makes a retried create find the image it already made. */
export const CREATE_TOKEN_TAG = "pulumi-recovery:create-token";

export const recoveryImageSchema = z
  .object({
    instanceId: z.string({ message: "instanceId is required: the instance to image" }).min(1, "instanceId must not be empty"),
    imageName: z
      .string({ message: "imageName is required (1–128 characters)" })
      .min(1, "imageName must not be empty")
      .max(128, "imageName is at most 128 characters")
      .regex(/^[^\s]/, "imageName must not start with a space"),
    description: z.string().max(255, "description is at most 255 characters").optional(),
    createWholeImage: z.boolean().optional(),
    tags: z
      .record(z.string().min(1).max(128, "tag keys are at most 128 characters"), z.string().max(256, "tag values are at most 256 characters"))
      .refine((t) => !(CREATE_TOKEN_TAG in t), `the tag ${CREATE_TOKEN_TAG} is reserved`)
      .optional(),
    region: z.string().min(1).optional(),
    /** Bring an existing image under management instead of creating one. */
    adoptImageId: z.string().regex(/^image-[\w-]+$/, 'adoptImageId must be an image id such as "image-abc123"').optional(),
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
  })
  .strict();

export type RecoveryImageInputs = z.infer<typeof recoveryImageSchema>;
const INPUT_KEYS = Object.keys(recoveryImageSchema.shape);
const REPLACE_KEYS = ["instanceId", "imageName", "description", "createWholeImage", "region", "adoptImageId"];
const DEFAULT_CREATE_MS = 60 * 60_000; // big disks take a long time (35 minutes has been reported)
const DEFAULT_DELETE_MS = 10 * 60_000;

function clientFor(inputs: { region?: string }, ctx: HandlerContext): EcsClient {
  return new EcsClient(volcengineConnection(ctx.config, inputs.region));
}

function createToken(inputs: RecoveryImageInputs): string {
  const { timeouts, tags, ...rest } = inputs;
  return createHash("sha256").update(JSON.stringify([rest.__identity ?? "", rest.instanceId, rest.imageName, rest.description ?? ""])).digest("hex").slice(0, 32);
}

function outputsFor(inputs: Record<string, any>, image: Image) {
  const userTags = Object.fromEntries(Object.entries(tagMap(image.Tags)).filter(([k]) => k !== CREATE_TOKEN_TAG));
  return plain({
    ...inputs,
    tags: inputs.tags === undefined && Object.keys(userTags).length === 0 ? undefined : userTags,
    imageId: image.ImageId,
    status: image.Status,
    size: image.Size,
    osType: image.OsType,
    platform: image.Platform,
    createdAt: image.CreatedAt,
  });
}

/**
 * Starts an image of `instanceId`, or finds the one a previous attempt started (by its token tag), under
 * the one retry policy: each attempt looks before it creates, so a retry never makes a second image.
 */
export async function startImage(
  client: EcsClient,
  req: { instanceId: string; imageName: string; description?: string; createWholeImage?: boolean; tags?: Record<string, string>; token: string },
): Promise<string> {
  return withRetry(
    async () => {
      const [existing] = (await listImagesByTag(client, CREATE_TOKEN_TAG, req.token)).filter((i) => i.Status !== "error");
      if (existing) return existing.ImageId;
      const tags = { ...(req.tags ?? {}), [CREATE_TOKEN_TAG]: req.token };
      const res = await client.call<{ ImageId: string }>(
        "CreateImage",
        {
          InstanceId: req.instanceId,
          ImageName: req.imageName,
          Description: req.description,
          CreateWholeImage: req.createWholeImage,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        },
        { safe: false }, // the outer policy retries, looking first
      );
      return res.ImageId;
    },
    { safe: true },
  );
}

export const recoveryImageHandler: ResourceHandler = {
  async check(_olds, news) {
    const { inputs, failures } = checkInputs(recoveryImageSchema, news);
    return { inputs: { ...inputs, __provider: news.__provider }, failures };
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS });
  },

  async create(props, ctx) {
    const inputs = recoveryImageSchema.parse(pickInputs(props, INPUT_KEYS));
    const name = `RecoveryImage ${inputs.imageName}`;
    const client = clientFor(inputs, ctx);
    let imageId: string;
    try {
      if (inputs.adoptImageId) {
        const image = await findImage(client, inputs.adoptImageId);
        if (!image || image.Visibility === "public") throw new Error(`adoptImageId ${inputs.adoptImageId}: no such custom image in region ${client.region}`);
        imageId = image.ImageId;
      } else {
        imageId = await startImage(client, { ...inputs, token: createToken(inputs) });
      }
    } catch (err) {
      throw describeFailure(name, err);
    }
    try {
      const image = await waitImageAvailable(client, imageId, parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS);
      return { id: imageId, outs: outputsFor({ ...props, ...inputs }, image) };
    } catch (waitErr) {
      const why = describeFailure(name, waitErr).message;
      try {
        await deleteImage(client, imageId);
      } catch (cleanupErr) {
        // Still creating (cannot be deleted yet): keep it in state so `up`/`destroy` can finish the job.
        throw partialResource(imageId, plain({ ...props, ...inputs, imageId, status: "unknown" }), [why, `cleanup of ${imageId} failed: ${describeFailure(name, cleanupErr).message}`]);
      }
      throw new Error(`${why} (the image ${imageId} was deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const image = await findImage(client, id);
      if (!image) return { id: "", props: {} };
      return { id, props: outputsFor(props, image) };
    } catch (err) {
      throw describeFailure(`RecoveryImage ${props.imageName ?? id}`, err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = recoveryImageSchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      const oldTags: Record<string, string> = olds.tags ?? {};
      const newTags: Record<string, string> = inputs.tags ?? {};
      const removed = Object.keys(oldTags).filter((k) => !(k in newTags));
      const changed = Object.entries(newTags).filter(([k, v]) => oldTags[k] !== v);
      if (removed.length) await client.call("DeleteTags", { ResourceType: "image", ResourceIds: [id], TagKeys: removed }, { safe: true });
      if (changed.length) await client.call("CreateTags", { ResourceType: "image", ResourceIds: [id], Tags: changed.map(([Key, Value]) => ({ Key, Value })) }, { safe: true });
      const image = await findImage(client, id);
      if (!image) throw new Error(`image ${id} disappeared during the update; run \`pulumi refresh\``);
      return { outs: outputsFor({ ...news, ...inputs }, image) };
    } catch (err) {
      throw describeFailure(`RecoveryImage ${inputs.imageName}`, err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      await deleteImage(client, id);
      await waitImageGone(client, id, parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS);
    } catch (err) {
      throw describeFailure(`RecoveryImage ${props.imageName ?? id}`, err);
    }
  },
};

