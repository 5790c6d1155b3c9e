// Periodic Cloud Assistant invocations (RunCommand / InvokeCommand `RepeatMode=Period` with a `Frequency`):
// what the API accepts, and when the agent fires them. Evaluated lazily against the emulator's clock: the
// model asks for the fire times between two instants, so a frozen, stepped clock fires schedules at exact,
// repeatable times.
//
// Sources:
// - the API's limits: RunCommandRequest.frequency / ModifyInvocationAttributeRequest.frequency in
//   @alicloud/ecs20140526 (rate: 60 s to 7 days and longer than the Timeout; cron: the interval at least the
//   Timeout and at least 10 s); a refused Frequency is `InvalidParam.Frequency` (403, the RunCommand error
//   table of the ECS API reference);
// - how the agent evaluates them: aliyun/aliyun_assist_client agent/taskengine/timermanager/
//   (ratescheduled.go: `rate(<n><s|m|h|d>)`, case-insensitive, the k-th run at creation + k·period, never at
//   creation; atscheduled.go: `at(yyyy-MM-dd HH:mm:ss …)`; cronscheduled.go: 6, 7 or 8 fields — seconds,
//   minutes, hours, day of month, month, day of week, optional year, optional time zone, the zone a TZ name
//   with "/", `GMT±H:MM` or GMT/UTC, without one the instance's own zone; an expression with no next run is
//   reported by the agent as CronExpressionExpired) and its vendored gorhill/cronexpr (cronexpr_parse.go:
//   the field grammar; day of week 0-6 with 7 = Sunday; day of month and day of week both restricted means
//   either matches; years 1970-2099);
// - scheduletask.go startExclusiveInvocation: a run that is still going when the next time comes makes the
//   agent skip that time (runs of one periodic task never overlap).
// What no source says, and is an emulator setting: the instance's own time zone for a cron without one
// (`instanceTimeZone`), and how many missed fire times one clock jump may catch up (`maxCatchUpRuns`).
import { Cron, type CronOptions } from "croner";
import { AcsError } from "../errors";

export type Schedule =
  | { kind: "rate"; periodMs: number }
  | { kind: "at"; at: number }
  | { kind: "cron"; cron: Cron<undefined>; expression: string };

/** The agent's own reason a schedule cannot run (it reports the task Invalid with this code). */
export interface AgentRefusal {
  code: string;
  message: string;
}

const invalid = (why: string) => new AcsError("InvalidParam.Frequency", 403, `The specified frequency is invalid. ${why}`.trim());

const RATE = /^rate\s*\((\d+)\s*([smhd])\)$/i; // ratescheduled.go rateExpressionRegexp, anchored as its full-match check does
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RATE_MIN_MS = 60_000; // RunCommandRequest.frequency: "cannot … be less than 60 seconds"
const RATE_MAX_MS = 7 * 86_400_000; // "cannot exceed 7 days"
const CRON_MIN_MS = 10_000; // "no less than 10 seconds"

/** cronscheduled.go CronYearFieldRegexp: a 7th field that is a year (else it is a time zone). */
const YEAR_FIELD = /^\*$|^\?$|19[789][0-9]|20[0-9]{2}|^\*\/(\d+)$/;
/** cronscheduled.go GMTOffsetTimezoneRegexp. */
const GMT_OFFSET = /GMT([+-])([0-9]|1[0-4]):([0-5][0-9])/g;

interface Field {
  name: string;
  max: number;
  value: string;
}
// cronexpr_parse.go valuePattern of each field (lower-cased input).
const FIELDS: Field[] = [
  { name: "second", max: 59, value: "0?[0-9]|[1-5][0-9]" },
  { name: "minute", max: 59, value: "0?[0-9]|[1-5][0-9]" },
  { name: "hour", max: 23, value: "0?[0-9]|1[0-9]|2[0-3]" },
  { name: "day-of-month", max: 31, value: "0?[1-9]|[12][0-9]|3[01]" },
  { name: "month", max: 12, value: "0?[1-9]|1[012]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december" },
  { name: "day-of-week", max: 6, value: "0?[0-7]|sun|mon|tue|wed|thu|fri|sat|sunday|monday|tuesday|wednesday|thursday|friday|saturday" },
  { name: "year", max: 2099, value: "19[789][0-9]|20[0-9]{2}" },
];
const LONG_NAMES: Record<string, string> = {
  january: "jan", february: "feb", march: "mar", april: "apr", june: "jun", july: "jul", august: "aug", september: "sep", october: "oct", november: "nov", december: "dec",
  sunday: "sun", monday: "mon", tuesday: "tue", wednesday: "wed", thursday: "thu", friday: "fri", saturday: "sat",
};

