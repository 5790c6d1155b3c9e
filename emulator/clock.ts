// The emulator's clock. State machines read `now()` and derive status from it (lazily, on each
// request), so there are no timers to leak and no background work to race. Two modes:
// - scaled (the default, for drills and demos): emulated time runs `timeScale` times faster than real
//   time, so a five-minute spot notice can take seconds;
// - frozen (for tests): emulated time moves only when told — `advance(ms)`, and `stepPerRequestMs` per
//   cloud API request (the front calls `tick()`), so a waiter that polls makes time pass by a fixed
//   amount per poll however busy the machine is. Deadline tests must never depend on wall-clock speed.

/** Farthest one move may take the clock (and the longest step), so a typo cannot brick every route. */
export const MAX_ADVANCE_MS = 10 * 365 * 24 * 3600 * 1000;
export const MAX_TIME_SCALE = 1e6;
/** Year 9999: ISO-8601 and the clouds' date formats stop there (and Date itself not far beyond). */
const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

export interface ClockOptions {
  /** Emulated seconds per real second while running scaled (default 1). */
  timeScale?: number;
  /** Start frozen: time moves only by `advance` and the per-request step. */
  frozen?: boolean;
  /** While frozen, emulated milliseconds each cloud API request moves the clock (default 0). */
  stepPerRequestMs?: number;
  /** Emulated epoch milliseconds at start (default: the real now). */
  start?: number;
}

export interface Clock {
  /** Emulated epoch milliseconds. */
  now(): number;
  /** Emulated time as ISO-8601 (RFC 3339, UTC, no milliseconds), as the clouds print it. */
  iso(at?: number): string;
  /** Emulated seconds per real second while not frozen. */
  timeScale: number;
  /** Frozen: time stands still but for `advance` and the per-request step. Continuous across changes. */
  frozen: boolean;
  /** Emulated milliseconds each cloud API request moves a frozen clock. */
  stepPerRequestMs: number;
  /** Jump emulated time forward (drills and tests: "skip to the release"). */
  advance(ms: number): void;
  /** One cloud API request arrived: a frozen clock moves by its step. */
  tick(): void;
}

function checkTimeScale(value: number): number {
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_TIME_SCALE)) throw new RangeError(`timeScale must be a finite number > 0 and <= ${MAX_TIME_SCALE}, got ${value}`);
  return value;
}

function checkMove(what: string, ms: number): number {
  if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_ADVANCE_MS)) throw new RangeError(`${what} must be a finite number of milliseconds from 0 to ${MAX_ADVANCE_MS} (10 years), got ${ms}`);
  return ms;
}

export function createClock(opts: ClockOptions = {}): Clock {
  let scale = checkTimeScale(opts.timeScale ?? 1);
  let step = checkMove("stepPerRequestMs", opts.stepPerRequestMs ?? 0);
  let frozen = Boolean(opts.frozen);
  // now() = emuBase + (real time since realBase) × scale, or just emuBase while frozen.
  let realBase = Date.now();
  let emuBase = opts.start ?? realBase;
  if (!(Number.isFinite(emuBase) && emuBase >= 0 && emuBase <= MAX_EPOCH_MS)) throw new RangeError(`start must be epoch milliseconds between 1970 and 9999, got ${emuBase}`);

  // Re-anchor at the current emulated time, so time stays continuous across a change of mode or scale.
  const reanchor = () => {
    emuBase = clock.now();
    realBase = Date.now();
  };

  const clock: Clock = {
    get timeScale() {
      return scale;
    },
    set timeScale(value: number) {
      checkTimeScale(value);
      reanchor();
      scale = value;
    },
    get frozen() {
      return frozen;
    },
    set frozen(value: boolean) {
      reanchor();
      frozen = value;
    },
    get stepPerRequestMs() {
      return step;
    },
    set stepPerRequestMs(value: number) {
      step = checkMove("stepPerRequestMs", value);
    },
    now() {
      if (frozen) return Math.floor(emuBase);
      return Math.min(MAX_EPOCH_MS, Math.floor(emuBase + (Date.now() - realBase) * scale));
    },
    iso(at?: number) {
      return new Date(at ?? clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    },
    advance(ms: number) {
      checkMove("advance", ms);
      if (clock.now() + ms > MAX_EPOCH_MS) throw new RangeError("advance would take the clock past the year 9999");
      emuBase += ms;
    },
    tick() {
      if (frozen && step > 0) clock.advance(Math.min(step, MAX_EPOCH_MS - emuBase));
    },
  };
  return clock;
}
