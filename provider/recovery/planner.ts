// What a recovery does next, decided from its journal record alone (pure, so a restarted controller —
// or another replica — reaches the same decision the dead one would have).
import { createToken } from "../core/tokens";
import type { RecoveryRecord, StepName } from "./journal";

export function nextStep(r: RecoveryRecord): StepName | undefined {
  if (r.state !== "in-progress") return undefined;
  if (r.policy.hook && !r.pointId && !r.steps["guest-hook"]?.endedAt) return "guest-hook";
  if (!r.pointId) return "point";
  if (!r.steps["wait-point"]?.endedAt) return "wait-point";
  if (r.policy.onInterruption === "image-and-relaunch") {
    if (!r.replacementId) return "relaunch";
    if (!r.steps["wait-running"]?.endedAt) return "wait-running";
  }
  if (!r.steps.prune?.endedAt) return "prune";
  return undefined;
}

/**
 * Deterministic tokens: the same interruption always asks the cloud for the same point and instance,
 * whichever controller (or replica) runs the step and however often. `relaunchAttempt` > 0 only when
 * the replacement itself was lost before it ran (a new one is then due).
 */
export function tokensFor(eventId: string, relaunchAttempt = 0): { hook: string; point: string; relaunch: string; relaunchFromCopy: string } {
  return {
    hook: createToken("recovery:guest-hook", eventId, undefined, {}),
    point: createToken("recovery:final-point", eventId, undefined, {}),
    relaunch: createToken("recovery:relaunch", eventId, relaunchAttempt ? String(relaunchAttempt) : undefined, {}),
    relaunchFromCopy: createToken("recovery:relaunch-from-copy", eventId, relaunchAttempt ? String(relaunchAttempt) : undefined, {}),
  };
}

/** One scheduled image per interval and schedule, whoever asks and however often. */
export function scheduledToken(scheduleId: string, now: number, everyMs: number): string {
  return createToken("recovery:scheduled-image", scheduleId, `${everyMs}:${Math.floor(now / everyMs)}`, {});
}

/**
 * What a pass does for one scheduled RecoveryImage (pure): make the image of each point that is ready,
 * remove what failed, start a new point when nothing is in progress and the newest is `everyMs` old,
 * and prune available images beyond `keep` oldest first — counting one in progress, as the rolling
 * points are pruned, but never the newest available one.
 */
export function planSchedule<P extends { pointId?: string; pointState?: string; imageId?: string; imageState?: string; createdAt: string }>(
  points: P[],
  o: { now: number; everyMs: number; keep: number },
): { finish: P[]; remove: P[]; start: boolean; prune: P[] } {
  const sorted = [...points].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const failed = sorted.filter((p) => p.pointState === "failed" || p.imageState === "failed");
  const live = sorted.filter((p) => !failed.includes(p));
  const finish = live.filter((p) => p.pointState === "available" && !p.imageId);
  const inProgress = live.filter((p) => p.pointState === "creating" || p.imageState === "creating" || (p.pointState === "available" && !p.imageId));
  const newest = live[0];
  const start = inProgress.length === 0 && (!newest || o.now - Date.parse(newest.createdAt) >= o.everyMs);
  const available = live.filter((p) => p.imageState === "available");
  const prune = available.slice(Math.max(1, o.keep - (inProgress.length || start ? 1 : 0)));
  return { finish, remove: failed, start, prune };
}

/**
 * Which available copies of a line to prune in the destination: all but the newest `keep` (by when
 * their point was taken). `copies` in any order; never returns a copy that is not available.
 */
export function copiesToPrune<T extends { state: string; createdAt: string; pointCreatedAt?: string }>(copies: T[], keep: number): T[] {
  const at = (c: T) => c.pointCreatedAt ?? c.createdAt;
  return copies.filter((c) => c.state === "available").sort((a, b) => at(b).localeCompare(at(a))).slice(Math.max(1, keep));
}

/** The rolling-point bucket: one rolling point per interval and instance, whoever asks and however often. */
export function rollingToken(instanceId: string, now: number, everyMs: number): string {
  return createToken("recovery:rolling-point", instanceId, `${everyMs}:${Math.floor(now / everyMs)}`, {});
}

/** Backoff between tries of a failed step: 5 s doubling to 5 minutes (the cloud's clock). */
export function retryDelayMs(attempts: number): number {
  return Math.min(5 * 60_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

/** Failed steps allowed before a recovery is given up (each after the backoff above). */
export const MAX_ATTEMPTS = 8;

export function formatMs(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = h > 0 ? `${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s` : m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
  return `${neg ? "-" : ""}${body}`;
}
