// Cloud Monitor event rules of the emulated Volcengine account: an injected spot interruption is also
// POSTed to every registered webhook, in the body Cloud Monitor sends (BytePlus/Volcengine Cloud Monitor
// docs, "Content of a webhook request of the event type": headers x-volc-trace-id and x-volc-event-id;
// body Type, AccountId, Region, Source, ProjectName, Id, EventType, Description, HappenedAt (Unix
// seconds), Details (the CloudEvents-style original: specversion, id, source, type, volcpublishtime,
// volcregion, volcaccountid, volceventbusname, volcresourcename, subject, time, data) and Rules[]).
// The spot event's type there is `ecs:Instance:SpotInstanceInterruption.Delete.Scheduled` (API-NOTES).
// Delivery is a side effect toward the outside, so it uses real time: `delayMs` before the POST, and a
// seeded `lossRate` of deliveries that never arrive (so tests cover push, push lost, and both).
import { randomUUID } from "node:crypto";
import { prng } from "../faults";

export const SPOT_WEBHOOK_EVENT_TYPE = "ecs:Instance:SpotInstanceInterruption.Delete.Scheduled";
export const EMULATED_ACCOUNT_ID = "2100000001";

export interface EventRule {
  ruleId: string;
  url: string;
  delayMs: number;
  lossRate: number;
}

export interface Delivery {
  ruleId: string;
  eventId: string;
  outcome: "delivered" | "lost" | "failed";
  status?: number;
}

export class EventRules {
  rules: EventRule[] = [];
  deliveries: Delivery[] = [];
  private random: () => number;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly seed = 7) {
    this.random = prng(seed);
  }

  add(rule: Omit<EventRule, "ruleId">): EventRule {
    const r = { ...rule, ruleId: `rule-${this.rules.length + 1}` };
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

  /** POSTs the event to every rule's webhook (after its delay; lost at its rate). */
  emit(ev: { Id: string; ResourceId: string; createdAt: number; releaseAt: number }, region: string): void {
    for (const rule of this.rules) {
      if (this.random() < rule.lossRate) {
        this.deliveries.push({ ruleId: rule.ruleId, eventId: ev.Id, outcome: "lost" });
        continue;
      }
      const t = setTimeout(() => {
        this.pending.delete(t);
        void this.post(rule, ev, region);
      }, rule.delayMs);
      this.pending.add(t);
    }
  }

  private async post(rule: EventRule, ev: { Id: string; ResourceId: string; createdAt: number; releaseAt: number }, region: string): Promise<void> {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    const body = {
      Type: "Event",
      AccountId: EMULATED_ACCOUNT_ID,
      Region: region,
      Source: "ecs",
      ProjectName: "default",
      Id: ev.Id,
      EventType: SPOT_WEBHOOK_EVENT_TYPE,
      Description: "Spot instance interruption: the instance will be released",
      HappenedAt: Math.floor(ev.createdAt / 1000),
      Details: {
        specversion: "1.0",
        id: ev.Id,
        source: "ecs",
        type: SPOT_WEBHOOK_EVENT_TYPE,
        volcpublishtime: iso(ev.createdAt),
        volcregion: region,
        volcaccountid: EMULATED_ACCOUNT_ID,
        volceventbusname: "default",
        volcresourcename: ev.ResourceId,
        subject: ev.ResourceId,
        time: iso(ev.createdAt),
        // Which fields `data` carries for this event is not documented; these are the emulator's.
        data: { InstanceId: ev.ResourceId, ReleaseTime: iso(ev.releaseAt) },
      },
      Rules: [{ RuleId: rule.ruleId, RuleName: "spot-interruption", Level: "critical" }],
    };
    try {
      const res = await fetch(rule.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-volc-trace-id": randomUUID(), "x-volc-event-id": ev.Id },
        body: JSON.stringify(body),
      });
      this.deliveries.push({ ruleId: rule.ruleId, eventId: ev.Id, outcome: res.ok ? "delivered" : "failed", status: res.status });
    } catch {
      this.deliveries.push({ ruleId: rule.ruleId, eventId: ev.Id, outcome: "failed" });
    }
  }
}
