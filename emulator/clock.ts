// The emulator's clock. Emulated time runs `timeScale` times faster than real time, so a drill of a
// five-minute spot notice can take seconds. State machines read `now()` and derive status from it
// (lazily, on each request), so there are no timers to leak and no background work to race.

export interface Clock {
  /** Emulated epoch milliseconds. */
  now(): number;
  /** Emulated time as ISO-8601 (RFC 3339, UTC, no milliseconds), as the clouds print it. */
  iso(at?: number): string;
  timeScale: number;
  /** Jump emulated time forward (drills and tests: "skip to the release"). */
  advance(ms: number): void;
}

export function createClock(timeScale = 1, start = Date.now()): Clock {
  let realBase = Date.now();
  let emuBase = start;
  const clock: Clock = {
    get timeScale() {
      return scale;
    },
    set timeScale(value: number) {
      if (!(value > 0)) throw new Error(`timeScale must be > 0, got ${value}`);
      // Re-anchor so emulated time stays continuous across a change of scale.
      emuBase = clock.now();
      realBase = Date.now();
      scale = value;
    },
    now() {
      return Math.floor(emuBase + (Date.now() - realBase) * scale);
    },
    iso(at?: number) {
      return new Date(at ?? clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    },
    advance(ms: number) {
      emuBase += ms;
    },
  };
  let scale = timeScale;
  if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
  return clock;
}
