// The Alibaba Cloud policy runner: one pass (`runOnce`) over the region's ConsistentSnapshotPolicies, on
// the cloud's clock — the controller half of the resource (the same shape as the OpenStack runner: options
// with the client, clock, onEvent and signal; `runOnce()` reports per policy and never throws for one).
//   1. Finds the policies: periodic invocations tagged `pulumi-recovery:kind=ConsistentSnapshotPolicy`
//      that still run (DescribeInvocations Tag.N, every page).
//   2. For each: the groups it made (policyGroups.ts), adopting new ones by tagging their snapshots; the
//      newest run's outcome, reported when it failed (the plugin's exit code explained).
//   3. Prunes to the retention the invocation's tag carries (retentionPlan): exactly the oldest beyond it,
//      failed groups, never one still progressing, never the newest accomplished one.
// Nothing needs a journal: the state is the cloud's (tags), and each step is idempotent (a group already
// deleted is deleted; a tag set twice is set).
import pLimit from "p-limit";
import { systemClock, type Clock } from "../core/clock";
import { describeFailure, orUndefined } from "../core/errors";
import { parseDuration } from "../core/waiter";
import { explainExitCode, parsePluginOutput } from "./appSnapshotPlugin";
import type { AlicloudClient } from "./client";
import { findInvocationResult, listInvocationsByTag, tagsOf, type Invocation } from "./invocations";
import { decodeRetention, GROUP_NAME_TAG, KIND_TAG, POLICY_KIND, policyGroups, RETENTION_TAG, retentionPlan } from "./policyGroups";
import { deleteSnapshotGroup } from "./snapshotGroups";

export interface PolicyEvent {
  kind: "adopted" | "pruned" | "kept" | "run-failed" | "failed" | "unreadable";
  /** The cloud's time. */
  at: string;
  /** The policy's invocation (`t-…`). */
  policy: string;
  instanceId?: string;
  groupId?: string;
  message: string;
}

export interface PolicyPassResult {
  policies: number;
  /** Accomplished groups kept, over all policies. */
  groups: number;
  adopted: number;
  pruned: number;
  failed: number;
  events: PolicyEvent[];
}

export interface PolicyRunnerOptions {
  client: AlicloudClient;
  /** The cloud's clock: ages are measured on it (the emulator's in drills and tests). */
  clock?: Clock;
  onEvent?: (e: PolicyEvent) => void;
  signal?: AbortSignal;
  /** Policies worked on at once (default 4). */
  concurrency?: number;
}

const ENDED = ["Stopped", "Stopping", "Failed", "Success", "Cancelled"];

export class AlicloudPolicyRunner {
  private readonly clock: Clock;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly o: PolicyRunnerOptions) {
    this.clock = o.clock ?? systemClock;
    this.limit = pLimit(o.concurrency ?? 4);
  }

  /** One pass over every running policy of the region. Failures are reported per policy, never thrown (but a failed listing is). */
  async runOnce(): Promise<PolicyPassResult> {
    const r: PolicyPassResult = { policies: 0, groups: 0, adopted: 0, pruned: 0, failed: 0, events: [] };
    const policies = (await listInvocationsByTag(this.o.client, KIND_TAG, POLICY_KIND)).filter((i) => !ENDED.includes(i.InvocationStatus ?? ""));
    r.policies = policies.length;
    await Promise.all(policies.map((inv) => this.limit(() => this.serve(inv, r))));
    return r;
  }

  private emit(r: PolicyPassResult, e: Omit<PolicyEvent, "at">): void {
    const full = { at: new Date(this.clock.now()).toISOString(), ...e };
    r.events.push(full);
    this.o.onEvent?.(full);
  }

  private async serve(inv: Invocation, r: PolicyPassResult): Promise<void> {
    const tags = tagsOf(inv);
    const retention = decodeRetention(tags[RETENTION_TAG], parseDuration);
    const groupName = tags[GROUP_NAME_TAG];
    const instances = (inv.InvokeInstances?.InvokeInstance ?? []).map((i) => i.InstanceId);
    if (!retention || !groupName) {
      this.emit(r, { kind: "unreadable", policy: inv.InvokeId, message: `its tags ${RETENTION_TAG}=${tags[RETENTION_TAG] ?? "(none)"} / ${GROUP_NAME_TAG}=${groupName ?? "(none)"} cannot be read by this version (written by a newer pulumi-recovery, or edited by hand): left alone` });
      return;
    }
    for (const instanceId of instances) {
      try {
        this.o.signal?.throwIfAborted();
        await this.reportRun(inv, instanceId, r);
        const { groups, adopted } = await policyGroups(this.o.client, { invokeId: inv.InvokeId, instanceId, groupName, since: Date.parse(inv.CreationTime ?? "") }, { adopt: true });
        for (const id of adopted) this.emit(r, { kind: "adopted", policy: inv.InvokeId, instanceId, groupId: id, message: `group ${id} is the policy's: its snapshots are tagged` });
        r.adopted += adopted.length;
        const plan = retentionPlan(groups, retention, this.clock.now());
        for (const g of plan.prune) {
          await deleteSnapshotGroup(this.o.client, g.SnapshotGroupId);
          r.pruned++;
          this.emit(r, { kind: "pruned", policy: inv.InvokeId, instanceId, groupId: g.SnapshotGroupId, message: `pruned group ${g.SnapshotGroupId} (${g.Status}, made ${g.CreationTime}) beyond the retention ${tags[RETENTION_TAG]}` });
        }
        const kept = plan.keep.filter((g) => g.Status === "accomplished").length;
        r.groups += kept;
        this.emit(r, { kind: "kept", policy: inv.InvokeId, instanceId, message: `${kept} group(s) kept (${tags[RETENTION_TAG]})${plan.keep[0] ? `, newest ${plan.keep[0].SnapshotGroupId}` : ""}` });
      } catch (e) {
        if (this.o.signal?.aborted) throw e;
        r.failed++;
        this.emit(r, { kind: "failed", policy: inv.InvokeId, instanceId, message: describeFailure(`ConsistentSnapshotPolicy ${groupName}`, e).message });
      }
    }
  }

  /** The newest run on the instance, reported when it failed (with the plugin's exit code explained). */
  private async reportRun(inv: Invocation, instanceId: string, r: PolicyPassResult): Promise<void> {
    const run = await orUndefined(findInvocationResult(this.o.client, inv.InvokeId, instanceId));
    if (!run || ["Scheduled", "Running", "Pending", "Success"].includes(run.InvocationStatus)) return;
    const out = parsePluginOutput(run.Output ?? "");
    const why = run.ErrorCode && run.ErrorCode !== "ExitCodeNonzero" ? `Cloud Assistant: ${run.ErrorCode} ${run.ErrorInfo ?? ""}`.trim() : explainExitCode(run.ExitCode);
    this.emit(r, { kind: "run-failed", policy: inv.InvokeId, instanceId, message: `the newest run (${run.InvocationStatus}) made no group: ${why}${out.errors.length ? `; the plugin said: ${out.errors.join("; ")}` : ""}` });
  }
}
