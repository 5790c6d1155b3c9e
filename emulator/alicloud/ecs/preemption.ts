// Preemptible (spot) instance interruptions. API notes, "Spot (preemptible) instances": an interrupted
// instance gets `OperationLocks[].LockReason = "Recycling"` in DescribeInstances and is released 5 minutes
// later (the `preemptionNoticeSeconds` setting); the guest reads the release time from metadata
// (../metadata.ts); CloudMonitor raises `Instance:PreemptibleInstanceInterruption` (../cloudMonitor.ts).
// DescribeInstancesRequest.lockReason: "Recycling: The spot instance is locked and pending release."
// The instance keeps running through the notice.
import type { Clock } from "../../clock";
import { AcsError } from "../errors";
import type { EcsModel, Instance } from "./model";

export interface Interruption {
  instanceId: string;
  regionId: string;
  lockedAt: number;
  releaseAt: number;
}

/** Schedules the release of a preemptible instance (admin); the notice defaults to the setting. */
export function interrupt(clock: Clock, ecs: EcsModel, instanceId: string, noticeSeconds: number): Interruption {
  const inst = ecs.instance(instanceId);
  if (inst.SpotStrategy === "NoSpot") throw new AcsError("InvalidParameter", 400, `${instanceId} is not a preemptible instance (SpotStrategy NoSpot).`);
  if (inst.Status !== "Running") throw new AcsError("InvalidParameter", 400, `${instanceId} is ${inst.Status}: only a running instance is interrupted.`);
  if (inst.recycling) return { instanceId, regionId: inst.RegionId, ...inst.recycling };
  const now = clock.now();
  inst.recycling = { lockedAt: now, releaseAt: now + noticeSeconds * 1000 };
  return { instanceId, regionId: inst.RegionId, ...inst.recycling };
}

/** DescribeInstances OperationLocks of an instance. */
export function operationLocks(inst: Instance): { LockReason: string; LockMsg: string }[] {
  return inst.recycling ? [{ LockReason: "Recycling", LockMsg: "The preemptible instance is locked and pending release." }] : [];
}
