// SpotInstance: a Volcengine ECS spot instance, its recovery policy (as tags), and whether a spot
// interruption is scheduled for it. The lifecycle: create (adopt, or launch under the create-token
// rule, wait RUNNING, never leave an orphan), read (follow a recovery to the replacement), update in
// place (name, description, password, tags, policy), delete.
import { volcengineConnection } from "../../config";
import { checkResource } from "../../core/check";
import { describeFailure, orUndefined } from "../../core/errors";
import { diffInputs, partialResource, pickInputs, type HandlerContext, type ResourceHandler } from "../../core/handler";
import { plain } from "../../core/outputs";
import { createToken } from "../../core/tokens";
import { parseDuration } from "../../core/waiter";
import { LEGACY_TAGS, originOf, TAGS, userTags } from "../../recovery/policy";
import type { SpotInstanceOutputs } from "../resources";
import { VolcengineClient } from "../client";
import { findInterruptions } from "../events";
import { findInstance, removeInstance, waitInstanceStatus, type Instance } from "../instances";
import { deleteCommand, ensureCommand, updateCommand } from "../assistant";
import { launchInstance } from "../launch";
import { syncTags, tagMap } from "../tags";
import { adoptInstance, findReplacement, laterInLine } from "./lineage";
import { SPOT_INPUT_KEYS, SPOT_REPLACE_KEYS, SPOT_SECRET_KEYS, spotInstanceSchema, type SpotInstanceInputs } from "./schema";
import { instanceTags, launchSpec } from "./spec";

const DEFAULT_CREATE_MS = 10 * 60_000;
const DEFAULT_DELETE_MS = 10 * 60_000;

type Props = SpotInstanceInputs & SpotInstanceOutputs;

const label = (inputs: { instanceName?: string }, id?: string) => `SpotInstance ${inputs.instanceName ?? id ?? ""}`.trim();
const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => VolcengineClient.for(volcengineConnection(ctx.config, inputs.region));
/** The instance name: declared, or the resource name the class put in `__identity`. */
const nameOf = (inputs: SpotInstanceInputs) => inputs.instanceName ?? inputs.__identity?.split("/").pop() ?? "spot-instance";

/** The create token: the resource's identity, the salt and its non-secret inputs. */
export function spotInstanceToken(inputs: SpotInstanceInputs): string {
  return createToken("volcengine:SpotInstance", inputs.__identity, inputs.__tokenSalt, inputs, SPOT_SECRET_KEYS);
}

/** The recovery policy's guest hook as a saved Cloud Assistant command (its id rides in the policy tag). */
async function ensureHook(client: VolcengineClient, inputs: SpotInstanceInputs, instanceName: string): Promise<string | undefined> {
  const hook = inputs.recovery?.guestHook;
  if (!hook) return undefined;
  const token = createToken("volcengine:GuestHook", inputs.__identity, inputs.__tokenSalt, { script: hook.command });
  return ensureCommand(client, { name: `pulumi-recovery-hook-${instanceName}`.slice(0, 64), script: hook.command, timeoutSeconds: hook.timeoutSeconds, token });
}

/** Outputs: the inputs (read only sees outputs) plus what the cloud reports. */
async function outputsFor(client: VolcengineClient, inputs: Record<string, any>, inst: Instance): Promise<Props> {
  const [interruption] = await findInterruptions(client, [inst.InstanceId]);
  const nic = inst.NetworkInterfaces?.[0];
  return plain({
    ...inputs,
    instanceId: inst.InstanceId,
    status: inst.Status,
    // The declared placement stays the input (a recovery may have gone elsewhere: `placement` says where,
    // and the next `up` changes nothing for it).
    zoneId: inputs.zoneId ?? inst.ZoneId,
    placement: { zoneId: inst.ZoneId, subnetId: nic?.SubnetId, instanceTypeId: inst.InstanceTypeId },
    vpcId: inst.VpcId,
    privateIpAddress: nic?.PrimaryIpAddress,
    // Inputs stay as declared (the cloud reports 0 for "no limit"): overwriting them would show up as a
    // change, and a replacement, in the next diff.
    spotStrategy: inputs.spotStrategy ?? inst.SpotStrategy,
    createdAt: inst.CreatedAt,
    interruptionScheduled: Boolean(interruption),
    interruptionEventId: interruption?.eventId,
    releaseAt: interruption?.releaseAt,
    origin: originOf(inst.InstanceId, tagMap(inst.Tags)),
  });
}

/** Reflects out-of-band edits of what can change in place, so the next diff puts them back. */
function withCloudValues(props: Record<string, any>, inst: Instance): Record<string, any> {
  const tags = userTags(tagMap(inst.Tags));
  return {
    ...props,
    instanceName: inst.InstanceName ?? props.instanceName,
    description: props.description === undefined && !inst.Description ? undefined : (inst.Description ?? props.description),
    tags: props.tags === undefined && Object.keys(tags).length === 0 ? undefined : tags,
  };
}

