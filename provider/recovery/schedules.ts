// Scheduled RecoveryImages (imageEvery + keepImages), the controller's side (written once for every
// cloud; the cloud's steps are RecoveryCloud.imageSchedules / takeScheduledPoint / finishScheduledPoint /
// deleteScheduledPoint, the decisions planner.planSchedule).
import { parseDuration } from "../core/waiter";
import type { Keeper } from "./keeper";
import { planSchedule, scheduledToken } from "./planner";

/**
 * Scheduled RecoveryImages (imageEvery): each schedule found by tag gets a new point when its newest is
 * `every` old, an image once the point is ready, its failures removed, and its images pruned to `keep`
 * (planner.planSchedule). Nothing waits: a schedule advances by one step per pass.
 */
export async function keepSchedules(k: Keeper): Promise<void> {
  const { cloud } = k;
  if (!cloud.imageSchedules) return;
  let schedules;
  try {
    schedules = await cloud.imageSchedules();
  } catch (e) {
    k.emit({ kind: "scheduled-image", instanceId: "", message: `image schedules not checked this pass: ${(e as Error).message}` });
    return;
  }
  const now = k.clock.now();
  await Promise.all(
    schedules.map((s) =>
      k.limit(async () => {
        const everyMs = parseDuration(s.every);
        if (!everyMs || !s.keep) return;
        const instanceId = s.points.find((p) => p.sourceInstanceId)?.sourceInstanceId ?? "";
        try {
          const plan = planSchedule(s.points, { now, everyMs, keep: s.keep });
          for (const p of plan.remove) {
            await cloud.deleteScheduledPoint!(s, p);
            k.emit({ kind: "scheduled-image", instanceId, message: `schedule ${s.id}: removed a recovery point that failed (${p.pointId ?? p.imageId})` });
          }
          for (const p of plan.finish) {
            const imageId = await cloud.finishScheduledPoint!(s, p.pointId!);
            k.emit({ kind: "scheduled-image", instanceId, message: `schedule ${s.id}: image ${imageId} of recovery point ${p.pointId} started` });
          }
          if (plan.start) {
            const pointId = await cloud.takeScheduledPoint!(s, scheduledToken(s.id, now, everyMs));
            k.emit({ kind: "scheduled-image", instanceId, message: `schedule ${s.id}: recovery point ${pointId} started (every ${s.every})` });
          }
          for (const p of plan.prune) await cloud.deleteScheduledPoint!(s, p);
          if (plan.prune.length) k.emit({ kind: "pruned", instanceId, message: `schedule ${s.id}: pruned images ${plan.prune.map((p) => p.imageId).join(", ")} (keeps ${s.keep})` });
        } catch (e) {
          k.emit({ kind: "scheduled-image", instanceId, message: `schedule ${s.id} not advanced: ${(e as Error).message}` });
        }
      }),
    ),
  );
}
