// SpotInstance inputs: every rule the API would enforce, checked at preview (check), before any call.
import { z } from "zod";
import { timeoutsSchema } from "../../core/check";
import { encodedLength, OUR_PREFIX, RESERVED_INSTANCE_TAGS, recoverySchema } from "../../recovery/policy";
import { description, hostnameProblem, resourceName, TAG_KEY, TAG_VALUE, USER_DATA_MAX_BYTES } from "../names";
import { TAG_LIMIT } from "../tags";
import { VOLUME_TYPES } from "../volumes";

/** Three of: upper case, lower case, digit, special; 8–30 characters (Volcengine's password rule). */
function strongPassword(p: string): boolean {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[()`~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]/].filter((r) => r.test(p)).length;
  return p.length >= 8 && p.length <= 30 && classes >= 3;
}

export const USER_TAG_BUDGET = TAG_LIMIT - RESERVED_INSTANCE_TAGS;

const volumeType = (field: string) => z.enum(VOLUME_TYPES, { message: `${field} must be one of ${VOLUME_TYPES.join(", ")} (the types RunInstances documents)` });

export const userTagsSchema = (budget: number) =>
  z
    .record(
      z.string().regex(TAG_KEY, 'tag keys are 1-128 letters, digits, spaces or _ . : / = + - @, and must not start with "volc:" or "sys:" (the cloud\'s own)'),
      z.string().regex(TAG_VALUE, "tag values are at most 256 letters, digits, spaces or _ . : / = + - @"),
    )
    .refine((t) => !Object.keys(t).some((k) => k.startsWith(OUR_PREFIX)), `tag keys starting with "${OUR_PREFIX}" are reserved for pulumi-recovery's own bookkeeping`)
    .refine((t) => Object.keys(t).length <= budget, {
      message: `tags takes at most ${budget} tags: a resource holds ${TAG_LIMIT}, and pulumi-recovery keeps ${TAG_LIMIT - budget} for its own bookkeeping`,
    });

export const spotInstanceSchema = z
  .object({
    zoneId: z.string({ message: 'zoneId is required, e.g. "cn-beijing-a"' }).regex(/^[a-z]+-[a-z0-9]+-[a-z]$/, 'zoneId must look like "cn-beijing-a"'),
    imageId: z.string({ message: "imageId is required (a public or custom image id)" }).regex(/^image-[\w-]+$/, 'imageId must be an image id such as "image-ubuntu2204"'),
    instanceTypeId: z.string({ message: 'instanceTypeId is required, e.g. "ecs.g3il.large"' }).regex(/^ecs\.[\w-]+\.[\w-]+$/, 'instanceTypeId must look like "ecs.g3il.large"'),
    subnetId: z.string({ message: "subnetId is required (the subnet the primary network interface joins)" }).regex(/^subnet-[\w-]+$/, 'subnetId must be a subnet id such as "subnet-abc123"'),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[\w-]+$/, 'securityGroupIds must be security group ids such as "sg-abc123"'), { message: "securityGroupIds is required: a list of 1 to 5 security group ids" })
      .min(1, "securityGroupIds needs at least one security group id")
      .max(5, "securityGroupIds takes at most 5 security groups"),
    spotStrategy: z.enum(["SpotAsPriceGo", "SpotWithPriceLimit"], { message: 'spotStrategy must be "SpotAsPriceGo" or "SpotWithPriceLimit"' }).default("SpotAsPriceGo"),
    spotPriceLimit: z
      .number()
      .positive("spotPriceLimit must be greater than 0")
      .refine((n) => Math.round(n * 1000) === n * 1000, "spotPriceLimit takes at most 3 decimal places")
      .optional(),
    instanceName: resourceName("instanceName").optional(),
    hostname: z
      .string()
      .superRefine((h, ctx) => {
        const problem = hostnameProblem(h);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    description: description("description").optional(),
    projectName: z.string().regex(/^[\w.-]{1,64}$/, "projectName takes 1-64 letters, digits, _ . -").optional(),
    systemVolume: z
      .object({
        volumeType: volumeType("systemVolume.volumeType").default("ESSD_PL0"),
        size: z.number().int("systemVolume.size is a whole number of GiB").min(20, "systemVolume.size is at least 20 (GiB)").max(2048, "systemVolume.size is at most 2048 (GiB)").default(40),
      })
      .strict()
      .default({ volumeType: "ESSD_PL0", size: 40 }),
    dataVolumes: z
      .array(
        z
          .object({
            volumeType: volumeType("dataVolumes[].volumeType").default("ESSD_PL0"),
            size: z.number({ message: "dataVolumes[].size is required (GiB)" }).int("dataVolumes[].size is a whole number of GiB").min(10, "dataVolumes[].size is at least 10 (GiB)").max(32768, "dataVolumes[].size is at most 32768 (GiB)"),
            deleteWithInstance: z.boolean().default(true),
            snapshotId: z.string().regex(/^snap-[\w-]+$/, 'dataVolumes[].snapshotId must be a snapshot id such as "snap-abc123"').optional(),
          })
          .strict(),
      )
      // Volumes.N takes 1–16 volumes, the system volume included (API-NOTES "Corrections").
      .max(15, "dataVolumes takes at most 15 volumes (16 with the system volume)")
      .optional(),
    keyPairName: z.string().regex(/^[\w.-]{1,64}$/, "keyPairName takes 1-64 letters, digits, _ . -").optional(),
    password: z.string().refine(strongPassword, "password must be 8-30 characters with three of: upper case, lower case, digits, special characters").optional(),
    userData: z.string().refine((s) => Buffer.byteLength(s) <= USER_DATA_MAX_BYTES, `userData is at most ${USER_DATA_MAX_BYTES / 1024} KB before encoding`).optional(),
    tags: userTagsSchema(USER_TAG_BUDGET).optional(),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-beijing"').optional(),
    adoptInstanceId: z.string().regex(/^i-[\w-]+$/, 'adoptInstanceId must be an instance id such as "i-abc123"').optional(),
    recovery: recoverySchema.optional(),
    timeouts: timeoutsSchema.optional(),
    // Bookkeeping set by the SpotInstance class and by check (never compared by diff).
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (v.spotStrategy === "SpotWithPriceLimit" && v.spotPriceLimit === undefined) issue("spotPriceLimit", 'spotPriceLimit is required when spotStrategy is "SpotWithPriceLimit"');
    if (v.spotStrategy === "SpotAsPriceGo" && v.spotPriceLimit !== undefined) issue("spotPriceLimit", 'spotPriceLimit applies only with spotStrategy "SpotWithPriceLimit": remove it or change spotStrategy');
    if (v.keyPairName && v.password) issue("password", "set either keyPairName or password, not both");
    // The policy is one tag, and a Volcengine tag value holds at most 256 characters (Tags.N.Value).
    if (v.recovery && encodedLength(v.recovery) > 256) issue("recovery", `the recovery policy takes ${encodedLength(v.recovery)} characters as a tag, over the 256 a tag value holds: use fewer or shorter fallbacks`);
    for (const [i, f] of (v.recovery?.fallbacks ?? []).entries()) if (f.zoneId === v.zoneId && f.subnetId === v.subnetId && (f.instanceTypeId ?? v.instanceTypeId) === v.instanceTypeId) issue("recovery", `recovery.fallbacks[${i}] is the instance's own placement: list other zones or types`);
  });

export type SpotInstanceInputs = z.infer<typeof spotInstanceSchema>;
export const SPOT_INPUT_KEYS = Object.keys(spotInstanceSchema.shape);
/** What the API can change on a running instance; everything else replaces it. */
export const SPOT_IN_PLACE = ["instanceName", "description", "password", "tags", "recovery", "timeouts"];
export const SPOT_REPLACE_KEYS = SPOT_INPUT_KEYS.filter((k) => !SPOT_IN_PLACE.includes(k) && !k.startsWith("__"));
/** Inputs that never enter a create token. */
export const SPOT_SECRET_KEYS = ["password", "userData"];