export const spotInstanceHandler: ResourceHandler<SpotInstanceInputs, SpotInstanceOutputs> = {
  async check(olds, news) {
    // A replacement gets a token salt derived from what it replaces, a first create none (core/tokens.ts).
    return checkResource(spotInstanceSchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: SPOT_INPUT_KEYS, replaceKeys: SPOT_REPLACE_KEYS });
  },

  async create(props, ctx) {
    const inputs = spotInstanceSchema.parse(pickInputs(props, SPOT_INPUT_KEYS));
    const instanceName = nameOf(inputs);
    const name = label({ instanceName });
    const client = clientFor(inputs, ctx);
    const outs = { ...props, ...inputs, instanceName };
    if (inputs.adoptInstanceId) {
      try {
        const hookCommandId = await ensureHook(client, inputs, instanceName);
        const inst = await adoptInstance(client, inputs, inputs.adoptInstanceId, instanceName, hookCommandId);
        return { id: inst.InstanceId, outs: await outputsFor(client, { ...outs, hookCommandId }, inst) };
      } catch (err) {
        throw describeFailure(name, err);
      }
    }
    let instanceId: string;
    let hookCommandId: string | undefined;
    try {
      hookCommandId = await ensureHook(client, inputs, instanceName);
      ({ instanceId } = await launchInstance(client, launchSpec(inputs, instanceName, hookCommandId), spotInstanceToken(inputs), `instance ${instanceName}`));
    } catch (err) {
      // Nothing left behind: the hook's command goes again when the instance could not be launched.
      if (hookCommandId) await deleteCommand(client, hookCommandId).catch(() => undefined);
      throw describeFailure(name, err);
    }
    Object.assign(outs, { hookCommandId });
    const timeout = parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS;
    try {
      const inst = await waitInstanceStatus(client, instanceId, "RUNNING", timeout);
      return { id: instanceId, outs: await outputsFor(client, outs, inst) };
    } catch (waitErr) {
      // Never leave an orphan: delete what was launched; if even that fails, hand the engine a partial
      // resource so the instance stays in state and the next `up` or `destroy` deals with it.
      const why = describeFailure(name, waitErr).message;
      try {
        await removeInstance(client, instanceId, DEFAULT_DELETE_MS);
        if (hookCommandId) await deleteCommand(client, hookCommandId);
      } catch (cleanupErr) {
        throw partialResource(instanceId, plain({ ...outs, instanceId, status: "UNKNOWN" }), [why, `cleanup of ${instanceId} failed too: ${describeFailure(name, cleanupErr).message}`]);
      }
      throw new Error(`${why} (the instance ${instanceId} was deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const own = await orUndefined(findInstance(client, id));
      const inst = own ?? (await findReplacement(client, id, props.origin));
      // Released (by the spot market, or by hand) with no recovery: gone. Refresh drops it; the next
      // `up` recreates it.
      if (!inst) return { id: "", props: {} as Props };
      // Released and relaunched by the recovery controller: the stack adopts the replacement (same
      // inputs, so the next `up` changes nothing).
      const lineage = own ? {} : { recoveredFrom: id, launchedFromImageId: inst.ImageId };
      return { id: inst.InstanceId, props: await outputsFor(client, { ...withCloudValues(props, inst), ...lineage }, inst) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = spotInstanceSchema.parse(pickInputs(news, SPOT_INPUT_KEYS));
    const instanceName = nameOf(inputs);
    const client = clientFor(inputs, ctx);
    const name = label({ instanceName }, id);
    try {
      const modify: Record<string, string | undefined> = {};
      if (olds.instanceName !== instanceName) modify.InstanceName = instanceName;
      if (olds.description !== inputs.description) modify.Description = inputs.description ?? "";
      if (olds.password !== inputs.password && inputs.password !== undefined) modify.Password = inputs.password;
      if (Object.keys(modify).length > 0) await client.ecs("ModifyInstanceAttribute", { InstanceId: id, ...modify }, { safe: true });
      // The guest hook's saved command: made, changed in place, or deleted with the policy.
      const oldHook = olds.recovery?.guestHook;
      const newHook = inputs.recovery?.guestHook;
      let hookCommandId = olds.hookCommandId;
      if (newHook && hookCommandId && (oldHook?.command !== newHook.command || oldHook?.timeoutSeconds !== newHook.timeoutSeconds)) await updateCommand(client, hookCommandId, newHook.command, newHook.timeoutSeconds);
      if (newHook && !hookCommandId) hookCommandId = await ensureHook(client, inputs, instanceName);
      // Tags as the cloud has them (an out-of-band edit is put back), and release 0.1.0's policy tags go.
      const current = tagMap((await findInstance(client, id)).Tags);
      const mine = Object.fromEntries(Object.entries(current).filter(([k]) => k in userTags(current) || k === TAGS.policy || ((Object.values(LEGACY_TAGS) as string[]).includes(k) && k !== TAGS.origin)));
      await syncTags(client, "instance", id, mine, instanceTags(inputs, hookCommandId));
      if (!newHook && hookCommandId) {
        await deleteCommand(client, hookCommandId);
        hookCommandId = undefined;
      }
      const inst = await findInstance(client, id);
      return { outs: await outputsFor(client, { ...news, ...inputs, instanceName, origin: olds.origin, hookCommandId }, inst) };
    } catch (err) {
      throw describeFailure(name, err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    const timeoutMs = parseDuration(props.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS;
    try {
      // Replacements launched during the notice, which no refresh has adopted yet, go with the line.
      for (const later of await laterInLine(client, id, props)) await removeInstance(client, later.InstanceId, timeoutMs);
      await removeInstance(client, id, timeoutMs);
      if (props.hookCommandId) await deleteCommand(client, props.hookCommandId);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
