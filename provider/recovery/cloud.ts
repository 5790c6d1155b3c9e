// What the recovery controller needs of a cloud, and nothing more. Recovery logic, the journal and the
// deadlines are written once (controller.ts); each cloud implements this interface on top of its own
// finders and waiters (volcengine/recovery.ts, alicloud/recovery.ts).
import type { Clock } from "../core/clock";
import type { Placement, RecoveryPolicy, RegionCopyPolicy } from "./policy";

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
  /** The status of an instance (in `region`, default the home region), undefined when it is gone. */
  instanceStatus(instanceId: string, region?: string): Promise<string | undefined>;
  /** Whether `status` is the running state of this cloud. */
  isRunning(status: string): boolean;
  /** Waits until a replacement runs (its spot capacity may also be reclaimed: then it fails); `region`: a relaunch from a region copy. */
  waitRunning(instanceId: string, timeoutMs: number, ctx: CallContext, region?: string): Promise<void>;
  /** Deletes a point and any image made of it. */
  deletePoint(id: string): Promise<void>;

  // ---- recovery points copied to a second region (recovery.copyToRegion); optional per cloud ----

  /** What exists of our copies: the copies in `region`, and the images made at home to copy from (two calls, whatever the fleet). */
  copyState?(region: string): Promise<CopyState>;
  /** Moves the copy of `pointId` to `region` one step on, idempotently (several passes make one copy). */
  advanceCopy?(pointId: string, region: string, known: CopyState): Promise<CopyStep>;
  deleteCopy?(region: string, copyId: string): Promise<void>;
  /** Deletes an image made at home to copy from (once its copy is done, or superseded). */
  deleteCopySource?(sourceId: string): Promise<void>;
  /**
   * Relaunches from the newest available copy of the instance's line in `policy.region`, at
   * `policy.relaunch`, once per token (the home region could not).
   */
  relaunchFromCopy?(config: C, policy: RegionCopyPolicy, o: { token: string; ctx: CallContext; timeoutMs: number }): Promise<{ replacementId: string; imageId: string; placement: Placement; pointCreatedAt: string; note: string }>;

  // ---- scheduled recovery images (RecoveryImage with imageEvery); optional per cloud ----

  /** Every image schedule of the region, found by tag (two calls, whatever their number). */
  imageSchedules?(): Promise<ImageSchedule[]>;
  /** Starts a new point of the schedule's instance (its line's newest member), once per token. */
  takeScheduledPoint?(schedule: ImageSchedule, token: string): Promise<string>;
  /** Starts the image of a point that is ready (does not wait for it). */
  finishScheduledPoint?(schedule: ImageSchedule, pointId: string): Promise<string>;
  /** Deletes a point of the schedule and its image (or an image whose point is gone). */
  deleteScheduledPoint?(schedule: ImageSchedule, point: ScheduledPoint): Promise<void>;
}

/** One recovery point of a scheduled RecoveryImage: a point (snapshot group) and, once made, its image. */
export interface ScheduledPoint {
  pointId?: string;
  pointState?: PointState;
  imageId?: string;
  imageState?: PointState;
  createdAt: string;
  sourceInstanceId: string;
}

/** A RecoveryImage with imageEvery, as the cloud records it (the cloud, not Pulumi state, is the truth). */
export interface ImageSchedule {
  id: string;
  every: string;
  keep: number;
  /** Newest first. */
  points: ScheduledPoint[];
}

/** A copy of a recovery point in another region. */
export interface RegionCopy {
  id: string;
  region: string;
  /** The recovery point (at home) it is a copy of. */
  pointId: string;
  sourceInstanceId: string;
  /** The first instance of the source's line. */
  origin: string;
  state: PointState;
  createdAt: string;
  /** When its point was taken (the age of the data it holds). */
  pointCreatedAt?: string;
  /** False when the copy carries the system disk only (the cloud copied no data-volume snapshots). */
  allDisks: boolean;
}

/** An image made at home of a whole recovery point, to copy from. */
export interface CopySource {
  id: string;
  pointId: string;
  sourceInstanceId: string;
  state: PointState;
}

export interface CopyState {
  copies: RegionCopy[];
  sources: CopySource[];
}

export type CopyStep = { state: "preparing" | "copying" | "done" | "failed"; copyId?: string; note?: string };

/**
 * The home region cannot relaunch for a reason a retry there will not fix soon (no placement has stock,
 * the custom-image quota is full): a recovery with a region copy relaunches from it instead.
 */
export class HomeRegionCannot extends Error {}
