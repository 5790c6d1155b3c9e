// CloudMonitor event subscriptions of the emulated Alibaba Cloud account: a preemptible instance
// interruption is POSTed to every registered webhook. The body is ECS's instance event notification
// (help.aliyun.com doc 143663, "Instance event notifications": id, product "ECS", resourceId
// "acs:ecs:<region>:<uid>:instance/<id>", level, name, userId, eventTime "20190409T121826.922+0800",
// regionId, content) for the event the API notes name: `Instance:PreemptibleInstanceInterruption`, level
// WARN, content {instanceId, action: "delete"}. How CloudMonitor wraps it for a webhook channel is not
// documented: the emulator posts the notification itself.
import { randomUUID } from "node:crypto";
import { Webhooks } from "../webhooks";

export const PREEMPTION_EVENT_NAME = "Instance:PreemptibleInstanceInterruption";
export const EMULATED_UID = "1690700000000030";

/** `20190409T121826.922+0800`: the notification's eventTime, in China Standard Time as the doc shows it. */
export function eventTime(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000).toISOString(); // 2019-04-09T12:18:26.922Z in +08:00
  return `${d.slice(0, 10).replace(/-/g, "")}T${d.slice(11, 19).replace(/:/g, "")}${d.slice(19, 23)}+0800`;
}

/** The account's CloudMonitor event subscriptions with webhook channels (delivery: ../webhooks.ts). */
export class CloudMonitor extends Webhooks {
  constructor() {
    super("cms-rule", 11);
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

  /** POSTs the notification to every rule's webhook. */
  emitPreemption(ev: { instanceId: string; regionId: string; at: number }): void {
    this.emit(ev.instanceId, () => ({ body: CloudMonitor.body(ev) }));
  }
}
