import { describe, expect, it } from "vitest";
import { CloudError, describeFailure, isTransient } from "../../provider/core/errors";
import { diffInputs } from "../../provider/core/handler";
import { plain } from "../../provider/core/outputs";
import { RetryBudget, withRetry } from "../../provider/core/retry";
import { parseDuration, waitUntil } from "../../provider/core/waiter";

const throttle = () => new CloudError({ cloud: "volcengine", action: "DescribeInstances", code: "FlowLimitExceeded", message: "slow down", requestId: "r-1" });
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe("retry policy", () => {
  it("retries transient errors of a safe call and counts attempts", async () => {
    let calls = 0;
    const v = await withRetry(async () => (++calls < 3 ? Promise.reject(throttle()) : "ok"), { safe: true, retry: fast });
    expect(v).toBe("ok");
    expect(calls).toBe(3);
  });
  it("never retries an unsafe call", async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(throttle())), { safe: false, retry: fast })).rejects.toThrow(/FlowLimitExceeded/);
    expect(calls).toBe(1);
  });
  it("never retries a permanent error", async () => {
    let calls = 0;
    const perm = new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InvalidArgument", message: "no" });
    await expect(withRetry(async () => (calls++, Promise.reject(perm)), { safe: true, retry: fast })).rejects.toBe(perm);
    expect(calls).toBe(1);
  });
  it("gives up after maxAttempts", async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(throttle())), { safe: true, retry: { ...fast, maxAttempts: 4 } })).rejects.toThrow();
    expect(calls).toBe(4);
  });
  it("stops retrying when the shared budget is spent", async () => {
    const budget = new RetryBudget(4, 5, 2); // two throttling retries' worth
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(throttle())), { safe: true, budget, retry: fast })).rejects.toThrow();
    expect(calls).toBe(3);
    expect(budget.remaining).toBe(0);
  });
  it("waits at least the Retry-After the cloud asked for", async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = new CloudError({ cloud: "alicloud", action: "RunCommand", code: "Throttling.User", message: "x", retryAfterMs: 50 });
    await withRetry(async () => (++calls < 2 ? Promise.reject(err) : 1), { safe: true, retry: fast, onRetry: (_e, _a, d) => delays.push(d) });
    expect(delays[0]).toBeGreaterThanOrEqual(50);
  });
  it("classifies network errors and 5xx as transient", () => {
    expect(isTransient(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransient(new CloudError({ cloud: "alicloud", action: "X", code: "ServiceUnavailable", message: "", httpStatus: 503 }))).toBe(true);
    expect(isTransient(new Error("bad input"))).toBe(false);
  });
});

describe("errors", () => {
  it("name the resource, the action, the code, the request id and what to do", () => {
    const e = describeFailure("SpotInstance web", new CloudError({ cloud: "volcengine", action: "RunInstances", code: "InsufficientInstanceStock", message: "sold out", requestId: "req-9" }));
    expect(e.message).toMatch(/^SpotInstance web: volcengine RunInstances failed with InsufficientInstanceStock: sold out \(request id req-9\)\. What to do: .*zoneId/);
  });
});

describe("waiter", () => {
  it("polls until done", async () => {
    let n = 0;
    expect(await waitUntil({ what: "n", poll: async () => ++n, done: (v) => v >= 3, timeoutMs: 5_000, interval: { initialMs: 1, maxMs: 1 } })).toBe(3);
  });
  it("stops at once on a failed state", async () => {
    let n = 0;
    await expect(
      waitUntil({ what: "image i to be available", poll: async () => (n++, "error"), done: (v) => v === "available", failed: (v) => (v === "error" ? "status error" : undefined), timeoutMs: 5_000, interval: { initialMs: 1, maxMs: 1 } }),
    ).rejects.toThrow(/image i to be available: status error/);
    expect(n).toBe(1);
  });
  it("times out naming the last state", async () => {
    await expect(waitUntil({ what: "x", poll: async () => "CREATING", done: () => false, state: (v) => v, timeoutMs: 0, interval: { initialMs: 1, maxMs: 1 } })).rejects.toThrow(/last state: CREATING/);
  });
  it("parses durations", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("90s")).toBe(90_000);
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
