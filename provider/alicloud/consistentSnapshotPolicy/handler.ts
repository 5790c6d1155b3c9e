// ConsistentSnapshotPolicy: application-consistent snapshot groups on a schedule. One periodic Cloud
// Assistant invocation (RunCommand RepeatMode=Period with the schedule as Frequency) runs the app-snapshot
// plugin — the same command a ConsistentSnapshotGroup runs once (appSnapshotPlugin.ts) — and is tagged with
// what the controller needs: its kind, the group name, the retention, the create token. The controller
// (policyRunner.ts, `pulumi-recovery watch --once` / `serve`) finds the groups it made and prunes them to
// the retention. Update changes the schedule in place (ModifyInvocationAttribute) and the retention (the
// invocation's tag); delete stops the invocation (StopInvocation) and keeps the groups unless
// `deleteSnapshotsOnDestroy`.
import { alicloudConnection } from "../../config";
import { checkResource } from "../../core/check";
import { describeFailure, orUndefined } from "../../core/errors";
import { diffInputs, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../../core/handler";
import { plain } from "../../core/outputs";
import { attemptToken, createToken, findOrCreate, TOKEN_TAG, type Made } from "../../core/tokens";
import { pluginCommand } from "../appSnapshotPlugin";
import { AlicloudClient } from "../client";
import { findInvocation, listInvocationsByTag, modifyInvocationFrequency, runCommand, stopInvocation, tagResources, tagsOf, type Invocation } from "../invocations";
import { encodeRetention, GROUP_NAME_TAG, KIND_TAG, POLICY_KIND, policyGroups, RETENTION_TAG, summarize } from "../policyGroups";
import type { ConsistentSnapshotPolicyOutputs } from "../resources";
import { deleteSnapshotGroup } from "../snapshotGroups";
import { consistentSnapshotPolicySchema, INPUT_KEYS, periodicTimeout, REPLACE_KEYS, type ConsistentSnapshotPolicyInputs } from "./schema";

type Inputs = ConsistentSnapshotPolicyInputs;
type Props = Outs<Inputs, ConsistentSnapshotPolicyOutputs>;

const KIND = "alicloud:ConsistentSnapshotPolicy";
const COMMAND_NAME = "pulumi-recovery-app-snapshot-policy";
/** Statuses of an invocation that will not run again. */
const ENDED = ["Stopped", "Stopping", "Failed", "Success", "Cancelled"];

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));
const label = (p: { name?: string; instanceId?: string }, id?: string) => `ConsistentSnapshotPolicy ${p.name ?? p.instanceId ?? id ?? ""}`.trim();

const policyTags = (i: Inputs, token: string) => ({ [TOKEN_TAG]: token, [KIND_TAG]: POLICY_KIND, [GROUP_NAME_TAG]: i.name!, [RETENTION_TAG]: encodeRetention(i) });

/** What the cloud says about the policy: its invocation's status and the groups it made. */
async function observe(client: AlicloudClient, inv: Invocation, props: object & { instanceId: string; name?: string }): Promise<Partial<ConsistentSnapshotPolicyOutputs>> {
  const { groups } = await policyGroups(client, { invokeId: inv.InvokeId, instanceId: props.instanceId, groupName: props.name ?? tagsOf(inv)[GROUP_NAME_TAG], since: Date.parse(inv.CreationTime ?? "") });
  const s = summarize(groups);
  return { invocationId: inv.InvokeId, status: inv.InvocationStatus ?? "Scheduled", newestGroupId: s.newest?.SnapshotGroupId, newestGroupTime: s.newest?.CreationTime, newestConsistency: s.consistency, groupCount: s.count };
}

export const consistentSnapshotPolicyHandler: ResourceHandler<Inputs, ConsistentSnapshotPolicyOutputs> = {
  async check(olds, news) {
    return checkResource(consistentSnapshotPolicySchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news) {
    // Two policies of one instance would fight over the plugin's lock (acs-plugin-manager exit 232): the old
    // one stops before the new one starts.
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS, deleteBeforeReplace: true });
  },

  async create(props, ctx) {
    const inputs = consistentSnapshotPolicySchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    const client = clientFor(inputs, ctx);
    const command = pluginCommand(inputs);
    const { timeouts, deleteSnapshotsOnDestroy, ...shaping } = inputs;
    void timeouts;
    void deleteSnapshotsOnDestroy;
    const token = createToken(KIND, inputs.__identity, inputs.__tokenSalt, shaping);
    try {
      // One periodic invocation per create token: an earlier attempt's, still scheduled, is adopted.
      const find = async (): Promise<Made[]> =>
        (await listInvocationsByTag(client, TOKEN_TAG, token)).filter((i) => !ENDED.includes(i.InvocationStatus ?? "")).map((i) => ({ id: i.InvokeId, createdAt: i.CreationTime }));
      const { value: invokeId } = await findOrCreate({
        what: `periodic Cloud Assistant run of the app-snapshot plugin on ${inputs.instanceId}`,
        token,
        retry: client.retry,
        find,
        create: (clientToken) =>
          runCommand(client, {
            type: command.type,
            content: command.content,
            instanceIds: [inputs.instanceId],
            timeout: periodicTimeout(inputs),
            name: COMMAND_NAME,
            clientToken,
            repeatMode: "Period",
            frequency: inputs.schedule.trim(),
            tags: policyTags(inputs, token),
          }),
        discard: (id) => stopInvocation(client, id, []),
      });
      const inv = await findInvocation(client, invokeId);
      return { id: invokeId, outs: plain({ ...props, ...inputs, ...(await observe(client, inv, inputs)) }) };
    } catch (err) {
      throw describeFailure(name, err);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const inv = await orUndefined(findInvocation(client, id));
      // Stopped (a delete, or by hand): the policy no longer runs, it is gone.
      if (!inv || ENDED.includes(inv.InvocationStatus ?? "")) return { id: "", props: {} as Props };
      return { id, props: plain({ ...props, schedule: inv.Frequency || props.schedule, ...(await observe(client, inv, props)) }) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = consistentSnapshotPolicySchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      if (olds.schedule?.trim() !== inputs.schedule.trim()) await modifyInvocationFrequency(client, id, inputs.schedule.trim(), attemptToken(createToken(`${KIND}:schedule`, id, undefined, { schedule: inputs.schedule })));
      if (encodeRetention(olds) !== encodeRetention(inputs)) await tagResources(client, "invocation", [id], { [RETENTION_TAG]: encodeRetention(inputs) });
      const inv = await findInvocation(client, id);
      return { outs: plain({ ...olds, ...news, ...inputs, ...(await observe(client, inv, inputs)) }) };
    } catch (err) {
      throw describeFailure(label(inputs, id), err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const inv = await orUndefined(findInvocation(client, id));
      await stopInvocation(client, id, []);
      if (props.deleteSnapshotsOnDestroy && inv) {
        const { groups } = await policyGroups(client, { invokeId: id, instanceId: props.instanceId, groupName: props.name ?? tagsOf(inv)[GROUP_NAME_TAG], since: Date.parse(inv.CreationTime ?? "") });
        for (const g of groups) await deleteSnapshotGroup(client, g.SnapshotGroupId);
      }
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
