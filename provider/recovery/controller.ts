// The spot recovery controller. One pass: find the protected instances of a region (by tag), ask
// DescribeSystemEvents about all of them at once (100 per call, paginated), journal every new spot
// interruption, and carry each unfinished recovery through its steps: final image → wait available →
// relaunch from it in the same zone with the same configuration → wait RUNNING → prune old images.
// Deadline-aware: when the final image cannot finish before the release, it recovers from the newest
// rolling image (recovery.imageEvery) and says how old that data is.
import { CloudError } from "../core/errors";
import { waitUntil } from "../core/waiter";
import { pollInterval } from "../config";
import type { EcsClient } from "../volcengine/client";
import { findInterruptions, type Interruption } from "../volcengine/events";
import { deleteImage, findImage, listImagesByTag, type Image } from "../volcengine/images";
import { listInstances, tagMap, waitInstanceRunning, type Instance } from "../volcengine/instances";
import { startImage } from "../volcengine/recoveryImage";
import { policyFromTags, RECOVERY_TAGS, type RecoveryPolicy } from "../volcengine/recoveryPolicy";
import { runInstancesParams, spotInstanceSchema } from "../volcengine/spotInstance";
import { parseDuration } from "../core/waiter";
import type { InstanceSnapshot, Journal, RecoveryRecord, StepName } from "./journal";
import { formatMs, nextStep, rollingToken, tokensFor } from "./planner";

export interface RecoveryEvent {
  kind: "noticed" | "step" | "done" | "failed" | "rolling-image";
  at: string;
  instanceId: string;
  eventId?: string;
  step?: StepName;
  ms?: number;
  marginMs?: number;
  message: string;
}

export interface ControllerOptions {
  client: EcsClient;
  journal: Journal;
  /** The cloud's clock (epoch ms). Wall time by default; the emulator's when drilling at a time scale. */
  now?: () => number;
  onEvent?: (e: RecoveryEvent) => void;
  /** Called after each step is journaled (tests use it to kill the controller at a given step). */
  afterStep?: (record: RecoveryRecord, step: StepName) => void | Promise<void>;
  signal?: AbortSignal;
  /** How long to wait for a final image before giving up when there is no rolling image (default 60m). */
  imageTimeoutMs?: number;
  runningTimeoutMs?: number;
}

export interface PassResult {
  protectedInstances: number;
  interruptions: number;
  recoveries: RecoveryRecord[];
  failed: number;
}

export class RecoveryController {
  private readonly now: () => number;

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** One pass; every recovery found (or left unfinished by a previous controller) is carried to its end. */
  async runOnce(): Promise<PassResult> {
    const { client, journal } = this.o;
    const fleet = (await listInstances(client, { tagKey: RECOVERY_TAGS.policy }))
      .map((inst) => ({ inst, policy: policyFromTags(tagMap(inst.Tags)) }))
      .filter((x): x is { inst: Instance; policy: RecoveryPolicy } => x.policy !== undefined && x.policy.onInterruption !== "none");
    const interruptions = fleet.length ? await findInterruptions(client, fleet.map((x) => x.inst.InstanceId)) : [];
    for (const intr of interruptions) {
      if (journal.get(intr.eventId)) continue;
      const member = fleet.find((x) => x.inst.InstanceId === intr.instanceId);
      if (!member) continue;
      journal.put(this.newRecord(intr, member.inst, member.policy));
      this.emit({ kind: "noticed", instanceId: intr.instanceId, eventId: intr.eventId, marginMs: Date.parse(intr.releaseAt) - this.now(), message: `spot interruption ${intr.eventId}: release at ${intr.releaseAt}` });
    }
    const doomed = new Set(interruptions.map((i) => i.instanceId));
    await Promise.all(fleet.filter((x) => x.policy.imageEvery && !doomed.has(x.inst.InstanceId)).map((x) => this.keepRollingImage(x.inst, x.policy)));
    const work = journal.unfinished();
    await Promise.all(work.map((r) => this.carry(r)));
    const recoveries = work.map((r) => journal.get(r.eventId)!);
    return { protectedInstances: fleet.length, interruptions: interruptions.length, recoveries, failed: recoveries.filter((r) => r.state === "failed").length };
  }

