// The recovery policy a SpotInstance declares, recorded on the instance as tags so that the recovery
// controller (which reads the cloud, not Pulumi state) knows what to do at an interruption.
import { z } from "zod";
import { parseDuration } from "../core/waiter";

export const RECOVERY_TAGS = {
  policy: "pulumi-recovery:on-interruption",
  keepImages: "pulumi-recovery:keep-images",
  imageEvery: "pulumi-recovery:image-every",
  /** On a replacement launched by the controller: the instance it replaces. */
  recoveredFrom: "pulumi-recovery:recovered-from",
  /** On a replacement: the first instance of its line (kept across repeated recoveries). */
  origin: "pulumi-recovery:origin",
  /** On recovery images: the instance they were taken of, and why. */
  sourceInstance: "pulumi-recovery:source-instance",
  imageKind: "pulumi-recovery:image-kind", // "final" | "rolling"
} as const;

export const ON_INTERRUPTION = ["image-and-relaunch", "image-only", "none"] as const;

export const recoverySchema = z
  .object({
    onInterruption: z.enum(ON_INTERRUPTION, { message: `recovery.onInterruption must be one of ${ON_INTERRUPTION.join(", ")}` }).default("image-and-relaunch"),
    keepImages: z.number().int().min(1, "recovery.keepImages is at least 1").max(50, "recovery.keepImages is at most 50").default(3),
    imageEvery: z
      .string()
      .refine((s) => (parseDuration(s) ?? 0) >= 5 * 60_000, 'recovery.imageEvery must be a duration of at least "5m", e.g. "30m"')
      .optional(),
  })
  .strict();

export type RecoveryPolicy = z.infer<typeof recoverySchema>;

export function recoveryTags(policy: RecoveryPolicy | undefined): Record<string, string> {
  if (!policy) return {};
  return {
    [RECOVERY_TAGS.policy]: policy.onInterruption,
    [RECOVERY_TAGS.keepImages]: String(policy.keepImages),
    ...(policy.imageEvery ? { [RECOVERY_TAGS.imageEvery]: policy.imageEvery } : {}),
  };
}

/** Reads a policy back from an instance's tags (what the controller sees). */
export function policyFromTags(tags: Record<string, string>): RecoveryPolicy | undefined {
  const on = tags[RECOVERY_TAGS.policy];
  if (!on || !(ON_INTERRUPTION as readonly string[]).includes(on)) return undefined;
  const keep = Number(tags[RECOVERY_TAGS.keepImages]);
  return {
    onInterruption: on as RecoveryPolicy["onInterruption"],
    keepImages: Number.isInteger(keep) && keep >= 1 ? keep : 3,
    imageEvery: tags[RECOVERY_TAGS.imageEvery] || undefined,
  };
}
