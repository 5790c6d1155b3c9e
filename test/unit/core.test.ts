import { describe, expect, it } from "vitest";
import { externalClock } from "../../provider/core/clock";
import { CloudError, describeFailure, isTransient, NotFoundError, orUndefined } from "../../provider/core/errors";
import { diffInputs } from "../../provider/core/handler";
import { plain } from "../../provider/core/outputs";
import { classify, RETRY_TOKENS, RetryBudget, RetryStrategy } from "../../provider/core/retry";
import { attemptToken, createToken, findOrCreate, MayExistError, nextSalt } from "../../provider/core/tokens";
import { parseDuration, waitUntil } from "../../provider/core/waiter";

const throttle = () => new CloudError({ cloud: "volcengine", action: "DescribeInstances", code: "FlowLimitExceeded", message: "slow down", requestId: "r-1" });
const fiveHundred = () => new CloudError({ cloud: "volcengine", action: "DescribeInstances", code: "InternalServiceError", message: "oops", httpStatus: 500 });
const reset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
const fast = { initialDelayMs: 1, throttleDelayMs: 1, maxDelayMs: 2 };

describe("the retry strategy (one per connection)", () => {
  it("retries transient errors of a safe call and counts attempts", async () => {
    let calls = 0;
    const v = await new RetryStrategy(fast).run(async () => (++calls < 3 ? Promise.reject(throttle()) : "ok"), { label: "x", safe: true });
    expect(v).toBe("ok");
    expect(calls).toBe(3);
  });

  it("never retries an unsafe call, nor a permanent error", async () => {
    const s = new RetryStrategy(fast);
    let calls = 0;
    await expect(s.run(async () => (calls++, Promise.reject(throttle())), { label: "x", safe: false })).rejects.toThrow(/FlowLimitExceeded/);
    const perm = new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InvalidParameter", message: "no" });
    await expect(s.run(async () => (calls++, Promise.reject(perm)), { label: "x", safe: true })).rejects.toBe(perm);
    expect(calls).toBe(2);
  });

  it("gives up after maxAttempts, without spending a token on the retry that will not happen", async () => {
    const s = new RetryStrategy({ ...fast, maxAttempts: 4 });
    let calls = 0;
    await expect(s.run(async () => (calls++, Promise.reject(fiveHundred())), { label: "x", safe: true })).rejects.toThrow();
    expect(calls).toBe(4);
    expect(s.budget.remaining).toBe(RETRY_TOKENS.capacity - 3 * RETRY_TOKENS.transientCost);
  });

  it("charges throttling and timeouts more than other transient errors, and refunds on success", async () => {
    const b = new RetryBudget();
    expect(b.costOf("throttle")).toBeGreaterThan(b.costOf("transient"));
    expect(b.costOf("timeout")).toBeGreaterThan(b.costOf("transient"));
    const s = new RetryStrategy(fast, b);
    let calls = 0;
    await s.run(async () => (++calls < 2 ? Promise.reject(throttle()) : 1), { label: "x", safe: true });
    // The retry spent 10 and the success refunded the 10 it cost.
    expect(b.remaining).toBe(RETRY_TOKENS.capacity);
  });

  it("is shared by every call of the connection: a spent budget fails fast instead of joining a storm", async () => {
    const s = new RetryStrategy(fast, new RetryBudget(12));
    let calls = 0;
    await expect(s.run(async () => (calls++, Promise.reject(fiveHundred())), { label: "a", safe: true })).rejects.toThrow();
    expect(calls).toBe(3); // 12 tokens: two retries of 5
    calls = 0;
    await expect(s.run(async () => (calls++, Promise.reject(fiveHundred())), { label: "b", safe: true })).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it("stays healthy under 20% transient errors: over 300 reads the shared budget never cuts a retry short", async () => {
    const s = new RetryStrategy(fast);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const cutShort: number[] = [];
    for (let i = 0; i < 300; i++) {
      let attempts = 0;
      await s
        .run(async () => (attempts++, random() < 0.2 ? Promise.reject(fiveHundred()) : "ok"), { label: "read", safe: true })
        // Five failures in a row (p = 0.2^5) may still happen; a failure after fewer attempts would be the budget.
        .catch(() => attempts < s.opts.maxAttempts && cutShort.push(i));
    }
    expect(cutShort).toEqual([]);
    expect(s.budget.remaining).toBeGreaterThan(RETRY_TOKENS.capacity - 50);
  });

  it("waits at least the Retry-After the cloud asked for", async () => {
    const delays: number[] = [];
    const s = new RetryStrategy(fast);
    s.onRetry((e) => delays.push(e.delayMs));
    let calls = 0;
    const err = new CloudError({ cloud: "alicloud", action: "RunCommand", code: "Throttling.User", message: "x", retryAfterMs: 50 });
    await s.run(async () => (++calls < 2 ? Promise.reject(err) : 1), { label: "x", safe: true });
    expect(delays[0]).toBeGreaterThanOrEqual(50);
  });

  it("classifies network errors, 5xx and the clouds' transient codes", () => {
    expect(classify(reset())).toBe("transient");
    expect(classify(Object.assign(new Error("timeout of 30000ms exceeded"), { code: "ECONNABORTED" }))).toBe("timeout");
    expect(classify(throttle())).toBe("throttle");
    for (const code of ["InternalServiceTimeout", "OperationConflict", "IdempotentProcessing", "ServiceUnavailable"]) {
      expect(isTransient(new CloudError({ cloud: "alicloud", action: "X", code, message: "" })), code).toBe(true);
    }
    expect(isTransient(new Error("bad input"))).toBe(false);
  });
});

describe("the create-token rule", () => {
  it("derives the same token for the same create, and another for another resource, inputs or salt, ignoring secrets", () => {
    const t = createToken("k", "p/s/web", undefined, { a: 1, password: "x" }, ["password"]);
    expect(t).toMatch(/^pr[0-9a-f]{30}$/);
    expect(createToken("k", "p/s/web", undefined, { a: 1, password: "y" }, ["password"])).toBe(t);
    expect(createToken("k", "p/s/db", undefined, { a: 1 })).not.toBe(t);
    expect(createToken("k", "p/s/web", undefined, { a: 2 })).not.toBe(t);
    expect(createToken("k", "p/s/web", "salt", { a: 1 })).not.toBe(t);
    expect(attemptToken(t)).toMatch(/^[\x21-\x7e]{1,64}$/);
    expect(attemptToken(t)).not.toBe(attemptToken(t));
  });

  it("gives a first create no salt and a replacement one derived from what it replaces (stable across retries)", () => {
    expect(nextSalt({})).toBeUndefined();
    const olds = { a: 1, __tokenSalt: undefined };
    expect(nextSalt(olds)).toBe(nextSalt({ ...olds }));
    const s1 = nextSalt(olds)!;
    expect(nextSalt({ a: 1, __tokenSalt: s1 })).not.toBe(s1);
  });

  const retry = () => new RetryStrategy(fast);

  it("adopts what an earlier attempt made instead of creating again", async () => {
    let creates = 0;
    const r = await findOrCreate({ what: "x", token: "t", retry: retry(), find: async () => [{ id: "i-1" }], create: async () => (creates++, "i-2") });
    expect(r).toMatchObject({ value: "i-1", adopted: true });
    expect(creates).toBe(0);
  });

  it("after a lost answer looks again before retrying, and finds what the cloud made", async () => {
    const made: { id: string }[] = [];
    const tokens: string[] = [];
    const r = await findOrCreate({
      what: "x",
      token: "t",
      retry: retry(),
      find: async () => made,
      create: async (clientToken) => {
        tokens.push(clientToken);
        made.push({ id: "i-1" });
        throw reset(); // the cloud acted, the answer was lost
      },
    });
    expect(r).toMatchObject({ value: "i-1", adopted: true });
    expect(tokens).toHaveLength(1);
  });

  it("says the resource may exist when every attempt's answer was lost and nothing is found", async () => {
    await expect(findOrCreate({ what: "image web", token: "t", retry: new RetryStrategy({ ...fast, maxAttempts: 2 }), find: async () => [], create: async () => Promise.reject(reset()) })).rejects.toBeInstanceOf(MayExistError);
    await expect(findOrCreate({ what: "image web", token: "t", retry: new RetryStrategy({ ...fast, maxAttempts: 2 }), find: async () => [], create: async () => Promise.reject(reset()) })).rejects.toThrow(/may exist.*pulumi up/);
  });

  it("converges racers on the oldest of several made under one token and discards the rest", async () => {
    // Two controllers without a shared journal: both looked, found nothing, and created.
    const cloud = [{ id: "ssg-racer", createdAt: "2026-01-01T00:00:00Z" }];
    const discarded: string[] = [];
    let finds = 0;
    const r = await findOrCreate({
      what: "point",
      token: "t",
      retry: retry(),
      find: async () => (finds++ === 0 ? [] : cloud.filter((m) => !discarded.includes(m.id))),
      create: async () => {
        cloud.push({ id: "ssg-mine", createdAt: "2026-01-01T00:00:01Z" });
        return "ssg-mine";
      },
      discard: async (id) => void discarded.push(id),
    });
    expect(r).toEqual({ value: "ssg-racer", adopted: true, discarded: ["ssg-mine"] });
    expect(discarded).toEqual(["ssg-mine"]);
  });
});

describe("errors", () => {
  it("name the resource, the action, the code, the request id and what to do", () => {
    const e = describeFailure("SpotInstance web", new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InsufficientInstanceStock", message: "sold out", requestId: "req-9" }));
    expect(e.message).toMatch(/^SpotInstance web: volcengine RunInstances failed with InsufficientInstanceStock: sold out \(request id req-9\)\. What to do: .*zoneId/);
  });
  it("finders throw a typed NotFound that callers turn into undefined", async () => {
    expect(await orUndefined(Promise.reject(new NotFoundError("instance", "i-1")))).toBeUndefined();
    await expect(orUndefined(Promise.reject(new Error("other")))).rejects.toThrow("other");
  });
});

describe("waiter", () => {
  const interval = { initialMs: 1, maxMs: 1 };
  it("polls until done", async () => {
    let n = 0;
    expect(await waitUntil({ what: "n", poll: async () => ++n, done: (v) => v >= 3, timeoutMs: 5_000, interval })).toBe(3);
  });
  it("stops at once on a failed state", async () => {
    let n = 0;
    await expect(waitUntil({ what: "image i to be available", poll: async () => (n++, "error"), done: (v) => v === "available", failed: (v) => (v === "error" ? "status error" : undefined), timeoutMs: 5_000, interval })).rejects.toThrow(/image i to be available: status error/);
    expect(n).toBe(1);
  });
  it("times out on the clock it is given, naming the last state (a stepped clock: no wall-clock margin)", async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    let polls = 0;
    await expect(waitUntil({ what: "x", poll: async () => (polls++, "CREATING"), done: () => false, state: (v) => v, timeoutMs: 10_000, interval: { initialMs: 1_000, maxMs: 1_000 }, clock })).rejects.toThrow(/timed out after 10s.*last state: CREATING/);
    expect(polls).toBe(11);
    expect(now).toBe(10_000);
  });
  it("external clocks read the cloud's time and sleep scaled real time", async () => {
    let t = 1_000;
    const c = externalClock(() => t, 0.001);
    expect(c.now()).toBe(1_000);
    t = 5_000;
    expect(c.now()).toBe(5_000);
    await c.sleep(1_000); // 1 ms of real time
  });
  it("parses durations", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });
});

describe("outputs and diff", () => {
  it("plain() drops undefined and encodes Date and BigInt", () => {
    expect(plain({ a: undefined, b: new Date(0), c: 10n, d: [undefined, 1], e: NaN })).toEqual({ b: "1970-01-01T00:00:00.000Z", c: "10", d: [null, 1], e: null });
  });
  it("diffInputs separates in-place changes from replacements and ignores bookkeeping", () => {
    const d = diffInputs({ a: 1, b: [1], __x: "1" }, { a: 2, b: [1], __x: "2" }, { inputKeys: ["a", "b", "__x"], replaceKeys: ["b"] });
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(diffInputs({ a: 1, b: [1] }, { a: 1, b: [2] }, { inputKeys: ["a", "b"], replaceKeys: ["b"] }).replaces).toEqual(["b"]);
  });
});
