// The `schedule` of a ConsistentSnapshotPolicy: a Cloud Assistant `Frequency` for RunCommand with
// RepeatMode Period, checked at preview against what the API and the agent accept, with our words for
// what is wrong and how to fix it. Pure functions (unit-tested).
//
// Sources: RunCommandRequest.frequency in @alicloud/ecs20140526 (rate(<n><s|m|h|d>) from 60 seconds to 7
// days and longer than the command's Timeout, never run at creation; cron `<seconds> <minutes> <hours>
// <day of month> <month> <day of week> [year] [time zone]` whose interval is at least the Timeout and at least
// 10 seconds, the zone a TZ name, GMT±H:MM or UTC, without one the instance's own zone), and the agent
// (aliyun_assist_client agent/taskengine/timermanager/cronscheduled.go and its vendored gorhill/cronexpr
// cronexpr_parse.go: how fields and zones are split, the field grammar, day of week 0-6 with 7 = Sunday,
// years 1970-2099, an expression with no next run refused as CronExpressionExpired).
// We ask for more than the API in one place: a cron must name its time zone, so the schedule does not
// depend on how each instance's clock is set.
import { Cron, type CronOptions } from "croner";

export type ParsedSchedule = { kind: "rate"; periodMs: number } | { kind: "cron"; cron: Cron<undefined>; zone: string };

const RATE = /^rate\s*\((\d+)\s*([smhd])\)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const YEAR_FIELD = /^\*$|^\?$|19[789][0-9]|20[0-9]{2}|^\*\/(\d+)$/;
const GMT = /^GMT([+-])([0-9]|1[0-4]):([0-5][0-9])$/;

const FIELDS = [
  { name: "seconds", max: 59, value: "0?[0-9]|[1-5][0-9]", range: "0-59" },
  { name: "minutes", max: 59, value: "0?[0-9]|[1-5][0-9]", range: "0-59" },
  { name: "hours", max: 23, value: "0?[0-9]|1[0-9]|2[0-3]", range: "0-23" },
  { name: "day of month", max: 31, value: "0?[1-9]|[12][0-9]|3[01]", range: "1-31, L, LW or nW" },
  { name: "month", max: 12, value: "0?[1-9]|1[012]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december", range: "1-12 or JAN-DEC" },
  { name: "day of week", max: 6, value: "0?[0-7]|sun|mon|tue|wed|thu|fri|sat|sunday|monday|tuesday|wednesday|thursday|friday|saturday", range: "0-6 (0 or 7 = Sunday), SUN-SAT, nL or n#k" },
  { name: "year", max: 2099, value: "19[789][0-9]|20[0-9]{2}", range: "1970-2099" },
];
const LONG: Record<string, string> = { january: "jan", february: "feb", march: "mar", april: "apr", june: "jun", july: "jul", august: "aug", september: "sep", october: "oct", november: "nov", december: "dec", sunday: "sun", monday: "mon", tuesday: "tue", wednesday: "wed", thursday: "thu", friday: "fri", saturday: "sat" };

/** One field in croner's syntax, or undefined when the agent's parser (cronexpr) would refuse it. */
function field(raw: string, i: number): string | undefined {
  const f = FIELDS[i];
  const v = `(?:${f.value})`;
  const out: string[] = [];
  for (const entry of raw.toLowerCase().split(",")) {
    const e = entry.replace(/[a-z]{4,}/g, (w) => LONG[w] ?? w);
    const stepOk = (s: string) => Number(s) >= 1 && Number(s) <= f.max;
    let m: RegExpExecArray | null;
    if (/^[*?]$/.test(e)) out.push("*");
    else if (new RegExp(`^${v}$`).test(e) || new RegExp(`^${v}-${v}$`).test(e)) out.push(e);
    else if ((m = /^\*\/(\d+)$/.exec(e)) && stepOk(m[1])) out.push(e);
    else if ((m = new RegExp(`^(${v})/(\\d+)$`).exec(e)) && stepOk(m[2])) out.push(`${m[1]}-${f.max}/${m[2]}`);
    else if ((m = new RegExp(`^(${v}-${v})/(\\d+)$`).exec(e)) && stepOk(m[2])) out.push(e);
    else if (i === 3 && (e === "l" || e === "lw" || new RegExp(`^${v}w$`).test(e))) out.push(e.toUpperCase());
    else if (i === 5 && (new RegExp(`^${v}l$`).test(e) || new RegExp(`^${v}#[1-5]$`).test(e))) out.push(e.toUpperCase());
    else return undefined;
  }
  return out.join(",");
}

const EXAMPLES = 'e.g. "rate(1h)", or a cron such as "0 0 2 * * ? Asia/Shanghai" (02:00 every day, Shanghai time)';

/**
 * Parses a schedule; returns the schedule or why it is refused (a sentence that says how to fix it).
 * `now` is when it would start (a cron must have a run after it).
 */
