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
export function tokensFor(eventId: string, relaunchAttempt = 0): { hook: string; point: string; relaunch: string } {
  return {
    hook: createToken("recovery:guest-hook", eventId, undefined, {}),
    point: createToken("recovery:final-point", eventId, undefined, {}),
    relaunch: createToken("recovery:relaunch", eventId, relaunchAttempt ? String(relaunchAttempt) : undefined, {}),
  };
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
