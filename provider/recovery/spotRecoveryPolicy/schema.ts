// SpotRecoveryPolicy inputs: the one recovery policy schema (../policy.ts) at the top level, plus the
// cloud and the instance it is attached to. Checked at preview (check), before any call; an instanceId
// that is another resource's output is unknown then and checked again at `up`.
import { z } from "zod";
import { encodedLength, recoverySchema } from "../policy";

export const CLOUDS = ["alicloud", "volcengine"] as const;
/** The longest tag value each cloud takes: the policy is one tag (Alibaba TagResources Tag.N.Value ≤128; Volcengine Tags.N.Value ≤256). */
export const TAG_VALUE_MAX: Record<(typeof CLOUDS)[number], number> = { alicloud: 128, volcengine: 256 };

export const spotRecoveryPolicySchema = z
  .object({
    cloud: z.enum(CLOUDS, { message: 'cloud is required: "alicloud" or "volcengine" (where the instance runs)' }),
    instanceId: z.string({ message: "instanceId is required: the instance to protect (e.g. an alicloud.ecs.Instance's id)" }).regex(/^i-[\w-]+$/, 'instanceId must be an instance id such as "i-abc123"'),
    ...recoverySchema.shape,
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-hangzhou"').optional(),
    // Bookkeeping set by the class and by check (never compared by diff).
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const { cloud, instanceId, region, __identity, __tokenSalt, ...policy } = v;
    const max = TAG_VALUE_MAX[cloud];
    const length = encodedLength(policy);
    if (length > max) ctx.addIssue({ code: "custom", path: ["fallbacks"], message: `the policy takes ${length} characters as a tag, over the ${max} a ${cloud} tag value holds: use fewer or shorter fallbacks` });
  });

export type SpotRecoveryPolicyInputs = z.infer<typeof spotRecoveryPolicySchema>;
export const INPUT_KEYS = Object.keys(spotRecoveryPolicySchema.shape);
/** Another cloud or region is another instance: a new policy. instanceId is decided by diff (a recovery keeps the policy). */
export const REPLACE_KEYS = ["cloud", "region", "instanceId"];
export const POLICY_KEYS = Object.keys(recoverySchema.shape);
