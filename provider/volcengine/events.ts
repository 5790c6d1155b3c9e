// Spot interruption notices from DescribeSystemEvents. The API spells the type
// `SpotInstanceInterruption_Delete`; the console and runbooks write `SpotInstanceInterruption.Delete`.
// Both are accepted. One call covers up to 100 instances (ResourceIds.N), paginated.
import type { EcsClient } from "./client";

export const SPOT_INTERRUPTION_TYPES = ["SpotInstanceInterruption_Delete", "SpotInstanceInterruption.Delete"];

export interface SystemEvent {
  Id: string;
  ResourceId: string;
  Type: string;
  Status: string;
  Category?: string;
  ExtraInfo?: string;
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
  /** When the instance will be released: the event's operated start, else notice + 5 minutes. */
  releaseAt: string;
}

export const NOTICE_MS = 5 * 60_000;

export function isSpotInterruption(type: string): boolean {
  return SPOT_INTERRUPTION_TYPES.includes(type);
}

export function toInterruption(e: SystemEvent): Interruption {
  const releaseAt = e.OperatedStartAt || new Date(Date.parse(e.CreatedAt) + NOTICE_MS).toISOString();
  return { eventId: e.Id, instanceId: e.ResourceId, status: e.Status, noticedAt: e.CreatedAt, releaseAt };
}

/**
 * Scheduled spot interruptions for the given instances (batches of 100, every page), newest first per
 * instance. Both spellings of the type are asked for in the same call.
 */
export async function findInterruptions(
  client: EcsClient,
  instanceIds: string[],
  opts: { statuses?: string[]; since?: Date } = {},
): Promise<Interruption[]> {
  const out: Interruption[] = [];
  for (let i = 0; i < instanceIds.length; i += 100) {
    const batch = instanceIds.slice(i, i + 100);
    let nextToken: string | undefined;
    do {
      const res = await client.call<{ SystemEvents?: SystemEvent[]; NextToken?: string }>("DescribeSystemEvents", {
        ResourceIds: batch,
        Types: SPOT_INTERRUPTION_TYPES,
        Status: opts.statuses ?? ["Scheduled"],
        CreatedAtStart: opts.since?.toISOString().replace(/\.\d{3}Z$/, "Z"),
        MaxResults: 100,
        NextToken: nextToken,
      });
      for (const e of res.SystemEvents ?? []) if (isSpotInterruption(e.Type)) out.push(toInterruption(e));
      nextToken = res.NextToken || undefined;
    } while (nextToken);
  }
  return out.sort((a, b) => b.noticedAt.localeCompare(a.noticedAt));
}
