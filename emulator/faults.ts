// Fault injection: rules that make a share of matching calls fail the way the clouds fail —
// throttling, 5xx, latency, or a dropped connection. Count-based rules give tests exact control;
// rate-based rules use a seeded PRNG so a drill is reproducible.

export type FaultKind = "throttle" | "5xx" | "latency" | "drop";

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
}

export interface FaultDecision {
  rule: FaultRule;
  kind: FaultKind;
}

/** mulberry32: tiny, fast, good enough for picking which calls fail. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(seed = 42) {
    this.random = prng(seed);
  }

  add(rule: FaultRule): FaultRule {
    if (!["throttle", "5xx", "latency", "drop"].includes(rule.kind)) throw new Error(`unknown fault kind ${rule.kind}`);
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new Error("rate must be within 0..1");
    const r = { ...rule, id: this.nextId++ };
    this.rules.push(r);
    return r;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(seed?: number): void {
    this.rules = [];
    if (seed !== undefined) this.random = prng(seed);
  }

  /** The fault to apply to this call, if any (consumes one use of a count-based rule). */
  decide(cloud: string, action: string): FaultDecision | undefined {
    for (const rule of this.rules) {
      if (rule.cloud && rule.cloud !== cloud) continue;
      if (rule.action && rule.action !== action) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return { rule, kind: rule.kind };
    }
    return undefined;
  }
}
