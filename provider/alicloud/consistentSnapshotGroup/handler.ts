// ConsistentSnapshotGroup: an application-consistent (or file-system-consistent) snapshot group of an
// instance's ESSD-family disks, taken by the app-snapshot plugin through Cloud Assistant: RunCommand (under
// the one create-token rule) → wait for the run → read the plugin's output → wait for the group to be
// accomplished → the consistency its snapshots were tagged with.
import { alicloudConnection, pollInterval } from "../../config";
import { checkResource } from "../../core/check";
import { describeFailure, orUndefined, WaitError } from "../../core/errors";
import { diffInputs, partialResource, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../../core/handler";
import { plain } from "../../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG, type Made } from "../../core/tokens";
import { parseDuration } from "../../core/waiter";
import { explainExitCode, parsePluginOutput, pluginCommand, type PluginOutput } from "../appSnapshotPlugin";
import { AlicloudClient } from "../client";
import { findInvocationResult, listInvocationsByTag, runCommand, stopInvocation, waitInvocationFinished, type InvocationResult } from "../invocations";
import type { ConsistentSnapshotGroupOutputs } from "../resources";
import { consistencyOf, deleteSnapshotGroup, findSnapshotGroup, waitSnapshotGroupAccomplished, type SnapshotGroup } from "../snapshotGroups";
import { consistentSnapshotGroupSchema, INPUT_KEYS, REPLACE_KEYS, type ConsistentSnapshotGroupInputs } from "./schema";

type Inputs = ConsistentSnapshotGroupInputs;
type Props = Outs<Inputs, ConsistentSnapshotGroupOutputs>;

const KIND = "alicloud:ConsistentSnapshotGroup";
const DEFAULT_CREATE_MS = 60 * 60_000;
const COMMAND_NAME = "pulumi-recovery-app-snapshot";

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));
const label = (p: { name?: string; instanceId?: string }, id?: string) => `ConsistentSnapshotGroup ${p.name ?? p.instanceId ?? id ?? ""}`.trim();

/** The plugin's whole run may take its scripts' and freeze's time plus slack (RunCommand Timeout 10-86400 s). */
const commandTimeout = (i: Inputs) => Math.min(86400, Math.max(60, (i.scriptTimeoutSeconds ?? 1800) * 2 + (i.freezeTimeoutSeconds ?? 30) + 300));

function outputsFor(props: object, group: SnapshotGroup, extra: Partial<ConsistentSnapshotGroupOutputs>): Props {
  return plain({
    ...props,
    snapshotGroupId: group.SnapshotGroupId,
    snapshotIds: (group.Snapshots?.Snapshot ?? []).map((s) => s.SnapshotId),
    status: group.Status,
    consistency: consistencyOf(group),
    creationTime: group.CreationTime,
    ...extra,
  });
}

/**
 * What earlier attempts of this create left that can be adopted: runs still going, and finished ones whose
 * group still exists. A run whose group was deleted (out of band, or by a destroy) is not adopted, so a
 * re-create after it makes a new group; failed runs are not adopted either.
 */
async function earlierAttempts(client: AlicloudClient, token: string, instanceId: string): Promise<Made[]> {
  const made: Made[] = [];
  for (const inv of await listInvocationsByTag(client, TOKEN_TAG, token)) {
    const run = await orUndefined(findInvocationResult(client, inv.InvokeId, instanceId));
    if (!run) continue;
    if (run.InvocationStatus === "Pending" || run.InvocationStatus === "Running") made.push({ id: inv.InvokeId, createdAt: inv.CreationTime });
    else if (run.InvocationStatus === "Success" && run.ExitCode === 0) {
      const groupId = parsePluginOutput(run.Output ?? "").snapshotGroupId;
      const group = groupId ? await orUndefined(findSnapshotGroup(client, groupId)) : undefined;
      if (group && group.Status !== "failed") made.push({ id: inv.InvokeId, createdAt: inv.CreationTime });
    }
  }
  return made;
}

/** Why the plugin's run did not make a group, in one sentence with what to do. */
function runFailure(name: string, r: InvocationResult, out: PluginOutput, invokeId: string, instanceId: string): string {
  const said = out.errors.length ? ` The plugin said: ${out.errors.join("; ")}.` : out.warnings.length ? ` Plugin warnings: ${out.warnings.join("; ")}.` : "";
  if (r.InvocationStatus !== "Success" && r.InvocationStatus !== "Failed" && r.ErrorCode && r.ErrorCode !== "ExitCodeNonzero") {
    return `${name}: Cloud Assistant could not run the plugin on ${instanceId}: ${r.ErrorCode} ${r.ErrorInfo ?? ""}`.trim() + `. What to do: make sure the Cloud Assistant agent is installed and running on the instance (invocation ${invokeId}).`;
  }
  return `${name}: ${explainExitCode(r.ExitCode)}.${said} (invocation ${invokeId})`;
}

/** Deletes a group a failed create made; if even that fails, the engine gets a partial resource. */
async function undo(client: AlicloudClient, groupId: string, props: Record<string, unknown>, invokeId: string, why: string, name: string): Promise<never> {
  try {
    await deleteSnapshotGroup(client, groupId);
  } catch (cleanupErr) {
    throw partialResource(groupId, plain({ ...props, snapshotGroupId: groupId, invocationId: invokeId, status: "failed" }), [why, `cleanup failed: ${describeFailure(name, cleanupErr).message}`]);
  }
  throw new Error(`${why} The snapshot group ${groupId} it made was deleted: nothing is left behind.`);
}

