// Schedules: a duration ("1d", "12h": slots aligned to the Unix epoch, so every runner computes the same
// slots) or a five-field cron expression in a time zone (croner evaluates it; no timers are started).
// A slot is the time a schedule last fired: a backup, a suspend or a resume is done once per slot.
import { parseDuration } from "../core/waiter";

export type Schedule = { kind: "every"; ms: number; text: string } | { kind: "cron"; expr: string; timezone: string; text: string };

const DAY = 86_400_000;
/** How far back a cron slot is looked for: a yearly schedule's last firing. */
const LOOKBACK_MS = 366 * DAY;

function cronOf(expr: string, timezone: string): import("croner").Cron {
  const { Cron } = require("croner") as typeof import("croner");
  return new Cron(expr, { paused: true, timezone });
}

/** Parses `text` as a duration or a cron expression; a reason (our words) when it is neither. */
export function parseSchedule(text: string, timezone = "UTC"): Schedule | { error: string } {
  const t = text.trim();
  const ms = parseDuration(t);
  if (ms !== undefined) return ms > 0 ? { kind: "every", ms, text: t } : { error: "is a zero duration" };
  const fields = t.split(/\s+/);
  if (fields.length !== 5) return { error: 'must be a duration such as "1d" or "12h", or a cron expression of five fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"' };
  try {
    cronOf(t, timezone);
  } catch (e) {
    return { error: `is not a valid cron expression (${String((e as Error).message).replace(/^CronPattern: /, "")})` };
  }
  return { kind: "cron", expr: t, timezone, text: t };
}

/** Whether an IANA time zone name is known to this Node (full ICU). */
export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` firings after `from` (fewer when the schedule stops firing, none when it never does). */
export function nextFirings(s: Schedule, from: number, count = 1): number[] {
  if (s.kind === "every") return Array.from({ length: count }, (_, i) => (Math.floor(from / s.ms) + 1 + i) * s.ms);
  return cronOf(s.expr, s.timezone)
    .nextRuns(count, new Date(from))
    .map((d) => d.getTime());
}

/** The latest firing at or before `now` (the current slot); undefined when it has not fired in a year. */
export function currentSlot(s: Schedule, now: number): number | undefined {
  if (s.kind === "every") return Math.floor(now / s.ms) * s.ms;
  // croner looks forward only: walk forward from a year back, jumping in growing steps once past the first.
  const cron = cronOf(s.expr, s.timezone);
  let from = now - LOOKBACK_MS;
  let last: number | undefined;
  for (;;) {
    const next = cron.nextRun(new Date(from))?.getTime();
    if (next === undefined || next > now) return last;
    last = next;
    // Several firings at once: from the last one found, ask for the latest of up to 500 ahead that is ≤ now.
    const runs = cron.nextRuns(500, new Date(next)).map((d) => d.getTime()).filter((r) => r <= now);
    if (!runs.length) return last;
    last = runs[runs.length - 1];
    from = last;
  }
}

/** The smallest gap between the next `n` firings (how often the schedule fires at most). */
export function minGapMs(s: Schedule, from: number, n = 50): number | undefined {
  if (s.kind === "every") return s.ms;
  const runs = nextFirings(s, from, n);
  if (runs.length < 2) return undefined;
  let min = Infinity;
  for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i] - runs[i - 1]);
  return min;
}

/** A slot as a name part: 20260101T0200Z (minutes, UTC). */
export function slotStamp(slot: number): string {
  return new Date(slot).toISOString().replace(/[-:]/g, "").replace(/\d\d\.\d{3}Z$/, "Z");
}
