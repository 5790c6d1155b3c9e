// Cloud Monitor event rules of the emulated Volcengine account: an injected spot interruption is also
// POSTed to every registered webhook, in the body Cloud Monitor sends (BytePlus/Volcengine Cloud Monitor
// docs, "Content of a webhook request of the event type": headers x-volc-trace-id and x-volc-event-id;
// body Type, AccountId, Region, Source, ProjectName, Id, EventType, Description, HappenedAt (Unix
// seconds), Details (the CloudEvents-style original: specversion, id, source, type, volcpublishtime,
// volcregion, volcaccountid, volceventbusname, volcresourcename, subject, time, data) and Rules[]).
// The spot event's type there is `ecs:Instance:SpotInstanceInterruption.Delete.Scheduled` (API-NOTES).
import { randomUUID } from "node:crypto";
import { Webhooks } from "../webhooks";

export const SPOT_WEBHOOK_EVENT_TYPE = "ecs:Instance:SpotInstanceInterruption.Delete.Scheduled";
export const EMULATED_ACCOUNT_ID = "2100000001";

/** The account's event rules with webhook targets (delivery: ../webhooks.ts). */
export class EventRules extends Webhooks {
  constructor() {
    super("rule", 7);
  }

  /** POSTs the spot event to every rule's webhook, in Cloud Monitor's body. */
  emitSpot(ev: { Id: string; ResourceId: string; createdAt: number; releaseAt: number }, region: string): void {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    this.emit(ev.Id, (rule) => ({
      headers: { "x-volc-trace-id": randomUUID(), "x-volc-event-id": ev.Id },
      body: {
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
      },
    }));
  }
}
