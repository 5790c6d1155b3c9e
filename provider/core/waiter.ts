// The one waiter: polls a describe call until a state is reached, a failed state is seen, or time runs
// out. The poll interval grows (×1.5) from `initialMs` to `maxMs`, so short waits are answered quickly
// and long ones (images of big disks) do not flood the API.
import { WaitError } from "./errors";

export interface PollInterval {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_POLL: PollInterval = { initialMs: 1_000, maxMs: 10_000 };

export interface WaitSpec<T> {
  /** What is awaited, for messages: "instance i-123 to be RUNNING". */
  what: string;
  poll: () => Promise<T>;
  done: (value: T) => boolean;
  /** A reason when `value` is a terminal failure (stop waiting at once). */
  failed?: (value: T) => string | undefined;
  /** A short state label for the timeout message ("CREATING", "gone"). */
  state?: (value: T) => string | undefined;
  timeoutMs: number;
  interval?: PollInterval;
  signal?: AbortSignal;
}

export async function waitUntil<T>(spec: WaitSpec<T>): Promise<T> {
  const interval = spec.interval ?? DEFAULT_POLL;
  const deadline = Date.now() + spec.timeoutMs;
  let delay = interval.initialMs;
  let last: T | undefined;
  for (;;) {
    spec.signal?.throwIfAborted();
    last = await spec.poll();
    if (spec.done(last)) return last;
    const failure = spec.failed?.(last);
    if (failure) throw new WaitError(`${spec.what}: ${failure}`, "failed", spec.state?.(last));
    const left = deadline - Date.now();
    if (left <= 0) {
      const state = spec.state?.(last);
      throw new WaitError(
        `timed out after ${Math.round(spec.timeoutMs / 1000)}s waiting for ${spec.what}${state ? ` (last state: ${state})` : ""}; raise timeouts if the cloud is slow`,
        "timeout",
        state,
      );
    }
    await sleep(Math.min(delay, left), spec.signal);
    delay = Math.min(interval.maxMs, Math.ceil(delay * 1.5));
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Parses a duration input ("30m", "90s", "2h", "1h30m") to milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === "" || (!m[1] && !m[2] && !m[3])) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}
