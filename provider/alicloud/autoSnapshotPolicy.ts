// AlicloudAutoSnapshotPolicy: ECS's native automatic snapshot policy (crash-consistent), created under the
// one create-token rule (CreateAutoSnapshotPolicy has no ClientToken in its model: the token is a tag, and a
// retried create finds it with DescribeAutoSnapshotPolicyEx Tag.N), applied to disks, changed in place
// (ModifyAutoSnapshotPolicyEx; Apply / Cancel for the disks), deleted with DeleteAutoSnapshotPolicy.
import { z } from "zod";
import { alicloudConnection } from "../config";
import { checkResource, timeoutsSchema } from "../core/check";
import { describeFailure, orUndefined } from "../core/errors";
import { diffInputs, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG } from "../core/tokens";
import {
  applyAutoSnapshotPolicy,
  cancelAutoSnapshotPolicy,
  createAutoSnapshotPolicy,
  deleteAutoSnapshotPolicy,
  disksWithPolicy,
  findAutoSnapshotPolicy,
  listAutoSnapshotPoliciesByTag,
  modifyAutoSnapshotPolicy,
  numbers,
  type AutoSnapshotPolicy,
} from "./autoSnapshotPolicies";
import { AlicloudClient } from "./client";
import type { AlicloudAutoSnapshotPolicyOutputs } from "./resources";

const KIND = "alicloud:AutoSnapshotPolicy";

/** A list of distinct whole numbers within [min, max], 1..maxItems of them, with a message naming the bad one. */
const hours = (field: string, min: number, max: number, maxItems: number, what: string) =>
  z
    .array(z.number().int(`${field} are whole numbers: ${what}`).min(min, `${field} take ${what}`).max(max, `${field} take ${what}`), { message: `${field} is a list of ${what}` })
    .min(1, `${field} needs at least one value (${what})`)
    .max(maxItems, `${field} takes at most ${maxItems} values`)
    .refine((xs) => new Set(xs).size === xs.length, `${field} must not repeat a value`);

export const autoSnapshotPolicySchema = z
  .object({
    // CreateAutoSnapshotPolicyRequest.autoSnapshotPolicyName: 2-128, starting with a letter, not http(s)://.
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._:-]{1,127}$/, "name is 2-128 characters, starts with a letter, and takes only letters, digits, '.', '_', '-' and ':'")
      .optional(),
    // timePoints: hours 0-23 in UTC+8, up to 24 (CreateAutoSnapshotPolicyRequest.timePoints).
    timePoints: hours("timePoints", 0, 23, 24, "hours 0-23 (UTC+8), e.g. [2] for 02:00 Beijing time"),
    // repeatWeekdays: 1-7, 1 = Monday, up to 7 (CreateAutoSnapshotPolicyRequest.repeatWeekdays).
    repeatWeekdays: hours("repeatWeekdays", 1, 7, 7, "days 1-7 (1 = Monday, 7 = Sunday)"),
    // retentionDays: -1 (forever) or 1-65535 (CreateAutoSnapshotPolicyRequest.retentionDays).
    retentionDays: z
      .number({ message: "retentionDays is required: days to keep each snapshot, 1-65535, or -1 to keep them" })
      .int("retentionDays is a whole number of days")
      .refine((d) => d === -1 || (d >= 1 && d <= 65535), "retentionDays is 1-65535 days, or -1 to keep the snapshots until deleted"),
    // ApplyAutoSnapshotPolicyRequest.diskIds: a JSON array of disk ids (100 in one call is our bound).
    diskIds: z.array(z.string().regex(/^d-[\w-]+$/, 'diskIds must be disk ids such as "d-abc123"')).max(100, "diskIds takes at most 100 disks").optional(),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-hangzhou"').optional(),
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.diskIds && new Set(v.diskIds).size < v.diskIds.length) ctx.addIssue({ code: "custom", path: ["diskIds"], message: "diskIds must not repeat a disk" });
  });

type Inputs = z.infer<typeof autoSnapshotPolicySchema>;
type Props = Outs<Inputs, AlicloudAutoSnapshotPolicyOutputs>;
const INPUT_KEYS = Object.keys(autoSnapshotPolicySchema.shape);

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));
const label = (p: { name?: string }, id?: string) => `AlicloudAutoSnapshotPolicy ${p.name ?? id ?? ""}`.trim();
const schedule = (i: Inputs) => ({ name: i.name, timePoints: [...i.timePoints].sort((a, b) => a - b), repeatWeekdays: [...i.repeatWeekdays].sort((a, b) => a - b), retentionDays: i.retentionDays });