  private newRecord(intr: Interruption, inst: Instance, policy: RecoveryPolicy): RecoveryRecord {
    return { eventId: intr.eventId, instanceId: inst.InstanceId, noticedAt: intr.noticedAt, releaseAt: intr.releaseAt, policy, snapshot: snapshotOf(inst), state: "in-progress", steps: {} };
  }

  /** Runs the record's remaining steps; a failure is journaled, never thrown (other recoveries go on). */
  private async carry(record: RecoveryRecord): Promise<void> {
    let r = record;
    for (let step = nextStep(r); step; step = nextStep(r)) {
      this.o.signal?.throwIfAborted();
      const startedAt = this.now();
      r = { ...r, steps: { ...r.steps, [step]: { startedAt: iso(startedAt) } } };
      try {
        r = await this.run(step, r);
      } catch (e) {
        if (this.o.signal?.aborted) throw e;
        r = { ...r, state: "failed", error: `${step}: ${(e as Error).message}` };
        this.o.journal.put(r);
        this.emit({ kind: "failed", instanceId: r.instanceId, eventId: r.eventId, step, message: r.error! });
        return;
      }
      const end = this.now();
      const margin = Date.parse(r.releaseAt) - end;
      r = { ...r, steps: { ...r.steps, [step]: { ...r.steps[step]!, endedAt: iso(end), ms: end - startedAt, marginMs: margin } } };
      this.o.journal.put(r);
      this.emit({ kind: "step", instanceId: r.instanceId, eventId: r.eventId, step, ms: end - startedAt, marginMs: margin, message: describeStep(step, r) });
      await this.o.afterStep?.(r, step);
    }
    r = { ...r, state: "done" };
    this.o.journal.put(r);
    this.emit({
      kind: "done",
      instanceId: r.instanceId,
      eventId: r.eventId,
      message:
        `recovered ${r.instanceId}` +
        (r.replacementId ? ` as ${r.replacementId}` : "") +
        ` from ${r.imageSource} image ${r.imageId}` +
        (r.deadlineMet ? ", data saved before the release" : ", deadline MISSED") +
        (r.dataAgeMs !== undefined ? ` (recovered data is ${formatMs(r.dataAgeMs)} old)` : ""),
    });
  }