export function parseSchedule(text: string, now: number): ParsedSchedule | { problem: string } {
  const s = text.trim();
  if (/^at\s*\(/i.test(s)) return { problem: `schedule at(…) runs once: a policy repeats; use a rate or a cron expression (${EXAMPLES}), or a ConsistentSnapshotGroup for one group` };
  if (/^rate\s*\(/i.test(s)) {
    const m = RATE.exec(s);
    if (!m || Number(m[1]) === 0) return { problem: `schedule is rate(<whole number><s|m|h|d>), ${EXAMPLES}` };
    return { kind: "rate", periodMs: Number(m[1]) * UNIT_MS[m[2].toLowerCase()] };
  }
  const fields = s.split(/\s+/);
  let zone: string | undefined;
  if (fields.length === 8 || (fields.length === 7 && !YEAR_FIELD.test(fields[6]))) zone = fields.pop();
  if (fields.length === 6) fields.push("*");
  if (fields.length !== 7) return { problem: `schedule is a rate or a cron expression of 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]) and a time zone, ${EXAMPLES}` };
  if (!zone) return { problem: `schedule's cron expression names no time zone, so each instance would use its own: add one at the end, e.g. "${fields.slice(0, fields[6] === "*" ? 6 : 7).join(" ")} Asia/Shanghai" (a TZ name, GMT+8:00 or UTC)` };
  const converted: string[] = [];
  for (let i = 0; i < 7; i++) {
    const c = field(fields[i], i);
    if (c === undefined) return { problem: `schedule's ${FIELDS[i].name} field "${fields[i]}" is not valid: it takes ${FIELDS[i].range}, lists (a,b), ranges (a-b), steps (*/n, a/n, a-b/n), * or ?` };
    converted.push(c);
  }
  const options: CronOptions<undefined> = { paused: true };
  const gmt = GMT.exec(zone);
  if (gmt) options.utcOffset = (gmt[1] === "-" ? -1 : 1) * (Number(gmt[2]) * 60 + Number(gmt[3]));
  else if (zone === "UTC" || zone === "GMT") options.timezone = "UTC";
  else if (zone.includes("/") && validZone(zone)) options.timezone = zone;
  else return { problem: `schedule's time zone "${zone}" is not one the agent reads: use a TZ name such as Asia/Shanghai, an offset such as GMT+8:00 (no leading zero in the hour), or UTC` };
  let cron: Cron<undefined>;
  try {
    cron = new Cron<undefined>(converted.join(" "), options);
  } catch (e) {
    return { problem: `schedule's cron expression is not valid: ${(e as Error).message}` };
  }
  if (!cron.nextRun(new Date(now))) return { problem: `schedule's cron expression never fires after now (a past year, or a date that does not exist such as 30 February): the agent would refuse it (CronExpressionExpired)` };
  return { kind: "cron", cron, zone };
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The shortest gap between the schedule's next `n` runs (a rate's period). */
export function shortestIntervalMs(s: ParsedSchedule, now: number, n = 50): number | undefined {
  if (s.kind === "rate") return s.periodMs;
  const runs = s.cron.nextRuns(n, new Date(now)).map((d) => d.getTime());
  let min: number | undefined;
  for (let i = 1; i < runs.length; i++) min = Math.min(min ?? Infinity, runs[i] - runs[i - 1]);
  return min;
}

/** The next run after `now`, as epoch ms (undefined when none). */
export function nextRunAfter(s: ParsedSchedule, createdAt: number, now: number): number | undefined {
  if (s.kind === "rate") return createdAt + (Math.max(0, Math.floor((now - createdAt) / s.periodMs)) + 1) * s.periodMs;
  return s.cron.nextRun(new Date(now))?.getTime();
}

const human = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);

/**
 * Every rule the API puts on a Frequency against the command's Timeout; undefined when it passes.
 * `timeoutSeconds` is how long one run may take.
 */
export function scheduleProblem(text: string, timeoutSeconds: number, now: number): string | undefined {
  const s = parseSchedule(text, now);
  if ("problem" in s) return s.problem;
  const gap = shortestIntervalMs(s, now);
  if (s.kind === "rate") {
    if (s.periodMs < 60_000) return `schedule runs every ${human(s.periodMs)}: a rate is at least 60 seconds (e.g. rate(10m))`;
    if (s.periodMs > 7 * 86_400_000) return `schedule runs every ${human(s.periodMs)}: a rate is at most 7 days; for rarer runs use a cron expression (e.g. "0 0 2 1 * ? UTC", monthly)`;
  } else if (gap !== undefined && gap < 10_000) return `schedule's cron expression fires ${human(gap)} apart: runs must be at least 10 seconds apart`;
  if (gap !== undefined && gap <= timeoutSeconds * 1000)
    return `schedule fires every ${human(gap)}, but one run may take up to ${timeoutSeconds}s (the plugin's freeze and script timeouts plus slack): choose runs more than ${human(timeoutSeconds * 1000)} apart, or lower freezeTimeoutSeconds / scriptTimeoutSeconds`;
  return undefined;
}