function outputsFor(props: object, p: AutoSnapshotPolicy, disks: string[]): Props {
  return plain({ ...props, autoSnapshotPolicyId: p.AutoSnapshotPolicyId, status: p.Status ?? "", appliedDiskIds: disks, creationTime: p.CreationTime });
}

export const autoSnapshotPolicyHandler: ResourceHandler<Inputs, AlicloudAutoSnapshotPolicyOutputs> = {
  async check(olds, news) {
    return checkResource(autoSnapshotPolicySchema, olds, news, { salted: true });
  },

  async diff(_id, olds, news) {
    // Lists compare as sets: [2, 14] and [14, 2] are one schedule.
    const norm = (p: Record<string, any>) => ({ ...p, timePoints: sorted(p.timePoints), repeatWeekdays: sorted(p.repeatWeekdays), diskIds: sorted(p.diskIds) });
    return diffInputs(norm(olds), norm(news), { inputKeys: INPUT_KEYS, replaceKeys: ["region"] });
  },

  async create(props, ctx) {
    const inputs = autoSnapshotPolicySchema.parse(pickInputs(props, INPUT_KEYS));
    const name = label(inputs);
    const client = clientFor(inputs, ctx);
    const { timeouts, diskIds, ...shaping } = inputs;
    void timeouts;
    const token = createToken(KIND, inputs.__identity, inputs.__tokenSalt, shaping);
    let id: string;
    try {
      id = (
        await findOrCreate({
          what: "automatic snapshot policy",
          token,
          retry: client.retry,
          find: async () => (await listAutoSnapshotPoliciesByTag(client, TOKEN_TAG, token)).map((p) => ({ id: p.AutoSnapshotPolicyId, createdAt: p.CreationTime })),
          create: () => createAutoSnapshotPolicy(client, schedule(inputs), { [TOKEN_TAG]: token }),
          discard: (dup) => deleteAutoSnapshotPolicy(client, dup),
        })
      ).value;
    } catch (err) {
      throw describeFailure(name, err);
    }
    try {
      await applyAutoSnapshotPolicy(client, id, diskIds ?? []);
      return { id, outs: outputsFor({ ...props, ...inputs }, await findAutoSnapshotPolicy(client, id), await disksWithPolicy(client, id)) };
    } catch (err) {
      // A create that fails must leave nothing behind: the policy goes again.
      const why = describeFailure(name, err).message;
      await deleteAutoSnapshotPolicy(client, id).catch(() => undefined);
      throw new Error(`${why} The policy ${id} it made was deleted: nothing is left behind.`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const p = await orUndefined(findAutoSnapshotPolicy(client, id));
      if (!p) return { id: "", props: {} as Props };
      const disks = await disksWithPolicy(client, id);
      // What the cloud holds, so a refresh shows drift made in the console.
      const seen = { timePoints: numbers(p.TimePoints), repeatWeekdays: numbers(p.RepeatWeekdays), retentionDays: p.RetentionDays ?? props.retentionDays, name: p.AutoSnapshotPolicyName || props.name };
      return { id, props: outputsFor({ ...props, ...seen, ...(props.diskIds !== undefined ? { diskIds: disks } : {}) }, p, disks) };
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = autoSnapshotPolicySchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      const changed = (k: keyof Inputs) => JSON.stringify(sorted(olds[k] as any)) !== JSON.stringify(sorted(inputs[k] as any));
      if (changed("timePoints") || changed("repeatWeekdays") || changed("retentionDays") || changed("name")) await modifyAutoSnapshotPolicy(client, id, schedule(inputs));
      const before = await disksWithPolicy(client, id);
      const want = inputs.diskIds ?? [];
      await cancelAutoSnapshotPolicy(client, id, before.filter((d) => !want.includes(d)));
      await applyAutoSnapshotPolicy(client, id, want.filter((d) => !before.includes(d)));
      return { outs: outputsFor({ ...olds, ...news, ...inputs }, await findAutoSnapshotPolicy(client, id), await disksWithPolicy(client, id)) };
    } catch (err) {
      throw describeFailure(label(inputs, id), err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      // The disks lose the policy with it; the snapshots it took stay until their retention ends.
      await deleteAutoSnapshotPolicy(client, id);
    } catch (err) {
      throw describeFailure(label(props, id), err);
    }
  },
};

function sorted<T>(v: T): T {
  return Array.isArray(v) ? ([...v].sort() as T) : v;
}
