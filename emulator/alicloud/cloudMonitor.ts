// CloudMonitor event subscriptions of the emulated Alibaba Cloud account: a preemptible instance
// interruption is POSTed to every registered webhook. The body is ECS's instance event notification
// (help.aliyun.com doc 143663, "Instance event notifications": id, product "ECS", resourceId
// "acs:ecs:<region>:<uid>:instance/<id>", level, name, userId, eventTime "20190409T121826.922+0800",
// regionId, content) for the event the API notes name: `Instance:PreemptibleInstanceInterruption`, level
// WARN, content {instanceId, action: "delete"}. How CloudMonitor wraps it for a webhook channel is not
// documented: the emulator posts the notification itself. Delivery is a side effect toward the outside, so
// it takes real time: `delayMs` before the POST, and a seeded `lossRate` of deliveries that never arrive.
import { randomUUID } from "node:crypto";
import { prng } from "../faults";

export const PREEMPTION_EVENT_NAME = "Instance:PreemptibleInstanceInterruption";
export const EMULATED_UID = "1690700000000030";

export interface MonitorRule {
  ruleId: string;
  url: string;
  delayMs: number;
  lossRate: number;
}

export interface MonitorDelivery {
  ruleId: string;
  instanceId: string;
  outcome: "delivered" | "lost" | "failed";
  status?: number;
}

/** `20190409T121826.922+0800`: the notification's eventTime, in China Standard Time as the doc shows it. */
export function eventTime(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000).toISOString(); // 2019-04-09T12:18:26.922Z in +08:00
  return `${d.slice(0, 10).replace(/-/g, "")}T${d.slice(11, 19).replace(/:/g, "")}${d.slice(19, 23)}+0800`;
}

export class CloudMonitor {
  rules: MonitorRule[] = [];
  deliveries: MonitorDelivery[] = [];
  private random: () => number;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly seed = 11) {
    this.random = prng(seed);
  }

  add(rule: Omit<MonitorRule, "ruleId">): MonitorRule {
    const r = { ...rule, ruleId: `cms-rule-${this.rules.length + 1}` };
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

  /** The notification body for a preemptible instance interruption noticed at `at`. */
  static body(ev: { instanceId: string; regionId: string; at: number }) {
    return {
      id: randomUUID().toUpperCase(),
      product: "ECS",
      resourceId: `acs:ecs:${ev.regionId}:${EMULATED_UID}:instance/${ev.instanceId}`,
      level: "WARN",
      name: PREEMPTION_EVENT_NAME,
      userId: EMULATED_UID,
      eventTime: eventTime(ev.at),
      regionId: ev.regionId,
      content: { instanceId: ev.instanceId, action: "delete" },
    };
  }

  /** POSTs the notification to every rule's webhook (after its delay; lost at its rate). */
  emit(ev: { instanceId: string; regionId: string; at: number }): void {
    for (const rule of this.rules) {
      if (this.random() < rule.lossRate) {
        this.deliveries.push({ ruleId: rule.ruleId, instanceId: ev.instanceId, outcome: "lost" });
        continue;
      }
      const body = CloudMonitor.body(ev);
      const t = setTimeout(() => {
        this.pending.delete(t);
        void this.post(rule, ev.instanceId, body);
      }, rule.delayMs);
      this.pending.add(t);
    }
  }

  private async post(rule: MonitorRule, instanceId: string, body: unknown): Promise<void> {
    try {
      const res = await fetch(rule.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      this.deliveries.push({ ruleId: rule.ruleId, instanceId, outcome: res.ok ? "delivered" : "failed", status: res.status });
    } catch {
      this.deliveries.push({ ruleId: rule.ruleId, instanceId, outcome: "failed" });
    }
  }
}
