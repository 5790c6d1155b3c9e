// The recovery policy, one schema and one tag encoding for every cloud and every way of declaring it
// (SpotInstance's `recovery` input, SpotRecoveryPolicy on an instance managed elsewhere). It lives on
// the instance as tags because the recovery controller reads the cloud, not Pulumi state.
//
// Our bookkeeping uses a fixed, small share of each cloud's tag budget (20 tags per resource on
// Volcengine and Alibaba): on an instance, one policy tag with a compact value, one lineage tag (the
// first instance of its line) and the create token — RESERVED_INSTANCE_TAGS in all.
import { z } from "zod";
import { duration } from "../core/check";

export const TAGS = {
  /** The compact policy: `on=image-and-relaunch;keep=3;every=30m`. */
  policy: "pulumi-recovery:policy",
  /** On a replacement launched by the controller: the first instance of its line (kept across recoveries). */
  origin: "pulumi-recovery:origin",
  /** On recovery points (snapshot groups, images): the instance they were taken of. */
  source: "pulumi-recovery:source",
  /** On recovery points: `kind=final|rolling;event=…`. */
  point: "pulumi-recovery:point",
} as const;

/** Tags a SpotInstance keeps for itself: policy, origin, create token. */
export const RESERVED_INSTANCE_TAGS = 3;
/** Tags a RecoveryImage keeps for itself: create token, source. */
export const RESERVED_IMAGE_TAGS = 2;
/** Every tag key we write starts with this; users may not. */
export const OUR_PREFIX = "pulumi-recovery:";

/** Release 0.1.0 wrote the policy as three tags and the lineage as two; read them, write only the new form. */
export const LEGACY_TAGS = {
  policy: "pulumi-recovery:on-interruption",
  keepImages: "pulumi-recovery:keep-images",
  imageEvery: "pulumi-recovery:image-every",
  recoveredFrom: "pulumi-recovery:recovered-from",
  origin: "pulumi-recovery:origin",
} as const;

export const ON_INTERRUPTION = ["image-and-relaunch", "image-only", "none"] as const;

export const recoverySchema = z
  .object({
    /** What the controller does at a spot interruption notice. */
    onInterruption: z.enum(ON_INTERRUPTION, { message: `recovery.onInterruption must be one of ${ON_INTERRUPTION.join(", ")}` }).default("image-and-relaunch"),
    /** Recovery points kept per instance (older ones are pruned). */
    keepImages: z.number().int("recovery.keepImages is a whole number").min(1, "recovery.keepImages is at least 1").max(20, "recovery.keepImages is at most 20 (custom images and snapshots count against the region's quota)").default(3),
    /** Keep a rolling recovery point this fresh, e.g. "30m". */
    imageEvery: duration("recovery.imageEvery", { min: "5m" }).optional(),
  })
  .strict();

export type RecoveryPolicy = z.infer<typeof recoverySchema>;

const KEYS: Record<string, keyof RecoveryPolicy> = { on: "onInterruption", keep: "keepImages", every: "imageEvery" };

/** The policy as one tag value (≤ 128 characters: fits Alibaba's value limit as well as Volcengine's 256). */
export function encodePolicy(p: RecoveryPolicy): string {
  const parts = [`on=${p.onInterruption}`, `keep=${p.keepImages}`];
  if (p.imageEvery) parts.push(`every=${p.imageEvery}`);
  return parts.join(";");
}

/** Reads a policy back from an instance's tags (what the controller sees); undefined when absent or unreadable. */
export function policyFromTags(tags: Record<string, string>): RecoveryPolicy | undefined {
  const raw: Record<string, unknown> = {};
  if (tags[TAGS.policy] !== undefined) {
    for (const part of tags[TAGS.policy].split(";")) {
      const eq = part.indexOf("=");
      const key = KEYS[part.slice(0, eq)];
      if (eq > 0 && key) raw[key] = part.slice(eq + 1);
    }
  } else if (tags[LEGACY_TAGS.policy] !== undefined) {
    raw.onInterruption = tags[LEGACY_TAGS.policy];
    raw.keepImages = tags[LEGACY_TAGS.keepImages];
    raw.imageEvery = tags[LEGACY_TAGS.imageEvery] || undefined;
  } else {
    return undefined;
  }
  if (typeof raw.keepImages === "string") raw.keepImages = Number(raw.keepImages);
  const parsed = recoverySchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The tags that record `policy` on an instance (none when there is no policy). */
export function policyTags(policy: RecoveryPolicy | undefined): Record<string, string> {
  return policy ? { [TAGS.policy]: encodePolicy(policy) } : {};
}

/** The first instance of `tags`' line (the instance itself when it was never recovered). */
export function originOf(instanceId: string, tags: Record<string, string>): string {
  return tags[TAGS.origin] ?? tags[LEGACY_TAGS.origin] ?? instanceId;
}

/** User tags: everything that is neither ours nor the cloud's own (`volc:`/`sys:`/`acs:`/`aliyun`). */
export function userTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(OUR_PREFIX) && !isSystemTag(k)));
}

/** Keys the clouds reserve for themselves: never created, never copied, never reported as user tags. */
export function isSystemTag(key: string): boolean {
  return /^(volc:|sys:|acs:|aliyun)/i.test(key);
}
