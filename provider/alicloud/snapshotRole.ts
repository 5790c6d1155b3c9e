// SnapshotRole: the RAM role an instance needs for application-consistent snapshots — a role ECS can
// assume, a least-privilege snapshot policy attached to it, and the role attached to the instances.
// Delete undoes all of it, in reverse order.
import { z } from "zod";
import { alicloudConnection } from "../config";
import { checkInputs } from "../core/check";
import { CloudError, describeFailure, isTransient } from "../core/errors";
import { diffInputs, partialResource, type HandlerContext, type ResourceHandler, pickInputs } from "../core/handler";
import { canonical } from "../core/json";
import { plain } from "../core/outputs";
import { MayExistError } from "../core/tokens";
import { AlicloudClient } from "./client";

/** What the app-snapshot plugin does with the instance's role, and nothing more. */
export const SNAPSHOT_POLICY = {
  Version: "1",
  Statement: [{ Effect: "Allow", Action: ["ecs:DescribeSnapshot*", "ecs:CreateSnapshot*", "ecs:TagResources", "ecs:DescribeDisks"], Resource: ["*"] }],
};

export const ECS_TRUST_POLICY = {
  Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: ["ecs.aliyuncs.com"] } }],
  Version: "1",
};

const NAME = /^[A-Za-z0-9.-]{1,64}$/;

export const snapshotRoleSchema = z
  .object({
    roleName: z.string({ message: "roleName is required (1-64 letters, digits, '.' or '-')" }).regex(NAME, "roleName takes 1-64 letters, digits, '.' or '-'"),
    policyName: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, "policyName takes 1-128 letters, digits or '-'").optional(),
    description: z.string().max(1024, "description is at most 1024 characters").optional(),
    instanceIds: z.array(z.string().regex(/^i-[\w-]+$/, 'instanceIds must be instance ids such as "i-abc123"')).max(100, "instanceIds takes at most 100 instances").default([]),
    region: z.string().min(1).optional(),
  })
  .strict();

type Inputs = z.infer<typeof snapshotRoleSchema>;
const INPUT_KEYS = Object.keys(snapshotRoleSchema.shape);

const clientFor = (inputs: Record<string, any>, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));
const policyNameOf = (i: Inputs) => i.policyName ?? `${i.roleName}-snapshot`.slice(0, 128).replace(/\./g, "-");

async function attachInstances(client: AlicloudClient, roleName: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const res = await client.call("ecs", "AttachInstanceRamRole", { RamRoleName: roleName, InstanceIds: JSON.stringify(ids) }, { safe: true });
  const failed = (res.AttachInstanceRamRoleResults?.AttachInstanceRamRoleResult ?? []).filter((r: any) => !r.Success);
  if (failed.length) {
    throw new CloudError({ cloud: "alicloud", action: "AttachInstanceRamRole", code: failed[0].Code, message: failed.map((f: any) => `${f.InstanceId}: ${f.Code} ${f.Message}`).join("; "), requestId: res.RequestId });
  }
}

async function detachInstances(client: AlicloudClient, roleName: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await client.call("ecs", "DetachInstanceRamRole", { RamRoleName: roleName, InstanceIds: JSON.stringify(ids) }, { safe: true });
}

/** Runs `fn`, taking "already gone" as done (deletes are idempotent that way). */
async function ignoreMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CloudError && /^EntityNotExist/.test(e.code)) return;
    throw e;
  }
}

const sameDocument = (text: string | undefined, doc: object) => {
  try {
    return JSON.stringify(canonical(JSON.parse(text ?? ""))) === JSON.stringify(canonical(doc));
  } catch {
    return false;
  }
};

/** The answer, or undefined when RAM says the entity does not exist. */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof CloudError && /^EntityNotExist/.test(e.code)) return undefined;
    throw e;
  }
}

/**
 * A RAM write without a ClientToken (CreateRole, CreatePolicy, AttachPolicyToRole): a lost answer may hide
 * a success, and a blind repeat would then answer "already exists". So it is retried through the
 * connection's strategy (one level: the call itself is not retried by the client), and before each retry —
 * and once more when the last try failed that way — `done` looks whether an earlier try took effect. Looked
 * at first too: what existed before this create is not taken for its own work (the write runs, and RAM's
 * "already exists" answer stands).
 */
