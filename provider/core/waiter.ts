// The one waiter (terraform-provider-aws's StateChangeConf): polls a status function until a target
// state, a failed state, or the timeout on the given clock. Each pause is a fixed share (5%) of the time
// waited so far, between `initialMs` and `maxMs`: a change is seen at most 5% late once a wait is past
// 20 s, and at most `initialMs` late before (the bench measures it against Terraform's fixed 5 s/10 s);
// long waits (images of big disks) poll no more often than every `maxMs`. It knows nothing of any cloud:
// status functions live beside each service's finders.
import { systemClock, type Clock } from "./clock";
import { WaitError } from "./errors";

export interface PollInterval {
  initialMs: number;
  maxMs: number;
  /** The pause as a share of the time waited so far (default 0.05). */
  share?: number;
}

export const DEFAULT_POLL: PollInterval = { initialMs: 1_000, maxMs: 10_000, share: 0.05 };

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
  clock?: Clock;
  signal?: AbortSignal;
}

export async function waitUntil<T>(spec: WaitSpec<T>): Promise<T> {
  const clock = spec.clock ?? systemClock;
  // PULUMI_RECOVERY_POLL_MS (drills, tests) wins over a waiter's own cadence.
  const interval = pollInterval() ?? spec.interval ?? DEFAULT_POLL;
  const start = clock.now();
  const deadline = start + spec.timeoutMs;
  const share = interval.share ?? DEFAULT_POLL.share!;
  for (;;) {
    spec.signal?.throwIfAborted();
    const last = await spec.poll();
    if (spec.done(last)) return last;
    const failure = spec.failed?.(last);
    if (failure) throw new WaitError(`${spec.what}: ${failure}`, "failed", spec.state?.(last));
    const left = deadline - clock.now();
    if (left <= 0) {
      const state = spec.state?.(last);
      throw new WaitError(
        `timed out after ${Math.round(spec.timeoutMs / 1000)}s waiting for ${spec.what}${state ? ` (last state: ${state})` : ""}; raise timeouts if the cloud is slow`,
        "timeout",
        state,
      );
    }
    const delay = Math.min(interval.maxMs, Math.max(interval.initialMs, Math.round((clock.now() - start) * share)));
    await clock.sleep(Math.min(delay, left), spec.signal);
  }
}

/**
 * Poll cadence override: PULUMI_RECOVERY_POLL_MS shortens it (drills and tests against the emulator);
 * the default suits the real clouds.
 */
export function pollInterval(): PollInterval | undefined {
  const ms = Number(process.env.PULUMI_RECOVERY_POLL_MS);
  return ms > 0 ? { initialMs: ms, maxMs: ms * 10 } : undefined;
}

/** Parses a duration input ("30m", "90s", "2h", "1h30m", "1d") to milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === "" || (!m[1] && !m[2] && !m[3] && !m[4])) return undefined;
  return (((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1000;
}
