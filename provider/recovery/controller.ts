// The spot recovery controller, written once for every cloud (cloud.ts). One pass: find the protected
// instances of a region (by tag), ask about interruptions for all of them at once (batched), journal
// every new one, keep rolling recovery points fresh, and carry each unfinished recovery through its
// steps: final point → wait for it → relaunch from it in the same zone with the same configuration →
// wait RUNNING → prune old points.
//
// Deadline-aware (on the cloud's clock): when the final point cannot finish before the release, the
// newest rolling point is used and the report says how old its data is. Never gives up a recoverable
// instance: a failed step is retried with backoff (on the next pass in a service, in the same pass with
// --once) and only a recovery that can no longer succeed is marked failed, with why. With the journal
// lost, an interruption whose instance is gone is still found from the recovery points it left.
import pLimit from "p-limit";
import { systemClock, type Clock } from "../core/clock";
import { isNotFound, isTransient, WaitError } from "../core/errors";
import { MayExistError } from "../core/tokens";
import { waitUntil } from "../core/waiter";
import { HomeRegionCannot, type FleetMember, type Interruption, type RecoveryCloud, type RecoveryPointInfo } from "./cloud";
import { keepCopies } from "./copies";
import { keepSchedules } from "./schedules";
import type { Placement } from "./policy";
import type { JournalStore, RecoveryRecord, StepName } from "./journal";
import { formatMs, MAX_ATTEMPTS, nextStep, retryDelayMs, rollingToken, tokensFor } from "./planner";
import { parseDuration } from "../core/waiter";

export interface RecoveryEvent {
  kind: "noticed" | "found" | "step" | "retry" | "done" | "failed" | "rolling-point" | "pruned" | "copy" | "scheduled-image";
  at: string;
  instanceId: string;
  eventId?: string;
  step?: StepName;
  ms?: number;
  marginMs?: number;
  /** How a noticed interruption arrived. */
  source?: "poll" | "push";
  message: string;
}

export interface ControllerOptions {
  cloud: RecoveryCloud<any>;
  journal: JournalStore;
  /** The cloud's clock: deadlines and margins are measured on it (the emulator's in drills and tests). */
  clock?: Clock;
  /** This replica's name, for claims in a shared journal. */
  owner?: string;
  /** How long a claim holds without renewal (renewed while working). Default 60 s. */
  leaseMs?: number;
  onEvent?: (e: RecoveryEvent) => void;
  /** Called after each step is journaled (tests use it to kill the controller at a given step). */
  afterStep?: (record: RecoveryRecord, step: StepName) => void | Promise<void>;
  signal?: AbortSignal;
  /** How long to wait for a final point when there is no rolling point to fall back on (default 60 m). */
  pointTimeoutMs?: number;
  runningTimeoutMs?: number;
  /** Recoveries and rolling points worked on at once (default 8): bounds calls in flight and memory. */
  concurrency?: number;
  /** Rolling points started per pass at most (default 50); the rest are due next pass. */
  maxRollingPerPass?: number;
  /** Wait out a failed step's backoff within the pass (`--once`), or leave it to the next pass (a service). */
  waitForRetries?: boolean;
  maxAttempts?: number;
  /**
   * How long a placement that had no stock is skipped by other recoveries (default 3 minutes: Karpenter's
   * unavailable-offerings cache keeps an insufficient-capacity answer for 3 minutes, pkg/cache).
   */
  exhaustedTtlMs?: number;
  /** How long a spot interruption notice lasts (both clouds document about five minutes). */
  noticeMs?: number;
}

export interface PassResult {
  protectedInstances: number;
  interruptions: number;
  recoveries: RecoveryRecord[];
  failed: number;
  rollingStarted: number;
  rollingDeferred: number;
}

/** The recovery can no longer succeed (no point to recover from): failed at once, with why. */
class Unrecoverable extends Error {}

/** The replacement was lost before it ran (its spot capacity reclaimed as it started): launch another. */
class ReplacementLost extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();

