// What a recovery does next, decided from its journal record alone (pure, so a restarted controller
// reaches the same decision the dead one would have).
import type { RecoveryRecord, StepName } from "./journal";

export function nextStep(r: RecoveryRecord): StepName | undefined {
  if (r.state !== "in-progress") return undefined;
  if (!r.imageId) return "image";
  if (!r.steps["wait-image"]?.endedAt) return "wait-image";
  if (r.policy.onInterruption === "image-and-relaunch") {
    if (!r.replacementId) return "relaunch";
    if (!r.steps["wait-running"]?.endedAt) return "wait-running";
  }
  if (!r.steps.prune?.endedAt) return "prune";
  return undefined;
}

/** Deterministic tokens: the same interruption always asks the cloud for the same image and instance. */
export function tokensFor(eventId: string): { image: string; relaunch: string } {
  const safe = eventId.replace(/[^\x21-\x7e]/g, "").slice(-40);
  return { image: `final-${safe}`, relaunch: `rec-${safe}` };
}

/** The rolling-image bucket: one rolling image per interval, whoever asks and however often. */
export function rollingToken(instanceId: string, now: number, everyMs: number): string {
  return `rolling-${instanceId}-${Math.floor(now / everyMs)}`;
}

export function formatMs(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${neg ? "-" : ""}${m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`}`;
}