/**
 * One cron field as cronexpr parses it (its layouts: `*`/`?`, value, range, `*∕n`, `v/n`, `a-b/n`, and
 * `L`, `LW`, `nW` in day of month, `nL`, `n#k` in day of week), rewritten for croner, which reads the same
 * grammar but for `v/n` (written `v-max/n`) and long names. Undefined when cronexpr refuses it.
 */
function fieldForCroner(raw: string, f: Field, index: number): string | undefined {
  const v = `(?:${f.value})`;
  const out: string[] = [];
  for (const entry of raw.toLowerCase().split(",")) {
    if (entry === "") return undefined;
    const e = entry.replace(/[a-z]{4,}/g, (w) => LONG_NAMES[w] ?? w);
    const step = (s: string) => Number(s) >= 1 && Number(s) <= f.max;
    let m: RegExpExecArray | null;
    if (/^[*?]$/.test(e)) out.push("*");
    else if (new RegExp(`^${v}$`).test(e) || new RegExp(`^${v}-${v}$`).test(e)) out.push(e);
    else if ((m = /^\*\/(\d+)$/.exec(e))) {
      if (!step(m[1])) return undefined;
      out.push(e);
    } else if ((m = new RegExp(`^(${v})/(\\d+)$`).exec(e))) {
      if (!step(m[2])) return undefined;
      out.push(`${m[1]}-${f.max}/${m[2]}`);
    } else if ((m = new RegExp(`^(${v}-${v})/(\\d+)$`).exec(e))) {
      if (!step(m[2])) return undefined;
      out.push(e);
    } else if (index === 3 && (e === "l" || e === "lw" || new RegExp(`^${v}w$`).test(e))) out.push(e.toUpperCase());
    else if (index === 5 && (new RegExp(`^${v}l$`).test(e) || new RegExp(`^${v}#[1-5]$`).test(e))) out.push(e.toUpperCase());
    else return undefined;
  }
  return out.join(",");
}

/** A cron Frequency as the agent splits it: the croner pattern and its zone; or the agent's refusal. */
export function parseCron(expression: string, instanceTimeZone: string): { cron: Cron<undefined> } | AgentRefusal {
  const fields = expression.trim().split(/\s+/);
  let zone: string | undefined;
  // 7 fields: the last is a year if it looks like one, else a zone; 8: the last is the zone; then a missing year is "*".
  if (fields.length === 8 || (fields.length === 7 && !YEAR_FIELD.test(fields[6]))) zone = fields.pop();
  if (fields.length === 6) fields.push("*");
  if (fields.length !== 7) return { code: "InvalidCronExpression", message: "invalid cron expression cannot be parsed" };
  const converted: string[] = [];
  for (let i = 0; i < 7; i++) {
    const c = fieldForCroner(fields[i], FIELDS[i], i);
    if (c === undefined) return { code: "InvalidCronExpression", message: `syntax error in ${FIELDS[i].name} field: '${fields[i]}'` };
    converted.push(c);
  }
  const options: CronOptions<undefined> = { paused: true };
  const tz = zone ?? instanceTimeZone;
  if (tz.includes("/")) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
    } catch {
      return { code: "TimezoneInformationCorrupt", message: "Information of sepcified timezone in cron expression cannot be parsed" };
    }
    options.timezone = tz;
  } else if (/[+-]/.test(tz)) {
    const matches = [...tz.matchAll(GMT_OFFSET)];
    if (matches.length !== 1) return { code: "InvalidGMTOffsetForTimezone", message: "invalid GMT+-offset format at timezone field cannot be parsed" };
    const [, sign, h, m] = matches[0];
    options.utcOffset = (sign === "-" ? -1 : 1) * (Number(h) * 60 + Number(m));
  } else if (tz === "GMT" || tz === "UTC") options.timezone = "UTC";
  else return { code: "TimezoneInformationCorrupt", message: "Information of sepcified timezone in cron expression cannot be parsed" };
  try {
    return { cron: new Cron<undefined>(converted.join(" "), options) };
  } catch (e) {
    return { code: "InvalidCronExpression", message: (e as Error).message };
  }
}