async function writeOnce(client: AlicloudClient, what: string, call: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> {
  if (await done()) {
    await call();
    return;
  }
  try {
    await client.retry.run(
      async (attempt) => {
        if (attempt > 1 && (await done())) return;
        await call();
      },
      { label: what, safe: true },
    );
  } catch (err) {
    if (!isTransient(err)) throw err;
    if (await done().catch(() => false)) return;
    throw new MayExistError(what, err);
  }
}

/** Undoes a role: its instances, its policy (undefined: one this create did not make, left alone), the role. */
async function removeAll(client: AlicloudClient, roleName: string, policyName: string | undefined, instanceIds: string[]): Promise<void> {
  const attached = await attachedInstances(client, roleName, instanceIds);
  await detachInstances(client, roleName, attached);
  if (policyName !== undefined) {
    await ignoreMissing(() => client.call("ram", "DetachPolicyFromRole", { PolicyType: "Custom", PolicyName: policyName, RoleName: roleName }, { safe: true }));
    await ignoreMissing(() => client.call("ram", "DeletePolicy", { PolicyName: policyName }, { safe: true }));
  }
  await ignoreMissing(() => client.call("ram", "DeleteRole", { RoleName: roleName }, { safe: true }));
}

async function attachedInstances(client: AlicloudClient, roleName: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const res = await client.call("ecs", "DescribeInstanceRamRole", { InstanceIds: JSON.stringify(ids), RamRoleName: roleName });
  return (res.InstanceRamRoleSets?.InstanceRamRoleSet ?? []).filter((s: any) => s.RamRoleName === roleName).map((s: any) => s.InstanceId);
}

async function outputs(client: AlicloudClient, inputs: Record<string, any>, roleName: string) {
  const role = (await client.call("ram", "GetRole", { RoleName: roleName })).Role;
  const policies = (await client.call("ram", "ListPoliciesForRole", { RoleName: roleName })).Policies?.Policy ?? [];
  return plain({
    ...inputs,
    roleArn: role.Arn,
    roleId: role.RoleId,
    policyName: policyNameOf(inputs as Inputs),
    attachedPolicies: policies.map((p: any) => p.PolicyName),
    attachedInstanceIds: await attachedInstances(client, roleName, inputs.instanceIds ?? []),
  });
}

export const snapshotRoleHandler: ResourceHandler = {
  async check(_olds, news) {
    const { inputs, failures } = checkInputs(snapshotRoleSchema, news);
    // The default policy name is an input like any other, so diffs compare it as such.
    if (failures.length === 0 && typeof inputs.roleName === "string" && inputs.policyName === undefined) inputs.policyName = policyNameOf(inputs as Inputs);
    return { inputs: { ...inputs, __provider: news.__provider }, failures };
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: ["roleName", "policyName", "description", "region"] });
  },

  async create(props, ctx) {
    const inputs = snapshotRoleSchema.parse(pickInputs(props, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    const policyName = policyNameOf(inputs);
    const label = `SnapshotRole ${inputs.roleName}`;
    const role = () => unlessMissing(client.call("ram", "GetRole", { RoleName: inputs.roleName }).then((r) => r.Role));
    try {
      await writeOnce(
        client,
        `RAM role ${inputs.roleName}`,
        () => client.call("ram", "CreateRole", { RoleName: inputs.roleName, AssumeRolePolicyDocument: JSON.stringify(ECS_TRUST_POLICY), Description: inputs.description }, { safe: false }),
        async () => sameDocument((await role())?.AssumeRolePolicyDocument, ECS_TRUST_POLICY),
      );
    } catch (err) {
      throw describeFailure(label, err);
    }
    let madePolicy = false;
    try {
      await writeOnce(
        client,
        `RAM policy ${policyName}`,
        () => client.call("ram", "CreatePolicy", { PolicyName: policyName, PolicyDocument: JSON.stringify(SNAPSHOT_POLICY), Description: `Snapshot permissions for ${inputs.roleName} (pulumi-recovery)` }, { safe: false }),
        async () => sameDocument((await unlessMissing(client.call("ram", "GetPolicy", { PolicyName: policyName, PolicyType: "Custom" })))?.DefaultPolicyVersion?.PolicyDocument, SNAPSHOT_POLICY),
      );
      madePolicy = true;
      await writeOnce(
        client,
        `attachment of ${policyName} to ${inputs.roleName}`,
        () => client.call("ram", "AttachPolicyToRole", { PolicyType: "Custom", PolicyName: policyName, RoleName: inputs.roleName }, { safe: false }),
        async () => ((await unlessMissing(client.call("ram", "ListPoliciesForRole", { RoleName: inputs.roleName })))?.Policies?.Policy ?? []).some((p: any) => p.PolicyName === policyName && p.PolicyType === "Custom"),
      );
      await attachInstances(client, inputs.roleName, inputs.instanceIds);
      return { id: inputs.roleName, outs: await outputs(client, { ...props, ...inputs }, inputs.roleName) };
    } catch (err) {
      // Nothing half-made is left: undo in reverse order; if even that fails, the engine keeps the role in
      // state (a partial resource) so the next `up` or `destroy` finishes the job.
      const why = describeFailure(label, err).message;
      try {
        await removeAll(client, inputs.roleName, madePolicy ? policyName : undefined, inputs.instanceIds);
      } catch (cleanupErr) {
        throw partialResource(inputs.roleName, plain({ ...props, ...inputs, policyName }), [why, `cleanup failed: ${describeFailure(label, cleanupErr).message}`]);
      }
      throw new Error(`${why} (the role and policy made first were deleted again: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      return { id, props: await outputs(client, props, id) };
    } catch (err) {
      if (err instanceof CloudError && err.code === "EntityNotExist.Role") return { id: "", props: {} };
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },

  async update(id, olds, news, ctx) {
    const inputs = snapshotRoleSchema.parse(pickInputs(news, INPUT_KEYS));
    const client = clientFor(inputs, ctx);
    try {
      const before: string[] = olds.instanceIds ?? [];
      await detachInstances(client, id, await attachedInstances(client, id, before.filter((i) => !inputs.instanceIds.includes(i))));
      await attachInstances(client, id, inputs.instanceIds.filter((i) => !before.includes(i)));
      return { outs: await outputs(client, { ...news, ...inputs }, id) };
    } catch (err) {
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      await removeAll(client, id, props.policyName ?? policyNameOf({ ...props, roleName: id } as Inputs), props.instanceIds ?? []);
    } catch (err) {
      throw describeFailure(`SnapshotRole ${id}`, err);
    }
  },
};

