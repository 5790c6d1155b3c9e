// Fault injection: rules that make a share of matching calls fail the way the clouds fail —
// throttling, 5xx, latency, a dropped connection, or a lost response. Count-based rules give tests
// exact control; rate-based rules use a seeded PRNG so a drill is reproducible — one stream per cloud
// and action, so which call fails is the n-th call of that action whatever else runs at the same time
// (two calls of different actions racing to the server cannot swap their faults).
//   drop           the connection is cut before the cloud handles the request: nothing happened.
//   lose-response  the cloud handles the request (state changes, the call log records its answer),
//                  then the answer never arrives — what idempotency (ClientToken) exists for:
//                  mode "reset" (default) destroys the socket without a byte of response, which the
//                  Node SDKs (axios, the Tea client) report as ECONNRESET ("socket hang up");
//                  mode "timeout" holds the connection open until the client gives up (its own timeout).
import { BadInput, is, type Schema } from "./settings";

export const FAULT_KINDS = ["throttle", "5xx", "latency", "drop", "lose-response"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  id?: number;
  cloud?: "volcengine" | "alicloud" | "openstack";
  /** Exact action name; omitted = every action. */
  action?: string;
  kind: FaultKind;
  /** Share of matching calls affected, 0..1 (default 1). */
  rate?: number;
  /** Apply to the next N matching calls, then expire. */
  count?: number;
  code?: string;
  status?: number;
  latencyMs?: number;
  retryAfterSeconds?: number;
  /** lose-response only: "reset" (default) or "timeout". */
  mode?: "reset" | "timeout";
}

const RULE: Schema<FaultRule> = {
  id: is.number({ integer: true }), // echoed back by GET faults; ignored on add
  cloud: is.oneOf("volcengine", "alicloud", "openstack"),
  action: is.string({ nonEmpty: true }),
  kind: is.oneOf(...FAULT_KINDS),
  rate: is.number({ max: 1 }),
  count: is.number({ min: 1, integer: true }),
  code: is.string({ nonEmpty: true }),
  status: is.number({ min: 400, max: 599, integer: true }),
  latencyMs: is.number({ max: 10 * 60_000 }),
  retryAfterSeconds: is.number({ max: 24 * 3600 }),
  mode: is.oneOf("reset", "timeout"),
};
const checkRule = is.shape(RULE, (Object.keys(RULE) as (keyof FaultRule)[]).filter((k) => k !== "kind"));

export interface FaultDecision {
  rule: FaultRule;
  kind: FaultKind;
}

/** mulberry32: tiny, fast, good enough for picking which calls fail. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: a stream's seed from the run's seed and the cloud and action it draws for. */
function streamSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private readonly streams = new Map<string, () => number>();

  constructor(private seed = 42) {}

  private random(cloud: string, action: string): number {
    const key = `${cloud}\0${action}`;
    let next = this.streams.get(key);
    if (!next) this.streams.set(key, (next = prng(streamSeed(this.seed, key))));
    return next();
  }

  /** Adds a rule (checked: BadInput names what is wrong). */
  add(input: unknown): FaultRule {
    const rule = checkRule(input, "fault");
    if (rule.mode !== undefined && rule.kind !== "lose-response") throw new BadInput("fault.mode applies to kind lose-response only.");
    const r = { ...rule, id: this.nextId++ };
    this.rules.push(r);
    return r;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(seed?: number): void {
    this.rules = [];
    // A new seed starts every stream again; clearing the rules alone leaves them where they are.
    if (seed !== undefined) {
      this.seed = seed;
      this.streams.clear();
    }
  }

  /** The fault to apply to this call, if any (consumes one use of a count-based rule). */
  decide(cloud: string, action: string): FaultDecision | undefined {
    for (const rule of this.rules) {
      if (rule.cloud && rule.cloud !== cloud) continue;
      if (rule.action && rule.action !== action) continue;
      if (rule.rate !== undefined && this.random(cloud, action) >= rule.rate) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return { rule, kind: rule.kind };
    }
    return undefined;
  }
}
