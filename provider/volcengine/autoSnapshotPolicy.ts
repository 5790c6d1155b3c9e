// AutoSnapshotPolicy: a storage_ebs automatic snapshot policy (when snapshots are taken, how long they are
// kept) and the volumes it is applied to. One native thing: the cloud takes and expires the snapshots; we
// declare the schedule and the volume set, and read both back for drift.
//
// - create: CreateAutoSnapshotPolicy (no ClientToken in the model: a token tag and a look first, the
//   core/tokens.ts rule), then ApplyAutoSnapshotPolicy to `volumeIds` and every volume of `instanceIds`.
// - update in place: ModifyAutoSnapshotPolicy (name, schedule, retention), Apply/Cancel the difference of
//   the volume sets, tags through storage_ebs CreateTags/DeleteTags with ResourceType "snapshotpolicy"
//   (as terraform-provider-volcengine tags policies). `projectName` and `region` replace it.
// - read: the schedule and the volumes still applied (drift is shown and undone by the next `up`).
// - delete: Cancel on the volumes it is applied to that we know of, then Delete. Snapshots it took stay.
import { z } from "zod";
import { volcengineConnection } from "../config";
import { checkResource } from "../core/check";
import { describeFailure, orUndefined } from "../core/errors";
import { diffInputs, partialResource, pickInputs, type HandlerContext, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import { userTags } from "../recovery/policy";
import { VolcengineClient } from "./client";
import type { AutoSnapshotPolicyOutputs } from "./resources";
import {
  createSnapshotPolicy,
  deleteSnapshotPolicy,
  findSnapshotPolicy,
  listSnapshotPoliciesByTag,
  scheduleOf,
  scheduleParams,
  setPolicyOnVolumes,
  syncPolicyTags,
  volumesById,
  type PolicySchedule,
  type SnapshotPolicy,
} from "./snapshotPolicies";
import { userTagsSchema } from "./spotInstance/schema";
import { TAG_LIMIT, tagMap } from "./tags";
import { volumesOf } from "./volumes";

/** Tags the policy keeps for itself: the create token. */
const RESERVED_POLICY_TAGS = 1;

// Ranges: terraform-provider-volcengine website/docs/r/ebs_auto_snapshot_policy.html.markdown
// (time_points 0-23, repeat_weekdays 1-7 with 1 = Monday, repeat_days 1-30, only one of the two,
// retention_days -1 or 1-65536).
const hours = z
  .array(z.number({ message: "timePoints are hours: whole numbers from 0 (00:00) to 23 (23:00), e.g. [1, 13]" }).int("timePoints are whole hours from 0 to 23").min(0, "timePoints are hours from 0 (00:00) to 23 (23:00): use 0 for midnight").max(23, "timePoints are hours from 0 (00:00) to 23 (23:00): 24 is 0 of the next day"), {
    message: "timePoints is required: the hours (0-23) at which snapshots are taken, e.g. [1, 13]",
  })
  .min(1, "timePoints needs at least one hour (0-23)")
  .max(24, "timePoints takes at most the 24 hours of a day")
  .refine((a) => new Set(a).size === a.length, "timePoints lists an hour twice: list each hour once");

export const autoSnapshotPolicySchema = z
  .object({
    name: z.string({ message: "name is required" }).min(1, "name must not be empty").max(128, "name takes at most 128 characters"),
    timePoints: hours,
    repeatWeekdays: z
      .array(z.number({ message: "repeatWeekdays are weekdays: whole numbers from 1 (Monday) to 7 (Sunday)" }).int("repeatWeekdays are whole numbers from 1 (Monday) to 7 (Sunday)").min(1, "repeatWeekdays are from 1 (Monday) to 7 (Sunday): use 7 for Sunday, not 0").max(7, "repeatWeekdays are from 1 (Monday) to 7 (Sunday)"))
      .min(1, "repeatWeekdays needs at least one weekday (1-7), or use repeatDays instead")
      .max(7, "repeatWeekdays takes at most the 7 days of a week")
      .refine((a) => new Set(a).size === a.length, "repeatWeekdays lists a day twice: list each day once")
      .optional(),
    repeatDays: z.number({ message: "repeatDays must be a whole number of days from 1 to 30" }).int("repeatDays must be a whole number of days from 1 to 30").min(1, "repeatDays is at least 1 (every day)").max(30, "repeatDays is at most 30: for rarer snapshots use repeatWeekdays").optional(),
    retentionDays: z
      .number({ message: "retentionDays is required: -1 (keep forever) or 1 to 65536 days" })
      .int("retentionDays must be a whole number of days: -1 (keep forever) or 1 to 65536")
      .refine((n) => n === -1 || (n >= 1 && n <= 65536), "retentionDays must be -1 (keep forever) or 1 to 65536 days"),
    volumeIds: z.array(z.string().regex(/^vol-[\w-]+$/, 'volumeIds must be volume ids such as "vol-abc123"')).max(500, "volumeIds takes at most 500 volumes").optional(),
    instanceIds: z.array(z.string().regex(/^i-[\w-]+$/, 'instanceIds must be instance ids such as "i-abc123"')).max(100, "instanceIds takes at most 100 instances").optional(),
    projectName: z.string().regex(/^[\w.-]{1,64}$/, "projectName takes 1-64 letters, digits, _ . -").optional(),
    tags: userTagsSchema(TAG_LIMIT - RESERVED_POLICY_TAGS).optional(),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-beijing"').optional(),
    // No `timeouts`: nothing here waits (the policy's calls take effect when they answer).
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (v.repeatWeekdays !== undefined && v.repeatDays !== undefined) issue("repeatDays", "set only one of repeatWeekdays (days of the week) and repeatDays (every N days): remove one");
    if (v.repeatWeekdays === undefined && v.repeatDays === undefined) issue("repeatWeekdays", "set repeatWeekdays (e.g. [1, 4]: Monday and Thursday) or repeatDays (e.g. 2: every other day)");
  });

export type AutoSnapshotPolicyInputs = z.infer<typeof autoSnapshotPolicySchema>;
type Props = AutoSnapshotPolicyInputs & AutoSnapshotPolicyOutputs;
const INPUT_KEYS = Object.keys(autoSnapshotPolicySchema.shape);
const REPLACE_KEYS = ["projectName", "region"];

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => VolcengineClient.for(volcengineConnection(ctx.config, inputs.region));
const label = (p: { name?: string }, id?: string) => `AutoSnapshotPolicy ${p.name ?? id ?? ""}`.trim();

const scheduleFrom = (i: AutoSnapshotPolicyInputs): PolicySchedule => ({
  timePoints: [...i.timePoints].sort((a, b) => a - b),
  ...(i.repeatDays !== undefined ? { repeatDays: i.repeatDays } : { repeatWeekdays: [...(i.repeatWeekdays ?? [])].sort((a, b) => a - b) }),
  retentionDays: i.retentionDays,
});

/** Every volume the inputs name: `volumeIds`, and each volume attached to one of `instanceIds` now. */
async function declaredVolumes(client: VolcengineClient, i: Pick<AutoSnapshotPolicyInputs, "volumeIds" | "instanceIds">): Promise<string[]> {
  const ofInstances = await instanceVolumes(client, i.instanceIds ?? []);
  return [...new Set([...(i.volumeIds ?? []), ...[...ofInstances.values()].flat()])];
}

/** Each instance's volume ids (storage_ebs DescribeVolumes InstanceId; none for an instance that is gone). */
async function instanceVolumes(client: VolcengineClient, instanceIds: string[]): Promise<Map<string, string[]>> {
  const lists = await Promise.all(instanceIds.map(async (id) => [id, (await volumesOf(client, id)).map((v) => v.VolumeId)] as const));
  return new Map(lists);
}

function outputsFor(inputs: Record<string, any>, policy: SnapshotPolicy, appliedVolumeIds: string[]): Props {
  const tags = userTags(tagMap(policy.Tags));
  return plain({
    ...inputs,
    tags: inputs.tags === undefined && Object.keys(tags).length === 0 ? undefined : tags,
    policyId: policy.AutoSnapshotPolicyId,
    status: policy.Status ?? "unknown",
    volumeCount: policy.VolumeNums ?? appliedVolumeIds.length,
    appliedVolumeIds: [...appliedVolumeIds].sort(),
    createdAt: policy.CreatedAt,
    updatedAt: policy.UpdatedAt,
  });
}

/** Makes the policy apply to exactly `want` among the volumes we manage (`known`): Apply the missing, Cancel the rest. */
async function converge(client: VolcengineClient, policyId: string, want: string[], known: string[]): Promise<string[]> {
  const volumes = await volumesById(client, [...want, ...known]);
  const exists = new Set(volumes.map((v) => v.VolumeId));
  const applied = new Set(volumes.filter((v) => v.AutoSnapshotPolicyId === policyId).map((v) => v.VolumeId));
  const missing = want.filter((v) => !exists.has(v));
  if (missing.length) throw new Error(`volumeIds: no such volume in region ${client.region}: ${missing.join(", ")} (check the ids and the region)`);
  const toApply = want.filter((v) => !applied.has(v));
  const toCancel = [...applied].filter((v) => !want.includes(v));
  if (toApply.length) await setPolicyOnVolumes(client, "ApplyAutoSnapshotPolicy", policyId, toApply);
  if (toCancel.length) await setPolicyOnVolumes(client, "CancelAutoSnapshotPolicy", policyId, toCancel);
  return want;
}

/** The volumes we manage that carry the policy now (declared ones, and ones applied before that still exist). */
async function appliedOf(client: VolcengineClient, policyId: string, candidates: string[]): Promise<string[]> {
  if (!candidates.length) return [];
  return (await volumesById(client, candidates)).filter((v) => v.AutoSnapshotPolicyId === policyId).map((v) => v.VolumeId);
}

export const autoSnapshotPolicyHandler: ResourceHandler<AutoSnapshotPolicyInputs, AutoSnapshotPolicyOutputs> = {
  async check(olds, news) {
    return checkResource(autoSnapshotPolicySchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS });
  },

  async create(props, ctx) {
    const inputs = autoSnapshotPolicySchema.parse(pickInputs(props, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    const name = label(inputs);
    const token = createToken("volcengine:AutoSnapshotPolicy", inputs.__identity, inputs.__tokenSalt, { projectName: inputs.projectName });
    let policyId: string | undefined;
    try {
      const want = await declaredVolumes(client, inputs);
      ({ value: policyId } = await findOrCreate({
        what: `auto snapshot policy ${inputs.name}`,
        token,
        retry: client.retry,
        find: async () => (await listSnapshotPoliciesByTag(client, TOKEN_TAG, [token])).map((p) => ({ id: p.AutoSnapshotPolicyId, createdAt: p.CreatedAt })),
        discard: (id) => deleteSnapshotPolicy(client, id),
        create: () => createSnapshotPolicy(client, { name: inputs.name, projectName: inputs.projectName, schedule: scheduleFrom(inputs), tags: { ...(inputs.tags ?? {}), [TOKEN_TAG]: token } }),
      }));
      // A create retried after a crash may find the policy with an older schedule: make it the declared one.
      const found = await findSnapshotPolicy(client, policyId);
      const s = scheduleOf(found);
      const declared = scheduleFrom(inputs);
      if (found.AutoSnapshotPolicyName !== inputs.name || JSON.stringify(s) !== JSON.stringify(declared)) {
        await client.ebs("ModifyAutoSnapshotPolicy", { AutoSnapshotPolicyId: policyId, AutoSnapshotPolicyName: inputs.name, ...scheduleParams(declared) }, { safe: true });
      }
      const applied = await converge(client, policyId, want, []);
      return { id: policyId, outs: outputsFor({ ...props, ...inputs }, await findSnapshotPolicy(client, policyId), applied) };
    } catch (err) {
      const why = describeFailure(name, err).message;
      if (!policyId) throw new Error(why);
      try {
        const applied = await appliedOf(client, policyId, await declaredVolumes(client, inputs).catch(() => inputs.volumeIds ?? []));
        if (applied.length) await setPolicyOnVolumes(client, "CancelAutoSnapshotPolicy", policyId, applied);
        await deleteSnapshotPolicy(client, policyId);
      } catch (cleanupErr) {
        throw partialResource(policyId, plain({ ...props, ...inputs, policyId, status: "unknown", volumeCount: 0, appliedVolumeIds: [] }), [why, `cleanup failed: ${describeFailure(name, cleanupErr).message}`]);
      }
      throw new Error(`${why} (the policy it made was deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const policy = await orUndefined(findSnapshotPolicy(client, id));
      if (!policy) return { id: "", props: {} as Props };
      // The volumes we manage: those declared (instances' volumes as they are now) and those applied before.
      const byInstance = await instanceVolumes(client, props.instanceIds ?? []);
      const declaredNow = [...(props.volumeIds ?? []), ...[...byInstance.values()].flat()];
      const applied = await appliedOf(client, id, [...declaredNow, ...(props.appliedVolumeIds ?? [])]);
      const s = scheduleOf(policy);
      // Drift shows as changed inputs, so the next `up` puts them back: a volume declared but no longer
      // applied drops out of volumeIds; an instance with a volume left out drops out of instanceIds.
      const volumeIds = props.volumeIds?.filter((v) => applied.includes(v));
      const instanceIds: string[] | undefined = props.instanceIds === undefined ? undefined : [];
      for (const [inst, vols] of byInstance) if (vols.length && vols.every((v) => applied.includes(v))) instanceIds!.push(inst);
      const drifted = {
        name: policy.AutoSnapshotPolicyName,
        timePoints: s.timePoints,
        repeatWeekdays: s.repeatWeekdays,
        repeatDays: s.repeatDays,
        retentionDays: s.retentionDays,
        ...(props.volumeIds !== undefined ? { volumeIds } : {}),
        ...(props.instanceIds !== undefined ? { instanceIds } : {}),
      };
      // Inputs given in another order than the cloud reports them are no drift.
      const same = (a?: number[], b?: number[]) => JSON.stringify([...(a ?? [])].sort((x, y) => x - y)) === JSON.stringify([...(b ?? [])].sort((x, y) => x - y));
      if (same(props.timePoints, drifted.timePoints)) drifted.timePoints = props.timePoints;
      if (props.repeatWeekdays && same(props.repeatWeekdays, drifted.repeatWeekdays)) drifted.repeatWeekdays = props.repeatWeekdays;
      return { id, props: outputsFor({ ...props, ...drifted }, policy, applied) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = autoSnapshotPolicySchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      const current = await findSnapshotPolicy(client, id);
      const was = scheduleOf(current);
      const want = scheduleFrom(inputs);
      const change: Record<string, unknown> = {};
      if (current.AutoSnapshotPolicyName !== inputs.name) change.AutoSnapshotPolicyName = inputs.name;
      if (JSON.stringify(was.timePoints) !== JSON.stringify(want.timePoints)) change.TimePoints = want.timePoints.map(String);
      if (JSON.stringify(was.repeatWeekdays) !== JSON.stringify(want.repeatWeekdays) || was.repeatDays !== want.repeatDays) Object.assign(change, want.repeatDays !== undefined ? { RepeatDays: want.repeatDays } : { RepeatWeekdays: want.repeatWeekdays!.map(String) });
      if (was.retentionDays !== want.retentionDays) change.RetentionDays = want.retentionDays;
      if (Object.keys(change).length) await client.ebs("ModifyAutoSnapshotPolicy", { AutoSnapshotPolicyId: id, ...change }, { safe: true });
      const applied = await converge(client, id, await declaredVolumes(client, inputs), olds.appliedVolumeIds ?? []);
      await syncPolicyTags(client, id, olds.tags ?? {}, inputs.tags ?? {});
      return { outs: outputsFor({ ...olds, ...news, ...inputs }, await findSnapshotPolicy(client, id), applied) };
    } catch (err) {
      throw describeFailure(label(inputs, id), err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const policy = await orUndefined(findSnapshotPolicy(client, id));
      if (!policy) return;
      const declaredNow = await declaredVolumes(client, props).catch(() => props.volumeIds ?? []);
      const applied = await appliedOf(client, id, [...declaredNow, ...(props.appliedVolumeIds ?? [])]);
      if (applied.length) await setPolicyOnVolumes(client, "CancelAutoSnapshotPolicy", id, applied);
      await deleteSnapshotPolicy(client, id);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};
