// Webhook delivery of cloud events, for every cloud's monitor (Volcengine Cloud Monitor event rules,
// Alibaba CloudMonitor): registered URLs, a POST per event and rule. Delivery is a side effect toward the
// outside, so it takes real time: `delayMs` before the POST, and a seeded `lossRate` of deliveries that
// never arrive (so tests cover push, push lost, and both). Each cloud builds its own body and headers.
import { prng } from "./faults";

export interface WebhookRule {
  ruleId: string;
  url: string;
  delayMs: number;
  lossRate: number;
}

export interface WebhookDelivery {
  ruleId: string;
  /** What the event is about (an event id, an instance id). */
  subject: string;
  outcome: "delivered" | "lost" | "failed";
  status?: number;
}

export class Webhooks {
  rules: WebhookRule[] = [];
  deliveries: WebhookDelivery[] = [];
  private random: () => number;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly rulePrefix: string,
    private readonly seed: number,
  ) {
    this.random = prng(seed);
  }

  add(rule: Omit<WebhookRule, "ruleId">): WebhookRule {
    const r = { ...rule, ruleId: `${this.rulePrefix}-${this.rules.length + 1}` };
    this.rules.push(r);
    return r;
  }

  reset(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.rules = [];
    this.deliveries = [];
    this.random = prng(this.seed);
  }

  /** POSTs `render(rule)` to every rule's webhook (after its delay; lost at its rate). */
  emit(subject: string, render: (rule: WebhookRule) => { body: unknown; headers?: Record<string, string> }): void {
    for (const rule of this.rules) {
      if (this.random() < rule.lossRate) {
        this.deliveries.push({ ruleId: rule.ruleId, subject, outcome: "lost" });
        continue;
      }
      const { body, headers } = render(rule);
      const t = setTimeout(() => {
        this.pending.delete(t);
        void this.post(rule, subject, body, headers ?? {});
      }, rule.delayMs);
      this.pending.add(t);
    }
  }

  private async post(rule: WebhookRule, subject: string, body: unknown, headers: Record<string, string>): Promise<void> {
    try {
      const res = await fetch(rule.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
      this.deliveries.push({ ruleId: rule.ruleId, subject, outcome: res.ok ? "delivered" : "failed", status: res.status });
    } catch {
      this.deliveries.push({ ruleId: rule.ruleId, subject, outcome: "failed" });
    }
  }
}
