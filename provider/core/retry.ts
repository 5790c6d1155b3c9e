// The one retry strategy, one instance per connection (each cloud client owns one), modelled on
// aws-sdk-js-v3's StandardRetryStrategy (packages/util-retry): a token bucket shared by every call of
// the connection (500 tokens), a retry spends tokens only when it will actually happen, throttling and
// timeouts cost more than other transient errors, a success refunds what its retry spent (or one
// token when it needed none), and the cloud's Retry-After is a floor on the delay. Delays follow
// exponential backoff with decorrelated jitter (cockatiel's generator).
//
// Retries happen at ONE level: the client retries the calls it knows are safe to repeat (reads, writes
// carrying a ClientToken); an operation that makes a repeat safe some other way (look before you
// create, see tokens.ts) retries its unsafe call through the same strategy, never around calls that
// retry themselves.
import { ExponentialBackoff, decorrelatedJitterGenerator, type IBackoff } from "cockatiel";
import { CloudError, isThrottlingCode, isTransient } from "./errors";
import { sleep } from "./clock";

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  /** Throttling backs off from a longer base: the cloud asked us to slow down. */
  throttleDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, initialDelayMs: 200, throttleDelayMs: 1_000, maxDelayMs: 20_000 };

/**
 * PULUMI_RECOVERY_RETRY_MS shortens the backoff in the same proportions (throttling 5x, the cap 100x):
 * for drills, soaks and benchmarks against the emulator, whose frozen clock gains nothing from real
 * waiting. Unset, the defaults suit the real clouds.
 */
export function retryDelays(): Partial<RetryOptions> {
  const ms = Number(process.env.PULUMI_RECOVERY_RETRY_MS);
  return ms > 0 ? { initialDelayMs: ms, throttleDelayMs: ms * 5, maxDelayMs: ms * 100 } : {};
}

/** aws-sdk-js-v3 util-retry constants, except that throttling costs as much as a timeout. */
export const RETRY_TOKENS = { capacity: 500, transientCost: 5, throttleCost: 10, timeoutCost: 10, noRetryIncrement: 1 } as const;

export type RetryClass = "throttle" | "timeout" | "transient";

const TIMEOUT_CODES = new Set(["ETIMEDOUT", "ECONNABORTED", "ERR_SOCKET_CONNECTION_TIMEOUT", "InternalServiceTimeout"]);

/** What kind of retryable failure this is; undefined when it is not worth retrying at all. */
export function classify(err: unknown): RetryClass | undefined {
  if (!isTransient(err)) return undefined;
  const code = (err as { code?: string }).code ?? "";
  // A 429 is throttling whatever the cloud calls it (Nova: overLimit).
  if (err instanceof CloudError && (isThrottlingCode(err.code) || err.httpStatus === 429)) return "throttle";
  if (TIMEOUT_CODES.has(code) || /timeout/i.test((err as Error).message ?? "")) return "timeout";
  return "transient";
}

/** The connection's retry quota: calls fail fast instead of joining a retry storm once it is spent. */
export class RetryBudget {
  private tokens: number;
  constructor(readonly capacity: number = RETRY_TOKENS.capacity) {
    this.tokens = capacity;
  }
  costOf(cls: RetryClass): number {
    return cls === "throttle" ? RETRY_TOKENS.throttleCost : cls === "timeout" ? RETRY_TOKENS.timeoutCost : RETRY_TOKENS.transientCost;
  }
  /** Takes `cost` tokens; false (and nothing taken) when there are not enough. */
  trySpend(cost: number): boolean {
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
  release(amount: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + amount);
  }
  get remaining(): number {
    return this.tokens;
  }
}

export interface RetryEvent {
  label: string;
  err: unknown;
  cls: RetryClass;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
}

export interface RunOptions {
  /** For logs and metrics: the action, e.g. "DescribeInstances". */
  label: string;
  /** Whether repeating the call cannot do harm twice (reads, writes with a ClientToken, look-then-create). */
  safe: boolean;
  signal?: AbortSignal;
}

export class RetryStrategy {
  readonly opts: RetryOptions;
  readonly budget: RetryBudget;
  private readonly listeners = new Set<(e: RetryEvent) => void>();

  constructor(opts: Partial<RetryOptions> = {}, budget = new RetryBudget()) {
    this.opts = { ...DEFAULT_RETRY, ...retryDelays(), ...opts };
    this.budget = budget;
  }

  /** Told of every retry (logs, metrics, the benchmark's counts). Returns an unsubscribe function. */
  onRetry(listener: (e: RetryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async run<T>(fn: (attempt: number) => Promise<T>, o: RunOptions): Promise<T> {
    const backoff: { transient?: IBackoff<unknown>; throttle?: IBackoff<unknown> } = {};
    let spent = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await fn(attempt);
        this.budget.release(spent > 0 ? spent : RETRY_TOKENS.noRetryIncrement);
        return value;
      } catch (err) {
        const cls = o.safe ? classify(err) : undefined;
        if (!cls || attempt >= this.opts.maxAttempts || o.signal?.aborted) throw err;
        const cost = this.budget.costOf(cls);
        if (!this.budget.trySpend(cost)) throw err;
        spent = cost;
        const key = cls === "throttle" ? "throttle" : "transient";
        const step = backoff[key] ? backoff[key]!.next(undefined) : this.backoffFor(key).next();
        backoff[key] = step;
        const floor = err instanceof CloudError && err.retryAfterMs ? err.retryAfterMs : 0;
        const delayMs = Math.min(Math.max(step.duration, floor), Math.max(this.opts.maxDelayMs, floor));
        for (const l of this.listeners) l({ label: o.label, err, cls, attempt, delayMs });
        await sleep(delayMs, o.signal);
      }
    }
  }

  private backoffFor(key: "transient" | "throttle"): ExponentialBackoff<unknown> {
    const initialDelay = key === "throttle" ? this.opts.throttleDelayMs : this.opts.initialDelayMs;
    return new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay, maxDelay: this.opts.maxDelayMs });
  }
}
