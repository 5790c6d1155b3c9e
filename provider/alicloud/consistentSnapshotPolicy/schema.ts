// ConsistentSnapshotPolicy inputs: the app-snapshot plugin's inputs of ConsistentSnapshotGroup (shared, not
// copied), plus the schedule, the retention and what delete does — all checked at preview.
import { z } from "zod";
import { duration } from "../../core/check";
import { parseDuration } from "../../core/waiter";
import { groupFields, refineGroupFields } from "../consistentSnapshotGroup/schema";
import { scheduleProblem } from "../schedule";

/** keepLast's bound: ours (enough for an hourly policy kept for six weeks), not the cloud's. */
export const MAX_KEEP_LAST = 1000;
/** keepFor's bound: the longest retention ECS takes anywhere (CreateAutoSnapshotPolicyRequest.retentionDays, 65535 days). */
const MAX_KEEP_FOR_MS = 65535 * 86_400_000;

/** How long one run of the plugin may take (RunCommand Timeout, seconds): the scripts twice (freeze and thaw), the freeze, and slack. */
export function periodicTimeout(i: { preScriptPath?: string; scriptTimeoutSeconds?: number; freezeTimeoutSeconds?: number }): number {
  return Math.min(86400, Math.max(60, (i.preScriptPath ? (i.scriptTimeoutSeconds ?? 1800) * 2 : 0) + (i.freezeTimeoutSeconds ?? 30) + 300));
}

export const consistentSnapshotPolicySchema = z
  .object({
    ...groupFields,
    schedule: z.string({ message: 'schedule is required: a rate such as "rate(6h)" or a cron expression with its time zone such as "0 0 2 * * ? Asia/Shanghai"' }),
    keepLast: z.number().int("keepLast is a whole number of groups").min(1, "keepLast is at least 1").max(MAX_KEEP_LAST, `keepLast is at most ${MAX_KEEP_LAST}`).optional(),
    keepFor: duration("keepFor", { min: "1h" })
      .refine((s) => (parseDuration(s) ?? 0) <= MAX_KEEP_FOR_MS, "keepFor is at most 65535d")
      .optional(),
    deleteSnapshotsOnDestroy: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    refineGroupFields(v, ctx);
    // Every group a policy makes carries its name: the controller finds them by it (policyGroups.ts).
    if (v.name === undefined) ctx.addIssue({ code: "custom", path: ["name"], message: "name is required: the name every group of the policy gets (the resource class sets it to the resource name)" });
    if (v.keepLast === undefined && v.keepFor === undefined) ctx.addIssue({ code: "custom", path: ["keepLast"], message: 'set keepLast (a number of groups) and/or keepFor (an age such as "30d"): without a retention the groups would pile up forever' });
    if (typeof v.schedule === "string") {
      const problem = scheduleProblem(v.schedule, periodicTimeout(v), Date.now());
      if (problem) ctx.addIssue({ code: "custom", path: ["schedule"], message: problem });
    }
  });

export type ConsistentSnapshotPolicyInputs = z.infer<typeof consistentSnapshotPolicySchema>;
export const INPUT_KEYS = Object.keys(consistentSnapshotPolicySchema.shape);
/** Changed in place: the schedule (ModifyInvocationAttribute), the retention (a tag), what delete does, timeouts. */
export const IN_PLACE_KEYS = ["schedule", "keepLast", "keepFor", "deleteSnapshotsOnDestroy", "timeouts"];
/** Every input that shapes the plugin's command replaces the policy. */
export const REPLACE_KEYS = INPUT_KEYS.filter((k) => !IN_PLACE_KEYS.includes(k) && !k.startsWith("__"));
