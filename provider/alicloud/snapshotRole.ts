// SnapshotRole: the RAM role an instance needs for application-consistent snapshots — a role ECS can
// assume (created, or an existing one adopted), a least-privilege snapshot policy attached to it, and the
// role attached to the instances. Role and policy are made under the one create-token rule (core/tokens.ts):
// each carries the token as a tag, so a create retried after a crash adopts what its earlier attempt made,
// and a role or policy that exists without our token is never taken over — nor deleted by a rollback or a
// delete. Delete undoes what this resource made, in reverse order, through RAM's eventual consistency.
import { z } from "zod";
import { alicloudConnection, pollInterval } from "../config";
import { checkResource, timeoutsSchema } from "../core/check";
import { describeFailure, isNotFound, orUndefined } from "../core/errors";
import { diffInputs, pickInputs, type HandlerContext, type Outs, type ResourceHandler } from "../core/handler";
import { plain } from "../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG, type Made } from "../core/tokens";
import { parseDuration } from "../core/waiter";
import { AlicloudClient } from "./client";
import { attachInstanceRamRole, detachInstanceRamRole, listInstancesWithRole } from "./instanceRoles";
import { attachPolicyToRole, createPolicy, createRole, deletePolicy, deleteRole, detachPolicyFromRole, findPolicy, findRole, listPoliciesForRole, tagsOf, type ConsistencyWait } from "./ram";
import type { SnapshotRoleOutputs } from "./resources";

/** What the app-snapshot plugin does with the instance's role, and nothing more. */
export const SNAPSHOT_POLICY = {
  Version: "1",
  Statement: [{ Effect: "Allow", Action: ["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"], Resource: ["*"] }],
};

export const ECS_TRUST_POLICY = {
  Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }],
  Version: "1",
};

const ROLE_NAME = /^[A-Za-z0-9.-]{1,64}$/;

export const snapshotRoleSchema = z
  .object({
    roleName: z.string({ message: "roleName is required (1-64 letters, digits, '.' or '-')" }).regex(ROLE_NAME, "roleName takes 1-64 letters, digits, '.' or '-'"),
    adoptRoleName: z.string().regex(ROLE_NAME, "adoptRoleName takes 1-64 letters, digits, '.' or '-'").optional(),
    policyName: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, "policyName takes 1-128 letters, digits or '-'").optional(),
    description: z.string().max(1024, "description is at most 1024 characters").optional(),
    instanceIds: z.array(z.string().regex(/^i-[\w-]+$/, 'instanceIds must be instance ids such as "i-abc123"')).max(100, "instanceIds takes at most 100 instances").default([]),
    region: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, 'region must look like "cn-hangzhou"').optional(),
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
    __tokenSalt: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.adoptRoleName !== undefined && v.adoptRoleName !== v.roleName) ctx.addIssue({ code: "custom", path: ["adoptRoleName"], message: "adoptRoleName names the role to manage: leave roleName unset, or set it to the same name" });
    if (v.adoptRoleName !== undefined && v.description !== undefined) ctx.addIssue({ code: "custom", path: ["description"], message: "description applies to a role this resource creates; an adopted role keeps its own" });
  });

export type SnapshotRoleInputs = z.infer<typeof snapshotRoleSchema>;
type Props = Outs<SnapshotRoleInputs, SnapshotRoleOutputs>;
const INPUT_KEYS = Object.keys(snapshotRoleSchema.shape);
const REPLACE_KEYS = ["roleName", "adoptRoleName", "policyName", "description", "region"];
const KIND = "alicloud:SnapshotRole";
/** How long RAM may keep refusing a delete right after a detach, unless `timeouts.delete` says otherwise. */
const DEFAULT_DELETE_MS = 5 * 60_000;

const clientFor = (inputs: { region?: string }, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));
export const policyNameOf = (i: { roleName: string; policyName?: string }) => i.policyName ?? `${i.roleName}-snapshot`.slice(0, 128).replace(/\./g, "-");
const consistency = (i: { timeouts?: { delete?: string } }): ConsistencyWait => ({ timeoutMs: parseDuration(i.timeouts?.delete ?? "") ?? DEFAULT_DELETE_MS, interval: pollInterval() });

