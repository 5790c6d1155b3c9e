// SpotRecoveryPolicy: a recovery policy attached to an instance that something else manages (an
// alicloud.ecs.Instance, a @volcengine/pulumi instance, a console click), on either cloud. It records the
// policy on the instance the way SpotInstance does — the one policy tag (../policy.ts) — plus an owner tag
// naming this resource, within the cloud's tag budget; reads it back (a removed or edited tag is drift the
// next `up` puts back); follows the instance to the controller's replacement on refresh (the replacement
// carries the line's origin tag), so the next `up` changes nothing; and on delete removes only the tags it
// wrote (and the guest hook's saved command).
import { alicloudConnection, volcengineConnection } from "../../config";
import { checkResource, UNKNOWN } from "../../core/check";
import { describeFailure } from "../../core/errors";
import { diffInputs, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../../core/handler";
import { plain } from "../../core/outputs";
import { createToken } from "../../core/tokens";
import { encodePolicy, originOf, recordedPolicy, TAGS } from "../policy";
import type { SpotRecoveryPolicyOutputs } from "../resources";
import { INPUT_KEYS, POLICY_KEYS, spotRecoveryPolicySchema, type SpotRecoveryPolicyInputs } from "./schema";
import type { PolicyInstance, PolicyTarget } from "./target";

type Props = Outs<SpotRecoveryPolicyInputs, SpotRecoveryPolicyOutputs>;

const label = (p: { instanceId?: string }, id?: string) => `SpotRecoveryPolicy on ${p.instanceId ?? id ?? "an instance"}`;

/** The cloud side, required at run time (keeps both clouds' SDKs out of anything serialized). */
function targetFor(inputs: { cloud: string; region?: string }, ctx: HandlerContext): PolicyTarget {
  if (inputs.cloud === "alicloud") {
    const { AlicloudClient } = require("../../alicloud/client") as typeof import("../../alicloud/client");
    const { alicloudPolicyTarget } = require("../../alicloud/policyTarget") as typeof import("../../alicloud/policyTarget");
    return alicloudPolicyTarget(AlicloudClient.for(alicloudConnection(ctx.config, inputs.region)));
  }
  const { VolcengineClient } = require("../../volcengine/client") as typeof import("../../volcengine/client");
  const { volcenginePolicyTarget } = require("../../volcengine/policyTarget") as typeof import("../../volcengine/policyTarget");
  return volcenginePolicyTarget(VolcengineClient.for(volcengineConnection(ctx.config, inputs.region)));
}

/** The owner tag's value: this resource's create token (its identity and salt; not the instance, which a recovery changes). */
export function ownerToken(inputs: Pick<SpotRecoveryPolicyInputs, "cloud" | "region" | "__identity" | "__tokenSalt">): string {
  return createToken("recovery:SpotRecoveryPolicy", inputs.__identity, inputs.__tokenSalt, { cloud: inputs.cloud, region: inputs.region });
}

const hookToken = (inputs: SpotRecoveryPolicyInputs, script: string) => createToken("recovery:GuestHook", inputs.__identity, inputs.__tokenSalt, { cloud: inputs.cloud, script });

/** The policy tag value the inputs record. */
const encodedFor = (inputs: SpotRecoveryPolicyInputs, hookCommandId?: string) => encodePolicy(recordedPolicy(inputs, hookCommandId));

/** The tags this resource wrote that are on the instance now (policy and owner). */
function ourTags(inst: PolicyInstance, token: string, o: { inLine: boolean }): Record<string, string> {
  const owner = inst.tags[TAGS.policyOwner];
  // Ours: tagged with our token; or, on a replacement of our line, copied there by the controller (it
  // carries the policy, never the owner tag).
  const mine = owner === token || (owner === undefined && o.inLine);
  if (!mine) return {};
  return Object.fromEntries([TAGS.policy, TAGS.policyOwner].filter((k) => inst.tags[k] !== undefined).map((k) => [k, inst.tags[k]]));
}

function outputsFor(inputs: Record<string, any>, inst: PolicyInstance, extra: Partial<SpotRecoveryPolicyOutputs>): Props {
  return plain({
    ...inputs,
    ...extra,
    attachedInstanceId: inst.instanceId,
    instanceStatus: inst.status,
    origin: originOf(inst.instanceId, inst.tags),
    recordedPolicy: inst.tags[TAGS.policy],
  });
}

export const spotRecoveryPolicyHandler: ResourceHandler<SpotRecoveryPolicyInputs, SpotRecoveryPolicyOutputs> = {
  async check(olds, news) {
    const res = checkResource(spotRecoveryPolicySchema, olds, news, { salted: true });
    // The policy's messages name SpotInstance's `recovery.` inputs; here they are top-level inputs.
    return { ...res, failures: res.failures?.map((f) => ({ ...f, reason: f.reason.replace(/\brecovery\./g, "") })) };
  },

  async diff(id, olds, news, ctx) {
    // A replacement writes its tags after the old policy removed its own (one policy tag per instance).
    const d = diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: ["cloud", "region"], deleteBeforeReplace: true });
    let changed = INPUT_KEYS.filter((k) => !k.startsWith("__") && !(d.stables ?? []).includes(k));
    let replaces = d.replaces ?? [];
    if (changed.includes("instanceId") && !replaces.length) {
      const attached = olds.attachedInstanceId ?? id;
      if (news.instanceId === attached) {
        // The program now names the instance the policy already follows (the replacement was imported).
        changed = changed.filter((k) => k !== "instanceId");
      } else if (news.instanceId !== UNKNOWN) {
        // Unknown during preview (the other resource is being updated): decided at `up` with the known id.
        const inst = await targetFor(news, ctx).instance(news.instanceId);
        const sameLine = inst !== undefined && [olds.instanceId, olds.origin, attached].includes(originOf(inst.instanceId, inst.tags));
        if (!sameLine) replaces = ["instanceId"];
      }
    }
    // Drift: the tag on the instance is not what the inputs record (removed, or edited by hand).
    const known = !JSON.stringify(pickInputs(news, POLICY_KEYS)).includes(UNKNOWN);
    if (known && !changed.some((k) => POLICY_KEYS.includes(k))) {
      const parsed = spotRecoveryPolicySchema.safeParse(pickInputs(news, INPUT_KEYS));
      if (parsed.success && olds.recordedPolicy !== encodedFor(parsed.data, olds.hookCommandId)) changed = [...changed, "recordedPolicy"];
    }
    return { changes: changed.length > 0 || replaces.length > 0, replaces, stables: INPUT_KEYS.filter((k) => !changed.includes(k) && !replaces.includes(k)), deleteBeforeReplace: replaces.length > 0 };
  },

  async create(props, ctx) {
    const inputs = spotRecoveryPolicySchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    let target: PolicyTarget | undefined;
    let hookCommandId: string | undefined;
    try {
      target = targetFor(inputs, ctx);
      const token = ownerToken(inputs);
      const inst = await target.instance(inputs.instanceId);
      if (!inst) throw new Error(`instanceId ${inputs.instanceId}: no such instance in ${inputs.cloud} region ${target.region}; check the id and the region (stack config ${inputs.cloud}:region, or the region input)`);
      const owner = inst.tags[TAGS.policyOwner];
      if (inst.tags[TAGS.policy] !== undefined && owner !== token) {
        throw new Error(
          `${inputs.instanceId} already carries a recovery policy (tag ${TAGS.policy}) ${owner ? "written by another SpotRecoveryPolicy" : "that no SpotRecoveryPolicy wrote (a SpotInstance manages it, or it was set by hand)"}: an instance takes one policy — delete the other, or remove the tag`,
        );
      }
      const mine = ourTags(inst, token, { inLine: false });
      const adding = [TAGS.policy, TAGS.policyOwner].filter((k) => inst.tags[k] === undefined).length;
      if (Object.keys(inst.tags).length + adding > target.tagLimit) {
        throw new Error(`${inputs.instanceId} has ${Object.keys(inst.tags).length} tags; the policy needs ${adding} more and a ${inputs.cloud} resource holds ${target.tagLimit}: remove ${Object.keys(inst.tags).length + adding - target.tagLimit} of its tags`);
      }
      if (inputs.guestHook) hookCommandId = await target.ensureHook({ name: `pulumi-recovery-hook-${inputs.instanceId}`.slice(0, 64), script: inputs.guestHook.command, timeoutSeconds: inputs.guestHook.timeoutSeconds, token: hookToken(inputs, inputs.guestHook.command) });
      await target.syncTags(inputs.instanceId, mine, { [TAGS.policy]: encodedFor(inputs, hookCommandId), [TAGS.policyOwner]: token });
      const after = (await target.instance(inputs.instanceId)) ?? inst;
      return { id: after.instanceId, outs: outputsFor({ ...props, ...inputs }, after, { hookCommandId }) };
    } catch (err) {
      // Nothing left behind: the hook's command goes again when the tags could not be written.
      if (target && hookCommandId) await target.deleteHook(hookCommandId).catch(() => undefined);
      throw describeFailure(name, err);
    }
  },

  async read(id, props, ctx) {
    try {
      const target = targetFor(props, ctx);
      const attached = props.attachedInstanceId ?? id;
      const own = await target.instance(attached);
      // Released and relaunched by the recovery controller: the policy follows to the replacement.
      const inst = own ?? (await target.successor(attached, props.origin ?? attached));
      // Released with no recovery (or deleted by hand): the policy is gone with it. Refresh drops it.
      if (!inst) return { id: "", props: {} as Props };
      return { id: inst.instanceId, props: outputsFor(props, inst, own ? {} : { recoveredFrom: attached }) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = spotRecoveryPolicySchema.parse(pickInputs(news, INPUT_KEYS));
    try {
      const target = targetFor(inputs, ctx);
      const attached = inputs.instanceId !== olds.instanceId ? inputs.instanceId : (olds.attachedInstanceId ?? id);
      const inst = await target.instance(attached);
      if (!inst) throw new Error(`the instance ${attached} is gone: run \`pulumi refresh\` (it follows a recovery to the replacement, or drops the policy)`);
      // The guest hook's saved command: made, changed in place, or deleted with the policy.
      let hookCommandId = olds.hookCommandId;
      const oldHook = olds.guestHook;
      const newHook = inputs.guestHook;
      if (newHook && hookCommandId && (oldHook?.command !== newHook.command || oldHook?.timeoutSeconds !== newHook.timeoutSeconds)) await target.updateHook(hookCommandId, newHook.command, newHook.timeoutSeconds);
      if (newHook && !hookCommandId) hookCommandId = await target.ensureHook({ name: `pulumi-recovery-hook-${inputs.instanceId}`.slice(0, 64), script: newHook.command, timeoutSeconds: newHook.timeoutSeconds, token: hookToken(inputs, newHook.command) });
      const token = ownerToken(inputs);
      const mine = ourTags(inst, ownerToken(olds as SpotRecoveryPolicyInputs), { inLine: attached !== olds.instanceId });
      await target.syncTags(attached, mine, { [TAGS.policy]: encodedFor(inputs, hookCommandId), [TAGS.policyOwner]: token });
      if (!newHook && hookCommandId) {
        await target.deleteHook(hookCommandId);
        hookCommandId = undefined;
      }
      const after = (await target.instance(attached)) ?? inst;
      return { outs: outputsFor({ ...news, ...inputs }, after, { hookCommandId, recoveredFrom: olds.recoveredFrom }) };
    } catch (err) {
      throw describeFailure(label(inputs, id), err);
    }
  },

  async delete(id, props, ctx) {
    try {
      const target = targetFor(props, ctx);
      const attached = props.attachedInstanceId ?? id;
      const inst = await target.instance(attached);
      // Only what this resource wrote: a policy another resource wrote since stays.
      if (inst) {
        const mine = ourTags(inst, ownerToken(props), { inLine: attached !== props.instanceId && originOf(inst.instanceId, inst.tags) === (props.origin ?? props.instanceId) });
        if (Object.keys(mine).length) await target.syncTags(attached, mine, {});
      }
      if (props.hookCommandId) await target.deleteHook(props.hookCommandId);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
