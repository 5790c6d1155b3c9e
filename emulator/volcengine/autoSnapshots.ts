// When an automatic snapshot policy fires, on the emulated clock (evaluated lazily between two settles,
// so a frozen clock stepped by a test fires exactly the time points it passes).
// The schedule's meaning: terraform-provider-volcengine website/docs/r/ebs_auto_snapshot_policy
// (time_points 0-23 hours, repeat_weekdays 1-7 with 1 = Monday, or repeat_days 1-30: every that many
// days). What no source says is a setting (models.ts): the UTC offset of the hours, how long after the
// hour a point fires, and from which day repeat_days counts (here: the day the policy was created or
// its schedule last modified).

export interface Schedule {
  timePoints: number[];
  repeatWeekdays: number[];
  repeatDays?: number;
  /** Where repeat_days counts from (epoch ms): the policy's creation or its last schedule change. */
  anchor: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Every firing time in (from, to]: the top of each hour of the offset's local time that is one of the
 * time points, on a matching day, plus `delaySeconds`.
 */
export function firings(s: Schedule, from: number, to: number, o: { utcOffsetHours: number; delaySeconds: number }): number[] {
  const out: number[] = [];
  if (to <= from || s.timePoints.length === 0) return out;
  const shift = o.utcOffsetHours * HOUR;
  const delay = o.delaySeconds * 1000;
  const anchorDay = Math.floor((s.anchor + shift) / DAY);
  // The first local hour whose firing time is after `from`.
  let hour = Math.floor((from - delay + shift) / HOUR) + 1;
  for (;;) {
    const at = hour * HOUR - shift + delay;
    if (at > to) break;
    const day = Math.floor(hour / 24);
    const hourOfDay = hour - day * 24;
    if (at > from && s.timePoints.includes(hourOfDay) && dayMatches(s, day, anchorDay)) out.push(at);
    hour++;
  }
  return out;
}

function dayMatches(s: Schedule, day: number, anchorDay: number): boolean {
  if (s.repeatDays !== undefined) return day >= anchorDay && (day - anchorDay) % s.repeatDays === 0;
  // Day 0 of the epoch (1970-01-01) was a Thursday: ISO weekday 4.
  const weekday = ((day + 3) % 7 + 7) % 7 + 1;
  return s.repeatWeekdays.includes(weekday);
}
