// The recovery policy, one schema and one tag encoding for every cloud and every way of declaring it
// (SpotInstance's `recovery` input, SpotRecoveryPolicy on an instance managed elsewhere). It lives on
// the instance as one tag because the recovery controller reads the cloud, not Pulumi state.
//
// Our bookkeeping uses a fixed, small share of each cloud's tag budget (20 tags per resource on
// Volcengine and Alibaba): on an instance, one policy tag with a compact value, one lineage tag (the
// first instance of its line) and the create token — RESERVED_INSTANCE_TAGS in all.
//
// Tag values may hold only letters, digits, spaces and `_ . : / = + - @` (Volcengine's tag rule, docs
// 6396/76275 Tags.N.Value): the encoding separates fields with spaces and list items with `+`.
import { z } from "zod";
import { duration } from "../core/check";
import { parseDuration } from "../core/waiter";

export const TAGS = {
  /** The compact policy: `on=image-and-relaunch keep=3 every=30m hook=cmd-…/30 fb=zone/subnet/type+… copy=region/keep[/zone/subnet/sg+sg[/type]]`. */
  policy: "pulumi-recovery:policy",
  /** On a replacement launched by the controller: the first instance of its line (kept across recoveries). */
  origin: "pulumi-recovery:origin",
  /** On recovery points (snapshot groups, images): the instance they were taken of. */
  source: "pulumi-recovery:source",
  /** On recovery points: `kind=final|rolling event=…`. */
  point: "pulumi-recovery:point",
  /** On a region copy (in the destination) and on the image it was copied from: the recovery point it is of. */
  copyOf: "pulumi-recovery:copy-of",
  /** A scheduled RecoveryImage: `<id> every=6h keep=3` on its images, `<id>` on its recovery points. */
  schedule: "pulumi-recovery:schedule",
  /**
   * On an instance managed elsewhere: the SpotRecoveryPolicy that wrote its policy tag (that resource's
   * create token), so a retried create adopts its own tag and a delete removes only what it wrote.
   */
  policyOwner: "pulumi-recovery:policy-by",
} as const;

/** Tags a SpotInstance keeps for itself: policy, origin, create token. */
export const RESERVED_INSTANCE_TAGS = 3;
/** Tags a SpotRecoveryPolicy writes on an instance it does not manage: policy, owner (its replacements add origin and token). */
export const POLICY_ONLY_TAGS = 2;
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

/** Where a relaunch may go when the home placement has no stock (zone and its subnet; subnets are zonal). */
export interface Placement {
  zoneId: string;
  subnetId: string;
  instanceTypeId?: string;
  /** Another region (a relaunch from a region copy); absent: the instance's own region. */
  region?: string;
}

/** Where a relaunch from a region copy goes: subnets and security groups are regional, so they are named. */
export interface CopyRelaunch {
  zoneId: string;
  subnetId: string;
  securityGroupIds: string[];
  instanceTypeId?: string;
}

/** Recovery images copied to a second region, `keep` of them kept there (`copy=` in the tag). */
export interface RegionCopyPolicy {
  region: string;
  keep: number;
  relaunch?: CopyRelaunch;
}

const ID = /^[\w.-]+$/;
const REGION = /^[a-z]+-[a-z0-9-]+$/;

