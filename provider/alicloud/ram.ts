// Finders and lifecycle calls for RAM 2015-05-01 roles and custom policies, with their tags (which carry
// create tokens) and RAM's eventual consistency: right after DetachPolicyFromRole, DeleteRole and
// DeletePolicy can still fail with DeleteConflict.* — retried for a bounded time on the waiter, as
// terraform-provider-alicloud retries them (resource_alicloud_ram_role.go / _ram_policy.go: every
// DeleteConflict code, for the delete timeout, waits growing from 3 s).
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, WaitError } from "../core/errors";
import { waitUntil, type PollInterval } from "../core/waiter";
import type { AlicloudClient } from "./client";

/** GetRole `Role`. */
export interface Role {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Description?: string;
  AssumeRolePolicyDocument: string;
}

/** GetPolicy `Policy`. */
export interface Policy {
  PolicyName: string;
  PolicyType: string;
  Description?: string;
}

const notFound = (err: unknown) => err instanceof CloudError && /^EntityNotExist/.test(err.code);

export async function findRole(client: AlicloudClient, name: string): Promise<Role> {
  try {
    return (await client.call<{ Role: Role }>("ram", "GetRole", { RoleName: name })).Role;
  } catch (err) {
    if (notFound(err)) throw new NotFoundError("RAM role", name);
    throw err;
  }
}

export async function findPolicy(client: AlicloudClient, name: string): Promise<Policy> {
  try {
    return (await client.call<{ Policy: Policy }>("ram", "GetPolicy", { PolicyName: name, PolicyType: "Custom" })).Policy;
  } catch (err) {
    if (notFound(err)) throw new NotFoundError("RAM policy", name);
    throw err;
  }
}

/** The tags of a role or policy (ListTagResources). */
export async function tagsOf(client: AlicloudClient, type: "role" | "policy", name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ TagResources?: { ResourceName: string; TagKey: string; TagValue: string }[]; NextToken?: string }>("ram", "ListTagResources", {
      ResourceType: type,
      ResourceNames: JSON.stringify([name]),
      NextToken: nextToken,
    });
    for (const t of res.TagResources ?? []) if (t.ResourceName === name) out[t.TagKey] = t.TagValue;
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

const tagParam = (tags: Record<string, string>) => JSON.stringify(Object.entries(tags).map(([Key, Value]) => ({ Key, Value })));

/** CreateRole, tagged (the create token). Not retried by the client: the caller looks before it retries. */
export async function createRole(client: AlicloudClient, req: { name: string; trustPolicy: object; description?: string; tags: Record<string, string> }): Promise<Role> {
  const res = await client.call<{ Role: Role }>("ram", "CreateRole", { RoleName: req.name, AssumeRolePolicyDocument: JSON.stringify(req.trustPolicy), Description: req.description, Tag: tagParam(req.tags) }, { safe: false });
  return res.Role;
}

export async function createPolicy(client: AlicloudClient, req: { name: string; document: object; description?: string; tags: Record<string, string> }): Promise<Policy> {
  const res = await client.call<{ Policy: Policy }>("ram", "CreatePolicy", { PolicyName: req.name, PolicyDocument: JSON.stringify(req.document), Description: req.description, Tag: tagParam(req.tags) }, { safe: false });
  return res.Policy;
}

/** The custom and system policies attached to a role. */
export async function listPoliciesForRole(client: AlicloudClient, roleName: string): Promise<{ PolicyName: string; PolicyType: string }[]> {
  return (await client.call<{ Policies?: { Policy?: { PolicyName: string; PolicyType: string }[] } }>("ram", "ListPoliciesForRole", { RoleName: roleName })).Policies?.Policy ?? [];
}

/** AttachPolicyToRole; already attached is attached. */
export async function attachPolicyToRole(client: AlicloudClient, policyName: string, roleName: string): Promise<void> {
  try {
    await client.call("ram", "AttachPolicyToRole", { PolicyType: "Custom", PolicyName: policyName, RoleName: roleName }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && err.code === "EntityAlreadyExists.Role.Policy") return;
    throw err;
  }
}

/** DetachPolicyFromRole; not attached (or either gone) is detached. */
export async function detachPolicyFromRole(client: AlicloudClient, policyName: string, roleName: string): Promise<void> {
  try {
    await client.call("ram", "DetachPolicyFromRole", { PolicyType: "Custom", PolicyName: policyName, RoleName: roleName }, { safe: true });
  } catch (err) {
    if (notFound(err)) return;
    throw err;
  }
}

export interface ConsistencyWait {
  /** How long RAM may keep answering DeleteConflict after a detach. */
  timeoutMs: number;
  clock?: Clock;
  interval?: PollInterval;
}

/** Terraform's cadence for these retries: 3 s, growing. */
const CONFLICT_POLL: PollInterval = { initialMs: 3_000, maxMs: 10_000 };

/** Runs a RAM delete until it stops answering DeleteConflict.*; gone already is deleted. */
async function deleteThroughConflicts(what: string, del: () => Promise<unknown>, o: ConsistencyWait): Promise<void> {
  let last: CloudError | undefined;
  try {
    await waitUntil<"deleted" | "conflict">({
      what: `RAM to let ${what} be deleted`,
      poll: async () => {
        try {
          await del();
          return "deleted";
        } catch (err) {
          if (notFound(err)) return "deleted";
          if (err instanceof CloudError && /^DeleteConflict\./.test(err.code)) {
            last = err;
            return "conflict";
          }
          throw err;
        }
      },
      done: (v) => v === "deleted",
      state: () => last?.code,
      timeoutMs: o.timeoutMs,
      clock: o.clock,
      interval: o.interval ?? CONFLICT_POLL,
    });
  } catch (err) {
    // Out of time: the cloud's own error says what still holds it.
    if (err instanceof WaitError && err.reason === "timeout" && last) throw last;
    throw err;
  }
}

export function deletePolicy(client: AlicloudClient, name: string, o: ConsistencyWait): Promise<void> {
  return deleteThroughConflicts(`policy ${name}`, () => client.call("ram", "DeletePolicy", { PolicyName: name }, { safe: true }), o);
}

export function deleteRole(client: AlicloudClient, name: string, o: ConsistencyWait): Promise<void> {
  return deleteThroughConflicts(`role ${name}`, () => client.call("ram", "DeleteRole", { RoleName: name }, { safe: true }), o);
}