  private async run(step: StepName, r: RecoveryRecord): Promise<RecoveryRecord> {
    const { client } = this.o;
    const releaseAt = Date.parse(r.releaseAt);
    switch (step) {
      case "image": {
        try {
          const imageId = await startImage(client, {
            instanceId: r.instanceId,
            imageName: `recovery-${r.snapshot.instanceName}-${r.eventId}`.slice(0, 128),
            description: `Recovery image of ${r.instanceId} at spot interruption ${r.eventId}`,
            tags: { [RECOVERY_TAGS.sourceInstance]: r.instanceId, [RECOVERY_TAGS.imageKind]: "final" },
            token: tokensFor(r.eventId).image,
          });
          return { ...r, imageId, imageSource: "final" };
        } catch (e) {
          // Already released, or not imageable any more: the newest rolling image is what is left.
          if (!(e instanceof CloudError) || !["InvalidInstance.NotFound", "InvalidInstanceStatus"].includes(e.code)) throw e;
          return this.fromRolling(r, `the instance could not be imaged (${e.code})`);
        }
      }
      case "wait-image": {
        if (r.imageSource === "rolling") return r;
        const rolling = await this.newestRolling(r.instanceId);
        const image = await waitUntil<Image | undefined>({
          what: `recovery image ${r.imageId} of ${r.instanceId} to be available`,
          poll: () => findImage(client, r.imageId!),
          // Past the release with a rolling image at hand: stop waiting for a final image that may never come.
          done: (i) => i?.Status === "available" || (rolling !== undefined && this.now() >= releaseAt),
          failed: (i) =>
            rolling === undefined && (i === undefined || i.Status === "error")
              ? `the image ${i ? "ended in error" : "disappeared"} and there is no rolling recovery image (set recovery.imageEvery to keep one): the data on ${r.instanceId} is lost`
              : undefined,
          state: (i) => i?.Status ?? "gone",
          timeoutMs: this.o.imageTimeoutMs ?? 60 * 60_000,
          interval: pollInterval(),
          signal: this.o.signal,
        });
        if (image?.Status === "available") return { ...r, deadlineMet: this.now() <= releaseAt };
        return this.fromRolling(r, `the final image ${r.imageId} did not finish before the release (${image?.Status ?? "gone"})`);
      }
      case "relaunch": {
        const s = r.snapshot;
        const inputs = spotInstanceSchema.parse({
          zoneId: s.zoneId,
          imageId: r.imageId,
          instanceTypeId: s.instanceTypeId,
          subnetId: s.subnetId,
          securityGroupIds: s.securityGroupIds,
          spotStrategy: s.spotStrategy === "SpotWithPriceLimit" ? "SpotWithPriceLimit" : "SpotAsPriceGo",
          spotPriceLimit: s.spotStrategy === "SpotWithPriceLimit" ? s.spotPriceLimit : undefined,
          instanceName: s.instanceName,
          description: s.description || undefined,
          keyPairName: s.keyPairName || undefined,
          systemVolume: s.volumes[0] ? { volumeType: s.volumes[0].volumeType, size: s.volumes[0].size } : undefined,
          dataVolumes: s.volumes.slice(1).map((v) => ({ volumeType: v.volumeType, size: v.size, deleteWithInstance: v.deleteWithInstance ?? true })),
        });
        const params = runInstancesParams(inputs, tokensFor(r.eventId).relaunch);
        const lineage = { [RECOVERY_TAGS.recoveredFrom]: r.instanceId, [RECOVERY_TAGS.origin]: s.tags[RECOVERY_TAGS.origin] ?? r.instanceId };
        params.Tags = Object.entries({ ...s.tags, ...lineage }).map(([Key, Value]) => ({ Key, Value }));
        const res = await client.call<{ InstanceIds: string[] }>("RunInstances", params);
        return { ...r, replacementId: res.InstanceIds[0] };
      }
      case "wait-running":
        await waitInstanceRunning(client, r.replacementId!, this.o.runningTimeoutMs ?? 10 * 60_000);
        return r;
      case "prune": {
        const images = (await listImagesByTag(client, RECOVERY_TAGS.sourceInstance, r.instanceId)).sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""));
        const keep = new Set([r.imageId, ...images.slice(0, r.policy.keepImages).map((i) => i.ImageId)]);
        const pruned: string[] = [];
        for (const img of images) {
          if (keep.has(img.ImageId) || img.Status === "creating") continue;
          await deleteImage(client, img.ImageId);
          pruned.push(img.ImageId);
        }
        return { ...r, prunedImageIds: pruned };
      }
    }
  }

  private async fromRolling(r: RecoveryRecord, why: string): Promise<RecoveryRecord> {
    const rolling = await this.newestRolling(r.instanceId);
    if (!rolling) throw new Error(`${why}, and there is no rolling recovery image (set recovery.imageEvery to keep one): the data on ${r.instanceId} is lost`);
    const dataAgeMs = Date.parse(r.releaseAt) - Date.parse(rolling.CreatedAt ?? r.releaseAt);
    return { ...r, imageId: rolling.ImageId, imageSource: "rolling", dataAgeMs, deadlineMet: false, steps: { ...r.steps, "wait-image": { ...(r.steps["wait-image"] ?? { startedAt: iso(this.now()) }), note: why } } };
  }

  private async newestRolling(instanceId: string): Promise<Image | undefined> {
    const images = await listImagesByTag(this.o.client, RECOVERY_TAGS.sourceInstance, instanceId);
    return images
      .filter((i) => i.Status === "available" && i.Tags?.some((t) => t.Key === RECOVERY_TAGS.imageKind && t.Value === "rolling"))
      .sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
  }

  /** Keeps one rolling image per `imageEvery` interval for a healthy instance, and prunes old ones. */
  private async keepRollingImage(inst: Instance, policy: RecoveryPolicy): Promise<void> {
    const every = parseDuration(policy.imageEvery ?? "");
    if (!every || inst.Status !== "RUNNING") return;
    const images = await listImagesByTag(this.o.client, RECOVERY_TAGS.sourceInstance, inst.InstanceId);
    const rolling = images.filter((i) => i.Tags?.some((t) => t.Key === RECOVERY_TAGS.imageKind && t.Value === "rolling"));
    if (rolling.some((i) => i.Status === "creating")) return;
    const newest = rolling.map((i) => Date.parse(i.CreatedAt ?? "")).sort((a, b) => b - a)[0];
    if (newest !== undefined && this.now() - newest < every) return;
    try {
      const imageId = await startImage(this.o.client, {
        instanceId: inst.InstanceId,
        imageName: `rolling-${inst.InstanceName ?? inst.InstanceId}-${iso(this.now()).replace(/[:]/g, "")}`.slice(0, 128),
        tags: { [RECOVERY_TAGS.sourceInstance]: inst.InstanceId, [RECOVERY_TAGS.imageKind]: "rolling" },
        token: rollingToken(inst.InstanceId, this.now(), every),
      });
      this.emit({ kind: "rolling-image", instanceId: inst.InstanceId, message: `rolling recovery image ${imageId} started` });
    } catch (e) {
      this.emit({ kind: "rolling-image", instanceId: inst.InstanceId, message: `rolling image not started: ${(e as Error).message}` });
      return;
    }
    const old = rolling.filter((i) => i.Status !== "creating").sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? "")).slice(Math.max(0, policy.keepImages - 1));
    for (const img of old) await deleteImage(this.o.client, img.ImageId).catch(() => undefined);
  }

  private emit(e: Omit<RecoveryEvent, "at">): void {
    this.o.onEvent?.({ at: iso(this.now()), ...e });
  }
}