export const recoverySchema = z
  .object({
    /** What the controller does at a spot interruption notice. */
    onInterruption: z.enum(ON_INTERRUPTION, { message: `recovery.onInterruption must be one of ${ON_INTERRUPTION.join(", ")}` }).default("image-and-relaunch"),
    /** Recovery points kept per instance (older ones are pruned). */
    keepImages: z.number().int("recovery.keepImages is a whole number").min(1, "recovery.keepImages is at least 1").max(20, "recovery.keepImages is at most 20 (custom images and snapshots count against the region's quota)").default(3),
    /** Keep a rolling recovery point this fresh ("30m"), or "auto": as often as the disk's change rate needs for the final point to fit the notice. */
    imageEvery: z.union([z.literal("auto"), duration("recovery.imageEvery", { min: "5m" })]).optional(),
    /** A command run in the instance before the final recovery point (flush, checkpoint, freeze), within a budget taken from the notice. */
    guestHook: z
      .object({
        command: z.string().min(1, "recovery.guestHook.command must not be empty").refine((s) => Buffer.byteLength(s) <= 16 * 1024, "recovery.guestHook.command is at most 16 KB"),
        timeoutSeconds: z.number().int("recovery.guestHook.timeoutSeconds is a whole number").min(5, "recovery.guestHook.timeoutSeconds is at least 5").max(120, "recovery.guestHook.timeoutSeconds is at most 120 (it is taken from the five-minute notice)").default(30),
      })
      .strict()
      .optional(),
    /** Placements a relaunch tries, in order, when the instance's own zone (or type) has no stock (on Alibaba Cloud `subnetId` is a vSwitch). */
    fallbacks: z
      .array(
        z
          .object({
            zoneId: z.string().regex(/^[a-z]+-[a-z0-9]+-[a-z0-9]+$/, 'recovery.fallbacks[].zoneId must look like "cn-beijing-b"'),
            subnetId: z.string().regex(ID, "recovery.fallbacks[].subnetId must be a subnet (vSwitch) id of that zone"),
            instanceTypeId: z.string().regex(ID, "recovery.fallbacks[].instanceTypeId must be an instance type").optional(),
          })
          .strict(),
      )
      .max(3, "recovery.fallbacks takes at most 3 placements")
      .optional(),
    /**
     * Copy the newest recovery point's image to a second region and keep `keep` copies there, so a region
     * loss still leaves a recovery point; with `relaunch`, a relaunch the home region cannot do uses it.
     */
    copyToRegion: z
      .object({
        region: z.string({ message: 'recovery.copyToRegion.region is required: the region to copy to, e.g. "cn-shanghai"' }).regex(REGION, 'recovery.copyToRegion.region must be a region such as "cn-shanghai"'),
        keep: z.number().int("recovery.copyToRegion.keep is a whole number").min(1, "recovery.copyToRegion.keep is at least 1").max(10, "recovery.copyToRegion.keep is at most 10 (each copy is a custom image there, and a region holds 50)").default(2),
        relaunch: z
          .object({
            zoneId: z.string().regex(/^[a-z]+-[a-z0-9]+-[a-z0-9]+$/, 'recovery.copyToRegion.relaunch.zoneId must look like "cn-shanghai-a"'),
            subnetId: z.string().regex(ID, "recovery.copyToRegion.relaunch.subnetId must be a subnet id of that zone"),
            securityGroupIds: z.array(z.string().regex(ID, "recovery.copyToRegion.relaunch.securityGroupIds must be security group ids of that region")).min(1, "recovery.copyToRegion.relaunch.securityGroupIds needs at least one security group of that region").max(5, "recovery.copyToRegion.relaunch.securityGroupIds takes at most 5"),
            instanceTypeId: z.string().regex(ID, "recovery.copyToRegion.relaunch.instanceTypeId must be an instance type").optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((c) => !c.relaunch || c.relaunch.zoneId.startsWith(`${c.region}-`), { message: "recovery.copyToRegion.relaunch.zoneId must be a zone of recovery.copyToRegion.region (subnets and security groups are regional too)", path: ["relaunch", "zoneId"] })
      .optional(),
  })
  .strict();

/** The policy as declared. */
export type RecoveryPolicyInput = z.infer<typeof recoverySchema>;

/** The policy as recorded on the instance (the guest hook as the saved command that runs it). */
export interface RecoveryPolicy {
  onInterruption: (typeof ON_INTERRUPTION)[number];
  keepImages: number;
  imageEvery?: string;
  hook?: { commandId: string; timeoutSeconds: number };
  fallbacks?: Placement[];
  copy?: RegionCopyPolicy;
}

/** The declared policy, with its guest hook's saved command, as the controller will read it. */
export function recordedPolicy(input: RecoveryPolicyInput, hookCommandId?: string): RecoveryPolicy {
  return {
    onInterruption: input.onInterruption,
    keepImages: input.keepImages,
    ...(input.imageEvery ? { imageEvery: input.imageEvery } : {}),
    ...(input.guestHook && hookCommandId ? { hook: { commandId: hookCommandId, timeoutSeconds: input.guestHook.timeoutSeconds } } : {}),
    ...(input.fallbacks?.length ? { fallbacks: input.fallbacks } : {}),
    ...(input.copyToRegion ? { copy: input.copyToRegion } : {}),
  };
}

/** The policy as one tag value. */
export function encodePolicy(p: RecoveryPolicy): string {
  const parts = [`on=${p.onInterruption}`, `keep=${p.keepImages}`];
  if (p.imageEvery) parts.push(`every=${p.imageEvery}`);
  if (p.hook) parts.push(`hook=${p.hook.commandId}/${p.hook.timeoutSeconds}`);
  if (p.fallbacks?.length) parts.push(`fb=${p.fallbacks.map((f) => [f.zoneId, f.subnetId, f.instanceTypeId].filter(Boolean).join("/")).join("+")}`);
  if (p.copy) {
    const r = p.copy.relaunch;
    parts.push(`copy=${[p.copy.region, p.copy.keep, ...(r ? [r.zoneId, r.subnetId, r.securityGroupIds.join("+"), ...(r.instanceTypeId ? [r.instanceTypeId] : [])] : [])].join("/")}`);
  }
  return parts.join(" ");
}

/** How long the tag value of a declared policy gets (a saved command id is at most 24 characters). */
export function encodedLength(input: RecoveryPolicyInput): number {
  return encodePolicy(recordedPolicy(input, "cmd-".padEnd(24, "x"))).length;
}

/** Reads a policy back from an instance's tags (what the controller sees); undefined when absent or unreadable. */
export function policyFromTags(tags: Record<string, string>): RecoveryPolicy | undefined {
  let raw: Record<string, unknown>;
  if (tags[TAGS.policy] !== undefined) {
    const fields = Object.fromEntries(
      tags[TAGS.policy]
        .split(/[ ;]+/) // release 0.2 betas separated with ";" (not a tag character on Volcengine)
        .filter(Boolean)
        .map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)]),
    );
    raw = { onInterruption: fields.on, keepImages: fields.keep, imageEvery: fields.every };
    if (fields.hook) {
      const [commandId, timeout] = fields.hook.split("/");
      raw.hook = { commandId, timeoutSeconds: Number(timeout) };
    }
    if (fields.fb) raw.fallbacks = fields.fb.split("+").map((f) => {
      const [zoneId, subnetId, instanceTypeId] = f.split("/");
      return instanceTypeId ? { zoneId, subnetId, instanceTypeId } : { zoneId, subnetId };
    });
    if (fields.copy) raw.copy = copyFromTag(fields.copy);
  } else if (tags[LEGACY_TAGS.policy] !== undefined) {
    raw = { onInterruption: tags[LEGACY_TAGS.policy], keepImages: tags[LEGACY_TAGS.keepImages], imageEvery: tags[LEGACY_TAGS.imageEvery] || undefined };
  } else {
    return undefined;
  }
  const keep = Number(raw.keepImages);
  const on = raw.onInterruption as RecoveryPolicy["onInterruption"];
  if (!(ON_INTERRUPTION as readonly string[]).includes(on) || !Number.isInteger(keep) || keep < 1) return undefined;
  const every = raw.imageEvery as string | undefined;
  const hook = raw.hook as RecoveryPolicy["hook"];
  return {
    onInterruption: on,
    keepImages: keep,
    ...(every && (every === "auto" || parseDuration(every)) ? { imageEvery: every } : {}),
    ...(hook?.commandId && hook.timeoutSeconds > 0 ? { hook } : {}),
    ...(raw.fallbacks ? { fallbacks: raw.fallbacks as Placement[] } : {}),
    ...(raw.copy ? { copy: raw.copy as RegionCopyPolicy } : {}),
  };
}

/** `region/keep[/zone/subnet/sg+sg[/type]]`; undefined when it does not read (an older release ignores the field). */
function copyFromTag(text: string): RegionCopyPolicy | undefined {
  const [region, keep, zoneId, subnetId, sgs, instanceTypeId] = text.split("/");
  const n = Number(keep);
  if (!region || !REGION.test(region) || !Number.isInteger(n) || n < 1) return undefined;
  const relaunch = zoneId && subnetId && sgs ? { zoneId, subnetId, securityGroupIds: sgs.split("+").filter(Boolean), ...(instanceTypeId ? { instanceTypeId } : {}) } : undefined;
  return { region, keep: n, ...(relaunch ? { relaunch } : {}) };
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