/** A role or policy of this name exists without our token: it is someone else's, never ours to take or delete. */
class NotOursError extends Error {
  constructor(kind: "role" | "policy", name: string) {
    super(
      kind === "role"
        ? `a RAM role named ${name} exists already and was not created by this resource: set adoptRoleName: "${name}" to manage it, or pick another roleName`
        : `a RAM policy named ${name} exists already and was not created by this resource: set policyName to another name (it is left as it is)`,
    );
    this.name = "NotOursError";
  }
}

/** Whether the trust policy lets ECS assume the role. */
function trustsEcs(doc: string): boolean {
  try {
    const statements = JSON.parse(doc).Statement ?? [];
    return statements.some((s: any) => s.Effect === "Allow" && [s.Action].flat().includes("sts:AssumeRole") && [s.Principal?.Service].flat().includes("ecs.aliyuncs.com"));
  } catch {
    return false;
  }
}

async function outputs(client: AlicloudClient, props: object, inputs: SnapshotRoleInputs, made: { roleCreated: boolean; policyCreated: boolean }): Promise<Props> {
  const role = await findRole(client, inputs.roleName);
  const policies = await listPoliciesForRole(client, inputs.roleName);
  return plain({
    ...props,
    ...inputs,
    roleArn: role.Arn,
    roleId: role.RoleId,
    policyName: policyNameOf(inputs),
    attachedPolicies: policies.map((p) => p.PolicyName),
    attachedInstanceIds: inputs.instanceIds.length ? await listInstancesWithRole(client, inputs.roleName, inputs.instanceIds) : [],
    ...made,
  });
}

/** What to undo, in reverse order of making. */
interface Undo {
  roleName: string;
  policyName: string;
  /** Instances to detach from the role (those of them that have it). */
  detach: string[] | "all";
  detachPolicy: boolean;
  deletePolicy: boolean;
  deleteRole: boolean;
}

async function undo(client: AlicloudClient, u: Undo, wait: ConsistencyWait): Promise<void> {
  const role = await orUndefined(findRole(client, u.roleName));
  if (role) {
    if (u.detach === "all" || u.detach.length) await detachInstanceRamRole(client, u.roleName, await listInstancesWithRole(client, u.roleName, u.detach === "all" ? undefined : u.detach));
    if (u.detachPolicy) await detachPolicyFromRole(client, u.policyName, u.roleName);
  }
  if (u.deletePolicy) await deletePolicy(client, u.policyName, wait);
  if (u.deleteRole && role) await deleteRole(client, u.roleName, wait);
}