export class RecoveryController {
  private readonly clock: Clock;
  private readonly owner: string;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly active = new Set<string>();
  private readonly noticing = new Map<string, Promise<void>>();
  /** Rolling points seen still being made (to measure how long they take), and what that costs per ms of interval. */
  private readonly seenCreating = new Map<string, number>();
  private readonly costPerIntervalMs = new Map<string, number>();
  /** Placements that answered "no stock" lately: zone/subnet/type → until (cloud clock). */
  private readonly exhausted = new Map<string, number>();

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? systemClock;
    this.owner = o.owner ?? `controller-${process.pid}`;
    this.limit = pLimit(o.concurrency ?? 8);
  }

  /** One pass; every recovery found (or left unfinished by a previous controller) is carried as far as it can go. */
  async runOnce(): Promise<PassResult> {
    const { cloud } = this.o;
    const base = { protectedInstances: 0, interruptions: 0, rollingStarted: 0, rollingDeferred: 0 };
    const problems: unknown[] = [];
    try {
      const fleet = (await cloud.fleet()).filter((m) => m.policy.onInterruption !== "none");
      const interruptions = fleet.length ? await cloud.interruptions(fleet.map((m) => m.instanceId)) : [];
      Object.assign(base, { protectedInstances: fleet.length, interruptions: interruptions.length });
      // One interruption that cannot be recorded yet (the cloud failing its reads) holds up no other.
      await Promise.all(
        interruptions.map((intr) =>
          this.limit(() =>
            this.notice(intr, fleet.find((m) => m.instanceId === intr.instanceId)).catch((e) => {
              problems.push(e);
              this.emit({ kind: "retry", instanceId: intr.instanceId, eventId: intr.eventId, message: `spot interruption ${intr.eventId} could not be recorded yet: ${(e as Error).message}; the next pass tries again` });
            }),
          ),
        ),
      );
      const points = await cloud.points();
      await this.findLost(fleet, points);
      const doomed = new Set(interruptions.map((i) => i.instanceId));
      Object.assign(base, await this.keepRolling(fleet.filter((m) => m.policy.imageEvery && m.healthy && !doomed.has(m.instanceId)), points));
      // Region copies and scheduled RecoveryImages (copies.ts, schedules.ts): a step each per pass, never waiting.
      const keeper = { cloud: this.o.cloud, clock: this.clock, limit: this.limit, emit: (e: Omit<RecoveryEvent, "at">) => this.emit(e) };
      await keepCopies(keeper, fleet, points);
      await keepSchedules(keeper);
    } catch (e) {
      problems.unshift(e);
    }
    // Recoveries already journaled go on whatever failed above: finding new ones must not stall them.
    const result = await this.carryAll(base);
    if (problems.length) throw problems[0];
    return result;
  }

  /** Carries every unfinished recovery (those claimed elsewhere are left to their owner). */
  async carryAll(base: Omit<PassResult, "recoveries" | "failed"> = { protectedInstances: 0, interruptions: 0, rollingStarted: 0, rollingDeferred: 0 }): Promise<PassResult> {
    const work = await this.o.journal.unfinished();
    await Promise.all(work.map((r) => this.limit(() => this.carry(r.eventId))));
    const recoveries = (await Promise.all(work.map((r) => this.o.journal.get(r.eventId)))).filter((r): r is RecoveryRecord => r !== undefined);
    return { ...base, recoveries, failed: recoveries.filter((r) => r.state === "failed").length };
  }

  /**
   * A pushed event named an instance: ask the cloud for its interruption (the cloud's own event record,
   * so push and poll journal it under one key and it is recovered once), journal it, and carry it.
   */
  async handlePush(instanceId: string, hint: { at?: string } = {}): Promise<"recovering" | "not-protected" | "no-interruption"> {
    const member = await this.o.cloud.member(instanceId);
    if (!member || member.policy.onInterruption === "none") return "not-protected";
    const [intr] = await this.o.cloud.interruptions([instanceId], hint.at ? { pushedAt: hint.at } : {});
    if (!intr) return "no-interruption";
    await this.notice(intr, member, "push");
    await this.carry(intr.eventId);
    return "recovering";
  }

  /** Journals a new interruption (once, whichever replica sees it first). */
  async notice(intr: Interruption, member: FleetMember | undefined, source: "poll" | "push" = "poll"): Promise<void> {
    // A push and a poll can notice one interruption at once: in this process, one of them journals it.
    const pending = this.noticing.get(intr.eventId);
    if (pending) return pending;
    const p = this.noticeOnce(intr, member, source).finally(() => this.noticing.delete(intr.eventId));
    this.noticing.set(intr.eventId, p);
    return p;
  }

  private async noticeOnce(intr: Interruption, member: FleetMember | undefined, source: "poll" | "push"): Promise<void> {
    if (!member || (await this.o.journal.get(intr.eventId))) return;
    let config: unknown;
    try {
      config = await this.o.cloud.describe(intr.instanceId);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Released already: the configuration recorded with its newest point stands in.
      const newest = (await this.o.cloud.points([intr.instanceId])).find((p) => p.state === "available");
      config = newest && (await this.o.cloud.configOf(newest.id));
      if (!config) return this.emit({ kind: "failed", instanceId: intr.instanceId, eventId: intr.eventId, message: `spot interruption ${intr.eventId}: ${intr.instanceId} was released before the controller saw it, and it left no recovery point: its data is lost` });
    }
    // Another replica may have journaled it since the look above: then it is theirs to announce.
    if (!(await this.o.journal.create(this.newRecord(intr, member.policy, config)))) return;
    this.emit({ kind: "noticed", instanceId: intr.instanceId, eventId: intr.eventId, source, marginMs: Date.parse(intr.releaseAt) - this.clock.now(), message: `spot interruption ${intr.eventId} (${source === "push" ? "pushed" : "polled"}): release at ${intr.releaseAt}` });
  }

  private newRecord(intr: Interruption, policy: FleetMember["policy"], config: unknown, foundBy?: string): RecoveryRecord {
    const { cloud } = this.o;
    return { eventId: intr.eventId, cloud: cloud.cloud, region: cloud.region, instanceId: intr.instanceId, noticedAt: intr.noticedAt, releaseAt: intr.releaseAt, policy, config, state: "in-progress", steps: {}, foundBy };
  }

  /**
   * The journal may be gone (a new machine, a deleted file): an instance that is gone, whose line has no
   * live member, that left recovery points and had an interruption, is a recovery nobody finished.
   */
  private async findLost(fleet: FleetMember[], points: RecoveryPointInfo[]): Promise<void> {
    const live = new Set(fleet.flatMap((m) => [m.instanceId, m.origin]));
    const bySource = new Map<string, RecoveryPointInfo[]>();
    for (const p of points) if (p.state === "available" && !live.has(p.sourceInstanceId) && !(p.origin && live.has(p.origin))) bySource.set(p.sourceInstanceId, [...(bySource.get(p.sourceInstanceId) ?? []), p]);
    if (!bySource.size) return;
    const journaled = new Set((await this.o.journal.all()).map((r) => r.instanceId));
    const candidates = [...bySource.keys()].filter((id) => !journaled.has(id));
    if (!candidates.length) return;
    const events = await this.o.cloud.interruptions(candidates, { statuses: "any" });
    for (const intr of events) {
      if (await this.o.journal.get(intr.eventId)) continue;
      const newest = bySource.get(intr.instanceId)![0];
      const config = await this.o.cloud.configOf(newest.id);
      if (!config) continue;
      const policy = this.o.cloud.policyOf(config) ?? { onInterruption: "image-and-relaunch" as const, keepImages: 3 };
      if (!(await this.o.journal.create(this.newRecord(intr, policy, config, `found after the fact from recovery point ${newest.id} (no journal record)`)))) continue;
      this.emit({ kind: "found", instanceId: intr.instanceId, eventId: intr.eventId, message: `spot interruption ${intr.eventId} of ${intr.instanceId} had no journal record: recovering from its recovery points` });
    }
  }

  /** Runs the record's remaining steps; a failure is journaled (to retry, or for good), never thrown. */
  async carry(eventId: string): Promise<void> {
    const { journal } = this.o;
    if (this.active.has(eventId)) return;
    const leaseMs = this.o.leaseMs ?? 30_000;
    if (!(await journal.claim(eventId, this.owner, leaseMs))) return;
    this.active.add(eventId);
    const renew = setInterval(() => void journal.claim(eventId, this.owner, leaseMs).catch(() => undefined), Math.max(1_000, leaseMs / 3));
    try {
      let r = await journal.get(eventId);
      let waits = 0;
      for (let step = r && nextStep(r); r && step; step = nextStep(r)) {
        this.o.signal?.throwIfAborted();
        const wait = r.retryAt ? Date.parse(r.retryAt) - this.clock.now() : 0;
        if (wait > 0) {
          // A service leaves the retry to a later pass; `--once` waits, but not forever within one pass
          // (transient failures never give a recovery up): the next run picks it up from the journal.
          if (!(this.o.waitForRetries ?? true) || ++waits > (this.o.maxAttempts ?? MAX_ATTEMPTS)) return;
          await this.clock.sleep(wait, this.o.signal);
        }
        r = await this.attempt(step, r);
        if (r.state !== "in-progress") return;
      }
      if (r && r.state === "in-progress") await this.finish(r);
    } finally {
      clearInterval(renew);
      this.active.delete(eventId);
      await journal.release(eventId, this.owner).catch(() => undefined);
    }
  }

  private async attempt(step: StepName, record: RecoveryRecord): Promise<RecoveryRecord> {
    const startedAt = this.clock.now();
    let r: RecoveryRecord = { ...record, steps: { ...record.steps, [step]: { startedAt: iso(startedAt) } } };
    try {
      r = await this.run(step, r);
    } catch (e) {
      if (this.o.signal?.aborted) throw e;
      const why = `${step}: ${(e as Error).message}`;
      const attempts = (r.attempts ?? 0) + 1;
      // A transient failure (throttling, a 5xx, a lost connection, the retry quota spent) says nothing about
      // whether the recovery can succeed: it is retried with backoff for as long as it takes. Only the other
      // failures count toward giving up.
      const hardFailures = (r.hardFailures ?? 0) + (isTransient(e) || e instanceof MayExistError ? 0 : 1);
      if (e instanceof ReplacementLost && attempts < (this.o.maxAttempts ?? MAX_ATTEMPTS)) {
        const { relaunch: _r, "wait-running": _w, ...steps } = record.steps;
        const again: RecoveryRecord = { ...record, steps, attempts, replacementId: undefined, relaunchAttempt: (record.relaunchAttempt ?? 0) + 1, lastError: why };
        await this.o.journal.put(again);
        this.emit({ kind: "retry", instanceId: r.instanceId, eventId: r.eventId, step, message: why });
        return again;
      }
      if (e instanceof Unrecoverable || hardFailures >= (this.o.maxAttempts ?? MAX_ATTEMPTS)) {
        const failed: RecoveryRecord = { ...r, state: "failed", attempts, hardFailures, error: e instanceof Unrecoverable ? why : `${why} (gave up after ${attempts} tries)`, retryAt: undefined };
        await this.o.journal.put(failed);
        this.emit({ kind: "failed", instanceId: r.instanceId, eventId: r.eventId, step, message: failed.error! });
        return failed;
      }
      const retryAt = iso(this.clock.now() + retryDelayMs(attempts));
      const again: RecoveryRecord = { ...record, attempts, hardFailures, retryAt, lastError: why };
      await this.o.journal.put(again);
      this.emit({ kind: "retry", instanceId: r.instanceId, eventId: r.eventId, step, message: `${why}; retrying at ${retryAt} (try ${attempts + 1}; ${hardFailures} of ${this.o.maxAttempts ?? MAX_ATTEMPTS} failures that are not transient allowed)` });
      return again;
    }
    const end = this.clock.now();
    const margin = Date.parse(r.releaseAt) - end;
    r = { ...r, retryAt: undefined, lastError: undefined, steps: { ...r.steps, [step]: { ...r.steps[step]!, endedAt: iso(end), ms: end - startedAt, marginMs: margin } } };
    await this.o.journal.put(r);
    this.emit({ kind: "step", instanceId: r.instanceId, eventId: r.eventId, step, ms: end - startedAt, marginMs: margin, message: describeStep(step, r) });
    await this.o.afterStep?.(r, step);
    return r;
  }

  private async finish(record: RecoveryRecord): Promise<void> {
    const r: RecoveryRecord = { ...record, state: "done" };
    await this.o.journal.put(r);
    this.emit({
      kind: "done",
      instanceId: r.instanceId,
      eventId: r.eventId,
      message:
        `recovered ${r.instanceId}` +
        (r.replacementId ? ` as ${r.replacementId}` : "") +
        ` from ${r.pointSource} recovery point ${r.pointId}` +
        (r.deadlineMet ? ", data saved before the release" : ", deadline MISSED") +
        (r.dataAgeMs !== undefined ? ` (recovered data is ${formatMs(r.dataAgeMs)} old)` : ""),
    });
  }

  private async run(step: StepName, r: RecoveryRecord): Promise<RecoveryRecord> {
    const { cloud } = this.o;
    const releaseAt = Date.parse(r.releaseAt);
    const ctx = { clock: this.clock, signal: this.o.signal };
    switch (step) {
      case "guest-hook": {
        // The budget comes out of the notice: at most the hook's own timeout, and never more than 40% of
        // what is left, so the final point still fits. The recovery images anyway when the guest is silent.
        const hook = r.policy.hook!;
        const budgetMs = Math.floor(Math.min(hook.timeoutSeconds * 1000, Math.max(0, releaseAt - this.clock.now()) * 0.4));
        const guest = budgetMs > 0 ? await cloud.runGuestHook(r.config, hook, { token: tokensFor(r.eventId).hook, budgetMs, ctx }) : { answered: false, detail: "no time was left for it" };
        return { ...r, guest };
      }
      case "point": {
        try {
          // Looks for the final point first (its token): after a crash, or with the journal lost, it may exist.
          const pointId = await cloud.takePoint(r.config, { kind: "final", token: tokensFor(r.eventId).point, eventId: r.eventId });
          return { ...r, pointId, pointSource: "final" };
        } catch (e) {
          // Released already (or going): the newest rolling point is what is left.
          if ((await cloud.instanceStatus(r.instanceId)) === undefined) return this.fromRolling(r, `the instance was gone before its final recovery point was taken`);
          throw e;
        }
      }
      case "wait-point": {
        if (r.pointSource === "rolling") return r;
        const rolling = await this.newestRolling(r);
        const point = await waitUntil<RecoveryPointInfo | undefined>({
          what: `recovery point ${r.pointId} of ${r.instanceId} to be available`,
          poll: () => cloud.point(r.pointId!),
          // Past the release with a rolling point at hand: stop waiting for a final point that may never come.
          done: (p) => p?.state === "available" || p?.state === "failed" || p === undefined || (rolling !== undefined && this.clock.now() >= releaseAt),
          state: (p) => p?.state ?? "gone",
          timeoutMs: this.o.pointTimeoutMs ?? 60 * 60_000,
          clock: this.clock,
          signal: this.o.signal,
        });
        if (point?.state === "available") return { ...r, deadlineMet: this.clock.now() <= releaseAt };
        return this.fromRolling(r, `the final recovery point ${r.pointId} ${point ? (point.state === "failed" ? "failed" : "did not finish before the release") : "disappeared"}`);
      }
      case "relaunch": {
        const res = await cloud.relaunch(r.config, r.pointId!, {
          token: tokensFor(r.eventId, r.relaunchAttempt ?? 0).relaunch,
          ctx,
          timeoutMs: this.o.pointTimeoutMs ?? 60 * 60_000,
          fallbacks: r.policy.fallbacks ?? [],
          exhausted: (p) => (this.exhausted.get(placementKey(p)) ?? 0) > this.clock.now(),
          markExhausted: (p, why) => {
            this.exhausted.set(placementKey(p), this.clock.now() + (this.o.exhaustedTtlMs ?? 3 * 60_000));
            this.emit({ kind: "retry", instanceId: r.instanceId, eventId: r.eventId, step, message: `no stock in ${placementKey(p)} (${why}): trying the next placement` });
          },
        }).catch((e) => this.relaunchFromCopy(r, e));
        if ("record" in res) return res.record;
        return { ...r, replacementId: res.replacementId, imageId: res.imageId, ...(res.placement ? { placement: res.placement, placementNote: res.note } : {}) };
      }
      case "wait-running": {
        const region = r.placement?.region;
        try {
          await cloud.waitRunning(r.replacementId!, this.o.runningTimeoutMs ?? 10 * 60_000, ctx, region);
          return r;
        } catch (e) {
          // The replacement itself was lost (spot capacity reclaimed as it started): launch another one.
          if (e instanceof WaitError && e.reason === "failed" && (await cloud.instanceStatus(r.replacementId!, region)) === undefined) {
            throw new ReplacementLost(`replacement ${r.replacementId} disappeared before it ran; launching another`);
          }
          throw e;
        }
      }
      case "prune": {
        try {
          const points = (await cloud.points([r.instanceId])).filter((p) => p.id !== r.pointId && p.state !== "creating");
          const excess = points.slice(Math.max(0, r.policy.keepImages - 1));
          for (const p of excess) await cloud.deletePoint(p.id);
          if (excess.length) this.emit({ kind: "pruned", instanceId: r.instanceId, eventId: r.eventId, message: `pruned recovery points ${excess.map((p) => p.id).join(", ")}` });
          return { ...r, prunedPointIds: excess.map((p) => p.id) };
        } catch (e) {
          // Relaunched in another region because the home region could not: pruning there waits for a later pass.
          if (!r.placement?.region) throw e;
          return { ...r, prunedPointIds: [], steps: { ...r.steps, prune: { ...r.steps.prune!, note: `not pruned: the home region did not answer (${(e as Error).message})` } } };
        }
      }
    }
  }

  /**
   * The home region could not relaunch (no stock anywhere, the image quota full, or it failed twice in a
   * row with errors retries did not cure): with a region copy and a place to relaunch it declared, the
   * newest copy of the line is relaunched there. Anything else (or a launch that may have happened: a
   * lost answer) is the error it was.
   */
  private async relaunchFromCopy(r: RecoveryRecord, err: unknown): Promise<{ record: RecoveryRecord }> {
    const copy = r.policy.copy;
    const { cloud } = this.o;
    const homeCannot = err instanceof HomeRegionCannot || (isTransient(err) && (r.attempts ?? 0) >= 1);
    if (!copy?.relaunch || !cloud.relaunchFromCopy || err instanceof MayExistError || !homeCannot) throw err;
    this.emit({ kind: "retry", instanceId: r.instanceId, eventId: r.eventId, step: "relaunch", message: `the home region ${cloud.region} could not relaunch (${(err as Error).message}): relaunching from the copy in ${copy.region}` });
    const res = await cloud.relaunchFromCopy(r.config, copy, { token: tokensFor(r.eventId, r.relaunchAttempt ?? 0).relaunchFromCopy, ctx: { clock: this.clock, signal: this.o.signal }, timeoutMs: this.o.pointTimeoutMs ?? 60 * 60_000 });
    const dataAgeMs = Math.max(0, Date.parse(r.releaseAt) - Date.parse(res.pointCreatedAt));
    return { record: { ...r, replacementId: res.replacementId, imageId: res.imageId, placement: res.placement, placementNote: res.note, dataAgeMs, deadlineMet: false } };
  }

  private async newestRolling(r: RecoveryRecord): Promise<RecoveryPointInfo | undefined> {
    return (await this.o.cloud.points([r.instanceId])).find((p) => p.state === "available" && p.id !== r.pointId && Date.parse(p.createdAt) <= Date.parse(r.releaseAt));
  }

  private async fromRolling(r: RecoveryRecord, why: string): Promise<RecoveryRecord> {
    const rolling = await this.newestRolling(r);
    if (!rolling) throw new Unrecoverable(`${why}, and there is no earlier recovery point (set recovery.imageEvery to keep rolling ones): the data on ${r.instanceId} is lost`);
    const dataAgeMs = Math.max(0, Date.parse(r.releaseAt) - Date.parse(rolling.createdAt));
    const note = `${why}: recovering from recovery point ${rolling.id} of ${rolling.createdAt}`;
    return { ...r, pointId: rolling.id, pointSource: "rolling", dataAgeMs, deadlineMet: false, steps: { ...r.steps, "wait-point": { ...(r.steps["wait-point"] ?? { startedAt: iso(this.clock.now()) }), note } } };
  }

  /** Keeps one rolling point per `imageEvery` for each healthy protected instance, and prunes old ones. */
  private async keepRolling(members: FleetMember[], points: RecoveryPointInfo[]): Promise<{ rollingStarted: number; rollingDeferred: number }> {
    const now = this.clock.now();
    this.measureRolling(points);
    const everyOf = (m: FleetMember) => (m.policy.imageEvery === "auto" ? this.autoIntervalMs(m.instanceId) : parseDuration(m.policy.imageEvery!)!);
    const due = members.filter((m) => {
      const every = everyOf(m);
      const mine = points.filter((p) => p.sourceInstanceId === m.instanceId && p.kind === "rolling");
      if (mine.some((p) => p.state === "creating")) return false;
      const newest = mine.find((p) => p.state === "available");
      return !newest || now - Date.parse(newest.createdAt) >= every;
    });
    const cap = this.o.maxRollingPerPass ?? 50;
    const started = due.slice(0, cap);
    await Promise.all(
      started.map((m) =>
        this.limit(async () => {
          try {
            const config = await this.o.cloud.describe(m.instanceId);
            const every = everyOf(m);
            const id = await this.o.cloud.takePoint(config, { kind: "rolling", token: rollingToken(m.instanceId, now, every) });
            this.emit({ kind: "rolling-point", instanceId: m.instanceId, message: `rolling recovery point ${id} started${m.policy.imageEvery === "auto" ? ` (auto: every ${formatMs(every)})` : ""}` });
            const old = points.filter((p) => p.sourceInstanceId === m.instanceId && p.kind === "rolling" && p.state !== "creating").slice(Math.max(0, m.policy.keepImages - 1));
            for (const p of old) {
              // A point whose image is still being copied to another region cannot go yet: next pass.
              await this.o.cloud.deletePoint(p.id).catch((e) => this.emit({ kind: "rolling-point", instanceId: m.instanceId, message: `old rolling recovery point ${p.id} not pruned yet: ${(e as Error).message}` }));
            }
          } catch (e) {
            this.emit({ kind: "rolling-point", instanceId: m.instanceId, message: `rolling recovery point not started: ${(e as Error).message}` });
          }
        }),
      ),
    );
    return { rollingStarted: started.length, rollingDeferred: due.length - started.length };
  }

  /**
   * `imageEvery: "auto"`: snapshots are incremental, so a point takes about its base time plus what the
   * disk changed since the previous one. Each rolling point this controller sees finish gives an upper
   * bound of that cost per second of interval (its duration, as observed between passes, over the time
   * since the previous point); the interval is then sized so that a final point — which copies what
   * changed since the last rolling one — fits in 40% of the notice. 30 minutes until measured; 5 minutes
   * to 24 hours.
   */
  private measureRolling(points: RecoveryPointInfo[]): void {
    const now = this.clock.now();
    for (const p of points) {
      if (p.kind !== "rolling") continue;
      if (p.state === "creating") {
        if (!this.seenCreating.has(p.id)) this.seenCreating.set(p.id, now);
        continue;
      }
      if (p.state !== "available" || !this.seenCreating.has(p.id)) continue;
      this.seenCreating.delete(p.id);
      const created = Date.parse(p.createdAt);
      const previous = points
        .filter((q) => q.sourceInstanceId === p.sourceInstanceId && q.kind === "rolling" && Date.parse(q.createdAt) < created)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      if (previous) this.costPerIntervalMs.set(p.sourceInstanceId, (now - created) / Math.max(1, created - Date.parse(previous.createdAt)));
    }
  }

  private autoIntervalMs(instanceId: string): number {
    const cost = this.costPerIntervalMs.get(instanceId);
    if (cost === undefined || cost <= 0) return 30 * 60_000;
    const budget = 0.4 * (this.o.noticeMs ?? 5 * 60_000);
    return Math.min(24 * 3_600_000, Math.max(5 * 60_000, Math.floor(budget / cost)));
  }

  private emit(e: Omit<RecoveryEvent, "at">): void {
    this.o.onEvent?.({ at: iso(this.clock.now()), ...e });
  }
}

function placementKey(p: Placement): string {
  return [p.zoneId, p.subnetId, p.instanceTypeId ?? "same type"].join("/");
}

function describeStep(step: StepName, r: RecoveryRecord): string {
  switch (step) {
    case "guest-hook":
      return r.guest?.answered ? `the guest answered: ${r.guest.detail}` : `the guest did not answer in time (${r.guest?.detail ?? "no detail"}); imaging anyway`;
    case "point":
      return r.pointSource === "rolling" ? `using rolling recovery point ${r.pointId}` : `final recovery point ${r.pointId} started`;
    case "wait-point":
      return r.pointSource === "rolling" ? `recovering from rolling point ${r.pointId} (${r.steps["wait-point"]?.note ?? ""})` : `recovery point ${r.pointId} available`;
    case "relaunch":
      return `replacement ${r.replacementId} launched from image ${r.imageId}${r.placementNote ? ` (${r.placementNote})` : ""}`;
    case "wait-running":
      return `replacement ${r.replacementId} running`;
    case "prune":
      return r.prunedPointIds?.length ? `pruned ${r.prunedPointIds.join(", ")}` : "no old recovery points to prune";
  }
}
