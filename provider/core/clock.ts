// Time as the code that waits sees it. Providers wait on the machine's clock; the recovery controller
// measures deadlines on the cloud's clock (the emulator's, in drills and tests, which a test can freeze
// and step). Waiters and retries take a Clock instead of reading Date.now themselves.

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` of this clock's time (rejects when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

/**
 * A clock read from elsewhere (the cloud's), whose sleeps still pass in real time: polling cadence is
 * real, deadlines are the cloud's. `realMsPerMs` scales a sleep (a drill at 60x sleeps 1/60 as long).
 */
export function externalClock(now: () => number, realMsPerMs = 1): Clock {
  return { now, sleep: (ms, signal) => sleep(Math.max(1, Math.round(ms * realMsPerMs)), signal) };
}