export const snapshotRoleHandler: ResourceHandler<SnapshotRoleInputs, SnapshotRoleOutputs> = {
  async check(olds, news) {
    // A replacement gets a token salt derived from what it replaces, a first create none (core/tokens.ts).
    const res = checkResource(snapshotRoleSchema, olds, news, { salted: true });
    // The default policy name is an input like any other, so diffs compare it as such.
    const inputs = res.inputs as Record<string, unknown>;
    if (!res.failures?.length && typeof inputs.roleName === "string" && inputs.policyName === undefined) inputs.policyName = policyNameOf(inputs as SnapshotRoleInputs);
    return res;
  },

  async diff(_id, olds, news) {
    // Role names are unique in an account: a replacement (even `up --replace`) deletes the old role first.
    return { ...diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: REPLACE_KEYS }), deleteBeforeReplace: true };
  },

  async create(props, ctx) {
    const inputs = snapshotRoleSchema.parse(pickInputs(props, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    const policyName = policyNameOf(inputs);
    const name = `SnapshotRole ${inputs.roleName}`;
    // Instances change in place, so they do not shape the token.
    const token = createToken(KIND, inputs.__identity, inputs.__tokenSalt, { roleName: inputs.roleName, adoptRoleName: inputs.adoptRoleName, policyName, description: inputs.description, region: inputs.region });
    const made = { roleCreated: false, policyCreated: false };
    const did = { policyAttached: false, newlyAttached: [] as string[] };
    /** An earlier attempt of this create made it (our token), or it is not there; else it is someone else's. */
    const mine = async (kind: "role" | "policy", exists: () => Promise<unknown>, resourceName: string): Promise<Made[]> => {
      if (!(await orUndefined(exists()))) return [];
      if ((await tagsOf(client, kind, resourceName))[TOKEN_TAG] === token) return [{ id: resourceName }];
      throw new NotOursError(kind, resourceName);
    };
    try {
      if (inputs.adoptRoleName) {
        const role = await orUndefined(findRole(client, inputs.adoptRoleName));
        if (!role) throw new Error(`adoptRoleName ${inputs.adoptRoleName}: no such RAM role`);
        if (!trustsEcs(role.AssumeRolePolicyDocument)) throw new Error(`adoptRoleName ${inputs.adoptRoleName}: the role's trust policy does not let ecs.aliyuncs.com assume it, so no instance could use it`);
      } else {
        await findOrCreate({
          what: `RAM role ${inputs.roleName}`,
          token,
          retry: client.retry,
          find: () => mine("role", () => findRole(client, inputs.roleName), inputs.roleName),
          create: async () => (await createRole(client, { name: inputs.roleName, trustPolicy: ECS_TRUST_POLICY, description: inputs.description, tags: { [TOKEN_TAG]: token } })).RoleName,
        });
        made.roleCreated = true;
      }
      await findOrCreate({
        what: `RAM policy ${policyName}`,
        token,
        retry: client.retry,
        find: () => mine("policy", () => findPolicy(client, policyName), policyName),
        create: async () => (await createPolicy(client, { name: policyName, document: SNAPSHOT_POLICY, description: `Snapshot permissions for ${inputs.roleName} (pulumi-recovery)`, tags: { [TOKEN_TAG]: token } })).PolicyName,
      });
      made.policyCreated = true;
      did.policyAttached = true;
      await attachPolicyToRole(client, policyName, inputs.roleName);
      // An adopted role may be on some of these instances already: a rollback leaves those as they were.
      const had = inputs.instanceIds.length ? await listInstancesWithRole(client, inputs.roleName, inputs.instanceIds) : [];
      did.newlyAttached = inputs.instanceIds.filter((i) => !had.includes(i));
      await attachInstanceRamRole(client, inputs.roleName, did.newlyAttached);
      return { id: inputs.roleName, outs: await outputs(client, props, inputs, made) };
    } catch (err) {
      // Nothing half-made is left, and nothing this create did not make is touched.
      const u: Undo = { roleName: inputs.roleName, policyName, detach: did.newlyAttached, detachPolicy: did.policyAttached, deletePolicy: made.policyCreated, deleteRole: made.roleCreated };
      await undo(client, u, consistency(inputs)).catch(() => undefined);
      throw describeFailure(name, err);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const inputs = { ...props, roleName: id, instanceIds: props.instanceIds ?? [] } as SnapshotRoleInputs;
      return { id, props: await outputs(client, props, inputs, { roleCreated: props.roleCreated ?? true, policyCreated: props.policyCreated ?? true }) };
    } catch (err) {
      if (isNotFound(err)) return { id: "", props: {} as Props };
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = snapshotRoleSchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      const before: string[] = olds.instanceIds ?? [];
      const gone = before.filter((i) => !inputs.instanceIds.includes(i));
      if (gone.length) await detachInstanceRamRole(client, id, await listInstancesWithRole(client, id, gone));
      await attachInstanceRamRole(client, id, inputs.instanceIds.filter((i) => !before.includes(i)));
      return { outs: await outputs(client, news, inputs, { roleCreated: olds.roleCreated ?? true, policyCreated: olds.policyCreated ?? true }) };
    } catch (err) {
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      // State from 0.1.0 has no roleCreated/policyCreated: that release always created both. A role this
      // resource created goes with every instance it is on; an adopted one leaves only ours.
      const roleCreated = props.roleCreated ?? true;
      await undo(
        client,
        { roleName: id, policyName: props.policyName ?? policyNameOf({ roleName: id }), detach: roleCreated ? "all" : (props.instanceIds ?? []), detachPolicy: true, deletePolicy: props.policyCreated ?? true, deleteRole: roleCreated },
        consistency(props),
      );
    } catch (err) {
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },
};