export const consistentSnapshotGroupHandler: ResourceHandler<Inputs, ConsistentSnapshotGroupOutputs> = {
  async check(olds, news) {
    // InstantAccess is deprecated by the cloud (CreateSnapshotGroupRequest): accepted, and said so on the
    // provider's stderr, which the Pulumi CLI shows.
    const deprecated = ["instantAccess", "instantAccessRetentionDays"].filter((k) => news[k] !== undefined);
    if (deprecated.length) console.warn(`warning: ${label(news)}: ${deprecated.join(" and ")} ${deprecated.length > 1 ? "are" : "is"} deprecated: ESSD-family snapshots are instantly available by default; the plugin is still given them`);
    // A replacement gets a token salt derived from what it replaces, a first create none (core/tokens.ts).
    return checkResource(consistentSnapshotGroupSchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS });
  },

  async create(props, ctx) {
    const inputs = consistentSnapshotGroupSchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    const client = clientFor(inputs, ctx);
    const timeoutMs = parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS;
    const command = pluginCommand(inputs);
    const { timeouts, ...shaping } = inputs;
    void timeouts;
    const token = createToken(KIND, inputs.__identity, inputs.__tokenSalt, shaping);

    // 1. The plugin's run: one per create token (an earlier attempt's run is adopted, core/tokens.ts).
    let invokeId: string;
    try {
      invokeId = (
        await findOrCreate({
          what: `Cloud Assistant run of the app-snapshot plugin on ${inputs.instanceId}`,
          token,
          retry: client.retry,
          find: () => earlierAttempts(client, token, inputs.instanceId),
          create: (clientToken) =>
            runCommand(client, { type: command.type, content: command.content, instanceIds: [inputs.instanceId], timeout: commandTimeout(inputs), name: COMMAND_NAME, clientToken, tags: { [TOKEN_TAG]: token } }),
        })
      ).value;
    } catch (err) {
      throw describeFailure(name, err);
    }

    let result: InvocationResult;
    try {
      result = await waitInvocationFinished(client, invokeId, inputs.instanceId, { timeoutMs, interval: pollInterval() });
    } catch (err) {
      if (err instanceof WaitError && err.reason === "timeout") {
        // A freeze that hit its timeout can hang the invocation: stop it rather than leave I/O frozen.
        await stopInvocation(client, invokeId, [inputs.instanceId]).catch(() => undefined);
        throw new Error(`${name}: ${err.message}; the invocation was stopped (StopInvocation). Check the instance: file systems may still be frozen (fsfreeze -u)`);
      }
      throw describeFailure(name, err);
    }
    const out = parsePluginOutput(result.Output ?? "");
    if (result.InvocationStatus === "Timeout") {
      await stopInvocation(client, invokeId, [inputs.instanceId]).catch(() => undefined);
      throw new Error(`${name}: the app-snapshot plugin did not finish within ${commandTimeout(inputs)}s (invocation ${invokeId}, stopped). Check the instance: file systems may still be frozen (fsfreeze -u).`);
    }
    if (result.InvocationStatus !== "Success" || result.ExitCode !== 0) {
      const why = runFailure(name, result, out, invokeId, inputs.instanceId);
      // Some failures come after the group was made (10: the thaw script ran after the snapshot): a failed
      // create must leave nothing behind.
      if (out.snapshotGroupId && (await orUndefined(findSnapshotGroup(client, out.snapshotGroupId)))) await undo(client, out.snapshotGroupId, props, invokeId, why, name);
      throw new Error(why);
    }
    if (!out.snapshotGroupId) throw new Error(`${name}: the plugin exited 0 but its output names no snapshot group (invocation ${invokeId}).`);
    const groupId = out.snapshotGroupId;

    // 2. The group, until accomplished (fail fast on failed).
    try {
      const group = await waitSnapshotGroupAccomplished(client, groupId, { timeoutMs, interval: pollInterval() });
      const consistency = consistencyOf(group);
      const note =
        consistency === "application"
          ? undefined
          : out.warnings.length
            ? `fell back to ${consistency} consistency: ${out.warnings.join("; ")}`
            : inputs.preScriptPath
              ? `fell back to ${consistency} consistency: the plugin did not use the pre/post scripts (they must exist, be owned by root and have mode 700)`
              : `${consistency} consistency: set preScriptPath and postScriptPath (root-owned, mode 700) for application consistency`;
      return { id: groupId, outs: outputsFor({ ...props, ...inputs }, group, { invocationId: invokeId, consistencyNote: note }) };
    } catch (err) {
      return undo(client, groupId, { ...props, ...inputs }, invokeId, describeFailure(name, err).message, name);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const group = await orUndefined(findSnapshotGroup(client, id));
      if (!group) return { id: "", props: {} as Props };
      return { id, props: outputsFor(props, group, {}) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(_id, olds, news) {
    // Only `timeouts` changes in place, and it touches nothing in the cloud.
    return { outs: plain({ ...olds, ...news }) };
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      await deleteSnapshotGroup(client, id);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