/** `at(yyyy-MM-dd HH:mm:ss [zone])` (the API's form; the agent reads the instant in UTC unless a zone is given). */
function parseAt(inner: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\s+(.+))?$/.exec(inner.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!zone || zone === "UTC" || zone === "GMT") return utc;
  const gmt = /^GMT([+-])([0-9]|1[0-4]):([0-5][0-9])$/.exec(zone);
  if (gmt) return utc - (gmt[1] === "-" ? -1 : 1) * (Number(gmt[2]) * 60 + Number(gmt[3])) * 60_000;
  try {
    // The zone's offset at that wall-clock time.
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(utc));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    return utc - (asUtc - utc);
  } catch {
    return undefined;
  }
}

/** The shortest gap between the next `n` runs of a cron (its effective minimum interval). */
function minGapMs(cron: Cron<undefined>, from: number, n = 50): number | undefined {
  const runs = cron.nextRuns(n, new Date(from)).map((d) => d.getTime());
  let min: number | undefined;
  for (let i = 1; i < runs.length; i++) min = Math.min(min ?? Infinity, runs[i] - runs[i - 1]);
  return min;
}

/**
 * What the API does with a Frequency at RunCommand / ModifyInvocationAttribute: refuses (InvalidParam.Frequency)
 * what it cannot read or what breaks the documented limits; returns the schedule, or the agent's refusal for
 * an expression the agent will report invalid (an expired `at` or cron: the task is Invalid, not the request).
 */
export function acceptFrequency(frequency: string, o: { timeoutSeconds: number; now: number; instanceTimeZone: string }): { schedule: Schedule } | { refusal: AgentRefusal } {
  const f = frequency.trim();
  const rate = RATE.exec(f);
  if (/^rate\s*\(/i.test(f)) {
    if (!rate || Number(rate[1]) === 0) throw invalid("A rate is rate(<whole number><s|m|h|d>), e.g. rate(5m).");
    const periodMs = Number(rate[1]) * UNIT_MS[rate[2].toLowerCase()];
    if (periodMs < RATE_MIN_MS || periodMs > RATE_MAX_MS) throw invalid("The interval of a rate must be from 60 seconds to 7 days.");
    if (periodMs <= o.timeoutSeconds * 1000) throw invalid("The interval of a rate must be longer than the Timeout of the command.");
    return { schedule: { kind: "rate", periodMs } };
  }
  if (/^at\s*\(/i.test(f)) {
    const at = f.endsWith(")") ? parseAt(f.slice(f.indexOf("(") + 1, -1)) : undefined;
    if (at === undefined) throw invalid("An at expression is at(yyyy-MM-dd HH:mm:ss <time zone>).");
    if (at <= o.now) return { refusal: { code: "AtExpressionExpired", message: "at expression had expired at the moment of system clock" } };
    return { schedule: { kind: "at", at } };
  }
  const parsed = parseCron(f, o.instanceTimeZone);
  if (!("cron" in parsed)) throw invalid(`${parsed.message}.`);
  const next = parsed.cron.nextRun(new Date(o.now));
  if (!next) return { refusal: { code: "CronExpressionExpired", message: "cron expression had expired at the moment of system clock" } };
  const gap = minGapMs(parsed.cron, o.now);
  if (gap !== undefined && gap < Math.max(CRON_MIN_MS, o.timeoutSeconds * 1000)) throw invalid("The interval of a cron expression must be at least the Timeout of the command and at least 10 seconds.");
  return { schedule: { kind: "cron", cron: parsed.cron, expression: f } };
}

/** The fire times in (after, upTo], oldest first, at most `limit`. Rates count from `createdAt`. */
export function fireTimes(s: Schedule, createdAt: number, after: number, upTo: number, limit: number): number[] {
  const out: number[] = [];
  if (s.kind === "at") return s.at > after && s.at <= upTo ? [s.at] : [];
  if (s.kind === "rate") {
    // ratescheduled.go scheduleNextRunTimeFrom: start + (passed periods + 1) · period.
    let k = Math.max(1, Math.floor((after - createdAt) / s.periodMs) + 1);
    for (let t = createdAt + k * s.periodMs; t <= upTo && out.length < limit; t = createdAt + ++k * s.periodMs) if (t > after) out.push(t);
    return out;
  }
  let from = new Date(after);
  while (out.length < limit) {
    const next = s.cron.nextRun(from);
    if (!next || next.getTime() > upTo) break;
    out.push(next.getTime());
    from = next;
  }
  return out;
}

/** Whether the schedule can fire after `t` (a cron past its last year, an `at` gone by: no). */
export function firesAfter(s: Schedule, t: number): boolean {
  if (s.kind === "rate") return true;
  if (s.kind === "at") return s.at > t;
  return s.cron.nextRun(new Date(t)) !== null;
}
