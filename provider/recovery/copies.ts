// recovery.copyToRegion, the controller's side (written once for every cloud; the cloud's steps are
// RecoveryCloud.copyState / advanceCopy / deleteCopy / deleteCopySource). Each pass moves each protected
// line's newest recovery point one step towards its copy in the policy's region, prunes the copies there
// to `keep`, and removes what was made at home only to copy from.
import type { CopyState, FleetMember, RecoveryPointInfo } from "./cloud";
import type { Keeper } from "./keeper";
import { copiesToPrune } from "./planner";

/**
 * recovery.copyToRegion: the newest available point of each protected line is copied to the policy's
 * region (a few passes: the cloud's steps never block a pass), `keep` available copies stay there and
 * older ones are pruned, and what was made at home only to copy from goes once its copy is done.
 * Two listing calls per destination region, whatever the fleet.
 */
export async function keepCopies(k: Keeper, fleet: FleetMember[], points: RecoveryPointInfo[]): Promise<void> {
  const { cloud } = k;
  if (!cloud.copyState || !cloud.advanceCopy) return;
  const regions = [...new Set(fleet.flatMap((m) => (m.policy.copy ? [m.policy.copy.region] : [])))];
  for (const region of regions) {
    let known: CopyState;
    try {
      known = await cloud.copyState(region);
    } catch (e) {
      k.emit({ kind: "copy", instanceId: "", message: `copies to ${region} not checked this pass: ${(e as Error).message}` });
      continue;
    }
    const members = fleet.filter((m) => m.policy.copy?.region === region);
    await Promise.all(members.map((m) => k.limit(() => keepCopiesOf(k, m, region, points, known))));
  }
}

async function keepCopiesOf(k: Keeper, m: FleetMember, region: string, points: RecoveryPointInfo[], known: CopyState): Promise<void> {
  const { cloud } = k;
  const ofLine = (p: { sourceInstanceId: string; origin?: string }) => p.sourceInstanceId === m.instanceId || (p.origin !== undefined && p.origin === m.origin);
  try {
    const newest = points.find((p) => p.state === "available" && ofLine(p));
    const copies = known.copies.filter(ofLine);
    let settled = true;
    if (newest) {
      const step = await cloud.advanceCopy!(newest.id, region, known);
      settled = step.state === "done";
      const wasNew = step.state === "done" && known.sources.some((s) => s.pointId === newest.id);
      if (step.state === "failed" || wasNew || (step.state !== "done" && !copies.some((c) => c.pointId === newest.id && c.state === "creating"))) {
        const what = { preparing: "being prepared", copying: "started", done: "available", failed: "failed" }[step.state];
        k.emit({ kind: "copy", instanceId: m.instanceId, message: `copy of recovery point ${newest.id} to ${region} ${what}${step.copyId ? ` (${step.copyId})` : ""}${step.note ? `: ${step.note}` : ""}` });
      }
    }
    const excess = copiesToPrune(copies, m.policy.copy!.keep);
    for (const c of excess) await cloud.deleteCopy!(region, c.id);
    if (excess.length) k.emit({ kind: "pruned", instanceId: m.instanceId, message: `pruned copies in ${region}: ${excess.map((c) => c.id).join(", ")}` });
    // What was made at home only to copy from: gone once its copy ended (or a newer point superseded it).
    for (const s of known.sources.filter(ofLine)) {
      if (s.state === "creating" || known.copies.some((c) => c.pointId === s.pointId && c.state === "creating")) continue;
      if (s.pointId === newest?.id && !settled) continue; // still to be copied (or copied again after a failure)
      await cloud.deleteCopySource!(s.id);
    }
  } catch (e) {
    k.emit({ kind: "copy", instanceId: m.instanceId, message: `copy to ${region} not advanced: ${(e as Error).message}` });
  }
}
