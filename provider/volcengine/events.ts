// Spot interruption notices from DescribeSystemEvents. The API's Types enum spells the event
// `SpotInstanceInterruption_Delete` only (volcengine-go-sdk service/ecs DescribeSystemEventsInput); the
// dotted `SpotInstanceInterruption.Delete` is the console's / Cloud Monitor's spelling and is never sent.
// One call covers up to 100 instances (ResourceIds.N ≤ 100), paginated (MaxResults ≤ 100).
import type { VolcengineClient } from "./client";

export const SPOT_INTERRUPTION_TYPE = "SpotInstanceInterruption_Delete";

/** SystemEventForDescribeSystemEventsOutput: ExtraInfo is an object of strings. */
export interface SystemEvent {
  Id: string;
  ResourceId: string;
  Type: string;
  Status: string;
  Category?: string;
  ExtraInfo?: Record<string, string>;
  CreatedAt: string;
  UpdatedAt?: string;
  OperatedStartAt?: string;
  OperatedEndAt?: string;
}

export interface Interruption {
  eventId: string;
  instanceId: string;
  status: string;
  noticedAt: string;
  /**
   * When the instance will be released. Which event field carries it is not documented: the notice comes
   * five minutes before the reclaim, so notice + 5 minutes, unless OperatedStartAt says earlier.
   */
  releaseAt: string;
}

export const NOTICE_MS = 5 * 60_000;

export function toInterruption(e: Pick<SystemEvent, "Id" | "ResourceId" | "Status" | "CreatedAt" | "OperatedStartAt">): Interruption {
  const byNotice = Date.parse(e.CreatedAt) + NOTICE_MS;
  const operated = e.OperatedStartAt ? Date.parse(e.OperatedStartAt) : NaN;
  const releaseAt = Number.isFinite(operated) && operated < byNotice ? operated : byNotice;
  return { eventId: e.Id, instanceId: e.ResourceId, status: e.Status, noticedAt: e.CreatedAt, releaseAt: new Date(releaseAt).toISOString() };
}

/** Spot interruptions of the given instances (batches of 100, every page), newest first. */
export async function findInterruptions(client: VolcengineClient, instanceIds: string[], opts: { statuses?: string[]; since?: Date } = {}): Promise<Interruption[]> {
  const out: Interruption[] = [];
  for (let i = 0; i < instanceIds.length; i += 100) {
    const batch = instanceIds.slice(i, i + 100);
    let nextToken: string | undefined;
    do {
      const res = await client.ecs<{ SystemEvents?: SystemEvent[]; NextToken?: string }>("DescribeSystemEvents", {
        ResourceIds: batch,
        Types: [SPOT_INTERRUPTION_TYPE],
        Status: opts.statuses ?? ["Scheduled"],
        CreatedAtStart: opts.since?.toISOString().replace(/\.\d{3}Z$/, "Z"),
        MaxResults: 100,
        NextToken: nextToken,
      });
      for (const e of res.SystemEvents ?? []) if (e.Type === SPOT_INTERRUPTION_TYPE) out.push(toInterruption(e));
      nextToken = res.NextToken || undefined;
    } while (nextToken);
  }
  return out.sort((a, b) => b.noticedAt.localeCompare(a.noticedAt));
}
