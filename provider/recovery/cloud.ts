// What the recovery controller needs of a cloud, and nothing more. Recovery logic, the journal and the
// deadlines are written once (controller.ts); each cloud implements this interface on top of its own
// finders and waiters (volcengine/recovery.ts, alicloud/recovery.ts).
import type { Clock } from "../core/clock";
import type { Placement, RecoveryPolicy } from "./policy";

export type CloudName = "volcengine" | "alicloud";

/** A protected instance as the controller sees it: found by the policy tag. */
export interface FleetMember {
  instanceId: string;
  name: string;
  status: string;
  /** Running (or the cloud's equivalent): a rolling recovery point may be taken. */
  healthy: boolean;
  policy: RecoveryPolicy;
  /** The first instance of its line. */
  origin: string;
}

export interface Interruption {
  eventId: string;
  instanceId: string;
  noticedAt: string;
  /** When the cloud releases the instance (ISO 8601). */
  releaseAt: string;
}

export type PointState = "creating" | "available" | "failed";

export interface RecoveryPointInfo {
  id: string;
  sourceInstanceId: string;
  kind: "final" | "rolling" | "manual";
  state: PointState;
  createdAt: string;
  /** The first instance of the source's line, when the point recorded it. */
  origin?: string;
}

export interface RelaunchOptions {
  token: string;
  ctx: CallContext;
  timeoutMs: number;
  /** Placements to try after the instance's own, in order. */
  fallbacks: Placement[];
  /** Known to have no stock lately (skipped while another placement is left to try). */
  exhausted: (p: Placement) => boolean;
  /** Tells the controller a placement had no stock, so other recoveries skip it for a while. */
  markExhausted: (p: Placement, why: string) => void;
}

export interface CallContext {
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * One cloud's side of spot recovery. `C` is what a relaunch needs of an instance (its configuration),
 * captured while the instance exists and journaled as plain JSON.
 */
export interface RecoveryCloud<C = unknown> {
  readonly cloud: CloudName;
  readonly region: string;
  /** Every protected instance of the region (by the policy tag, in pages: never one call per instance). */
  fleet(): Promise<FleetMember[]>;
  /** One instance as a fleet member (a pushed event names it), undefined when it is gone or unprotected. */
  member(instanceId: string): Promise<FleetMember | undefined>;
  /**
   * Scheduled interruptions of these instances (batched). `pushedAt`: when a pushed event says the notice
   * came (a cloud whose API does not say, Alibaba's, takes it as the notice's start).
   */
  interruptions(instanceIds: string[], opts?: { statuses?: "scheduled" | "any"; pushedAt?: string }): Promise<Interruption[]>;
  /** What a relaunch needs of a live instance. */
  describe(instanceId: string): Promise<C>;
  /** Starts a recovery point of every disk, once per token. */
  takePoint(config: C, o: { kind: "final" | "rolling"; token: string; eventId?: string }): Promise<string>;
  point(id: string): Promise<RecoveryPointInfo | undefined>;
  /** Every recovery point we made, for the given instances or (no argument) the whole region, newest first. */
  points(instanceIds?: string[]): Promise<RecoveryPointInfo[]>;
  /** The configuration recorded with a point (for a recovery whose journal was lost). */
  configOf(pointId: string): Promise<C | undefined>;
  /** The recovery policy the instance carried, as recorded in its configuration. */
  policyOf(config: C): RecoveryPolicy | undefined;
  /**
   * Relaunches from a point (making its image first when the cloud needs one), once per token, in the
   * instance's own placement or — when that has no stock — the first fallback that has.
   */
  relaunch(config: C, pointId: string, o: RelaunchOptions): Promise<{ replacementId: string; imageId?: string; placement?: Placement; note?: string }>;
  /** Runs the policy's guest hook on the instance and waits for it within `budgetMs`; never throws for the guest's own failure. */
  runGuestHook(config: C, hook: NonNullable<RecoveryPolicy["hook"]>, o: { token: string; budgetMs: number; ctx: CallContext }): Promise<{ answered: boolean; detail: string }>;
  /** The status of an instance, undefined when it is gone. */
  instanceStatus(instanceId: string): Promise<string | undefined>;
  /** Whether `status` is the running state of this cloud. */
  isRunning(status: string): boolean;
  /** Waits until a replacement runs (its spot capacity may also be reclaimed: then it fails). */
  waitRunning(instanceId: string, timeoutMs: number, ctx: CallContext): Promise<void>;
  /** Deletes a point and any image made of it. */
  deletePoint(id: string): Promise<void>;
}
