// The one retry policy for every cloud call: exponential backoff with decorrelated jitter (cockatiel),
// a floor of whatever Retry-After the cloud asked for, a cap on attempts, and a shared retry budget so a
// struggling endpoint is not hammered by every caller at once (the AWS SDKs' "retry quota" idea).
// It retries only transient errors, and only where the caller says a retry is safe: reads, and writes
// that carry a ClientToken. Anything else fails on the first error.
import { ExponentialBackoff, decorrelatedJitterGenerator, handleWhen, retry, type IBackoff, type IBackoffFactory, type IRetryBackoffContext } from "cockatiel";
import { CloudError, isThrottlingCode, isTransient } from "./errors";

export interface RetryOptions {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 6, initialDelayMs: 200, maxDelayMs: 20_000 };

/**
 * A token bucket shared by all calls of one client: a retry spends tokens, a success earns one back.
 * When it is empty, calls fail fast instead of joining a retry storm.
 */
export class RetryBudget {
  private tokens: number;
  constructor(
    readonly capacity = 100,
    private readonly retryCost = 5,
    private readonly throttleCost = 2,
  ) {
    this.tokens = capacity;
  }
  /** Takes the cost of one retry; false when the budget is spent. */
  spend(err: unknown): boolean {
    // Throttling is the cloud telling us to slow down, not to stop: it costs less.
    const cost = err instanceof CloudError && isThrottlingCode(err.code) ? this.throttleCost : this.retryCost;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
  refund(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }
  get remaining(): number {
    return this.tokens;
  }
}

/** Backoff that waits at least as long as the cloud's Retry-After, when it sent one. */
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(private readonly inner: IBackoffFactory<IRetryBackoffContext<unknown>>) {}
  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const step = this.inner.next(context);
    const err = "error" in context.result ? context.result.error : undefined;
    const floor = err instanceof CloudError && err.retryAfterMs ? err.retryAfterMs : 0;
    return { duration: Math.max(step.duration, floor), next: (ctx) => new RetryAfterBackoff(step).next(ctx) };
  }
}

export interface CallStats {
  calls: number;
  retries: number;
}

/**
 * Runs `fn` under the retry policy. `safe` says whether repeating the call cannot do harm twice.
 * `onRetry` is told of each retry (for logs and the benchmark's call counts).
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  opts: {
    safe: boolean;
    budget?: RetryBudget;
    retry?: Partial<RetryOptions>;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    signal?: AbortSignal;
  },
): Promise<T> {
  const o = { ...DEFAULT_RETRY, ...opts.retry };
  const budget = opts.budget;
  const policy = retry(
    handleWhen((err) => opts.safe && isTransient(err) && (budget ? budget.spend(err) : true)),
    {
      maxAttempts: o.maxAttempts - 1, // cockatiel counts retries, we count attempts
      backoff: new RetryAfterBackoff(
        new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: o.initialDelayMs, maxDelay: o.maxDelayMs }),
      ),
    },
  );
  if (opts.onRetry) {
    const onRetry = opts.onRetry;
    policy.onRetry((e) => onRetry("error" in e ? e.error : undefined, e.attempt, e.delay));
  }
  const value = await policy.execute(() => fn(), opts.signal);
  budget?.refund();
  return value;
}