export function snapshotOf(inst: Instance): InstanceSnapshot {
  const nic = inst.NetworkInterfaces?.[0] ?? {};
  const volumes = [...(inst.Volumes ?? [])].sort((a, b) => (a.Kind === "system" ? -1 : b.Kind === "system" ? 1 : 0));
  return {
    instanceId: inst.InstanceId,
    instanceName: inst.InstanceName ?? inst.InstanceId,
    description: inst.Description,
    zoneId: inst.ZoneId,
    instanceTypeId: inst.InstanceTypeId ?? "",
    subnetId: nic.SubnetId ?? "",
    securityGroupIds: nic.SecurityGroupIds ?? [],
    spotStrategy: inst.SpotStrategy ?? "SpotAsPriceGo",
    spotPriceLimit: inst.SpotPriceLimit || undefined,
    keyPairName: inst.KeyPairName,
    hostname: inst.Hostname,
    volumes: volumes.map((v) => ({ volumeType: v.VolumeType ?? "ESSD_PL0", size: Number(v.Size ?? 40) })),
    tags: tagMap(inst.Tags),
  };
}

function describeStep(step: StepName, r: RecoveryRecord): string {
  switch (step) {
    case "image":
      return r.imageSource === "rolling" ? `using rolling image ${r.imageId}` : `final image ${r.imageId} started`;
    case "wait-image":
      return r.imageSource === "rolling" ? `recovering from rolling image ${r.imageId} (${r.steps["wait-image"]?.note ?? ""})` : `image ${r.imageId} available`;
    case "relaunch":
      return `replacement ${r.replacementId} launched in ${r.snapshot.zoneId}`;
    case "wait-running":
      return `replacement ${r.replacementId} RUNNING`;
    case "prune":
      return r.prunedImageIds?.length ? `pruned ${r.prunedImageIds.join(", ")}` : "no old images to prune";
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
