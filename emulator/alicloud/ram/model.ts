// RAM state: roles (with their trust policy), custom policies, role-policy attachments, and the policy
// evaluation ECS needs (can ECS assume this role? does the role allow this action?). Codes and limits
// from the RAM 2015-05-01 API reference (DeleteRole, CreatePolicy, DeletePolicy error tables).
import { randomInt } from "node:crypto";
import type { Clock } from "../../clock";
import { AcsError } from "../errors";

export const ACCOUNT_ID = "1234567890123456";

export interface Role {
  RoleName: string;
  RoleId: string;
  Arn: string;
  AssumeRolePolicyDocument: string;
  Description: string;
  MaxSessionDuration: number;
  CreateDate: string;
  UpdateDate: string;
  /** Attached policies, `Custom:name` or `System:name`, with the attach time. */
  attached: Map<string, string>;
}

export interface Policy {
  PolicyName: string;
  PolicyType: "Custom" | "System";
  PolicyDocument: string;
  Description: string;
  CreateDate: string;
  UpdateDate: string;
}

/** The few system policies a snapshot role might be given instead of a custom one. */
const SYSTEM_POLICIES: Record<string, { Description: string; Statement: unknown[] }> = {
  AdministratorAccess: { Description: "Full access to all cloud resources", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
  AliyunECSFullAccess: { Description: "Full access to ECS", Statement: [{ Effect: "Allow", Action: "ecs:*", Resource: "*" }] },
  AliyunECSReadOnlyAccess: { Description: "Read-only access to ECS", Statement: [{ Effect: "Allow", Action: ["ecs:Describe*", "ecs:List*"], Resource: "*" }] },
};

interface Statement {
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Principal?: Record<string, string[]>;
}

const asList = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Parses a RAM policy document; MalformedPolicyDocument (400) with what is wrong, as RAM answers. */
export function parsePolicyDocument(doc: string, kind: "permission" | "trust"): Statement[] {
  const bad = (why: string) => new AcsError("MalformedPolicyDocument", 400, `The policy document is malformed: ${why}`);
  let d: any;
  try {
    d = JSON.parse(doc);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message}).`);
  }
  if (!d || typeof d !== "object" || Array.isArray(d)) throw bad("it must be a JSON object.");
  if (d.Version !== "1") throw bad('"Version" must be "1".');
  if (!Array.isArray(d.Statement) || d.Statement.length === 0) throw bad('"Statement" must be a non-empty array.');
  return d.Statement.map((s: any, i: number) => {
    if (!s || typeof s !== "object") throw bad(`Statement[${i}] must be an object.`);
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw bad(`Statement[${i}].Effect must be "Allow" or "Deny".`);
    const action = asList(s.Action);
    const notAction = asList(s.NotAction);
    if (!action === !notAction || (action ?? notAction)!.length === 0) throw bad(`Statement[${i}] needs exactly one of a non-empty "Action" or "NotAction".`);
    if (kind === "permission" && s.Resource === undefined && s.NotResource === undefined) throw bad(`Statement[${i}] needs "Resource".`);
    let principal: Record<string, string[]> | undefined;
    if (kind === "trust") {
      if (!s.Principal || typeof s.Principal !== "object") throw bad(`Statement[${i}] of a trust policy needs "Principal".`);
      principal = Object.fromEntries(Object.entries(s.Principal).map(([k, v]) => [k, asList(v) ?? []]));
    }
    return { Effect: s.Effect, Action: action, NotAction: notAction, Principal: principal };
  });
}

/** RAM action patterns: `*` and `?` wildcards, case-insensitive. */
function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(action);
}

function statementCovers(s: Statement, action: string): boolean {
  return s.Action ? s.Action.some((p) => matches(p, action)) : !s.NotAction!.some((p) => matches(p, action));
}

/** Explicit Deny wins; otherwise any Allow grants. */
export function policiesAllow(statements: Statement[], action: string): boolean {
  if (statements.some((s) => s.Effect === "Deny" && statementCovers(s, action))) return false;
  return statements.some((s) => s.Effect === "Allow" && statementCovers(s, action));
}

const ROLE_NAME = /^[A-Za-z0-9.-]+$/;
const POLICY_NAME = /^[A-Za-z0-9-]+$/;

export interface RamSettings {
  /**
   * Emulated seconds after a DetachPolicyFromRole during which DeleteRole of that role and DeletePolicy of
   * that policy still fail with DeleteConflict.* (RAM is eventually consistent: API notes, Corrections;
   * terraform-provider-alicloud retries these codes for the whole delete timeout). How long the real
   * window lasts is not documented.
   */
  ramDetachLagSeconds: number;
}

export type RamResourceType = "role" | "policy";

export interface RamTag {
  Key: string;
  Value: string;
}

export class RamModel {
  readonly roles = new Map<string, Role>();
  readonly policies = new Map<string, Policy>();
  /** Tags of roles and policies, keyed `role:name` / `policy:name` (CreateRole/CreatePolicy Tag, TagResources). */
  readonly tags = new Map<string, RamTag[]>();
  /** When a policy was last detached from a role: `role:name` / `policy:name` → epoch ms. */
  private readonly detachedAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: RamSettings = { ramDetachLagSeconds: 0 },
  ) {}

  reset(): void {
    this.roles.clear();
    this.policies.clear();
    this.tags.clear();
    this.detachedAt.clear();
  }

  /** Whether a detach of `key` is still propagating (DeleteConflict until it has). */
  private settling(key: string): boolean {
    const at = this.detachedAt.get(key);
    return at !== undefined && this.clock.now() < at + this.settings.ramDetachLagSeconds * 1000;
  }

  /** Tags as CreateRole/CreatePolicy take them: a JSON array of {Key, Value}, at most 20. */
  setTags(type: RamResourceType, name: string, tags: RamTag[]): void {
    if (tags.length > 20) throw new AcsError("InvalidParameter.Tag", 400, "The parameter - \"Tag\" takes at most 20 tags.");
    for (const t of tags) {
      if (!t.Key || t.Key.length > 128 || /^(aliyun|acs:)/i.test(t.Key)) throw new AcsError("InvalidParameter.Tag.Key", 400, "The parameter - \"Tag.Key\" is invalid.");
      if ((t.Value ?? "").length > 128) throw new AcsError("InvalidParameter.Tag.Value", 400, "The parameter - \"Tag.Value\" is invalid.");
    }
    const current = this.tags.get(`${type}:${name}`) ?? [];
    for (const t of tags) {
      const existing = current.find((x) => x.Key === t.Key);
      if (existing) existing.Value = t.Value ?? "";
      else current.push({ Key: t.Key, Value: t.Value ?? "" });
    }
    this.tags.set(`${type}:${name}`, current);
  }

  tagsOf(type: RamResourceType, name: string): RamTag[] {
    return this.tags.get(`${type}:${name}`) ?? [];
  }

  private now(): string {
    return this.clock.iso();
  }

  createRole(req: { RoleName: string; AssumeRolePolicyDocument: string; Description?: string; MaxSessionDuration?: number }): Role {
    const name = req.RoleName;
    if (name.length > 64) throw new AcsError("InvalidParameter.RoleName.Length", 400, 'The parameter - "RoleName" beyond the length limit.');
    if (!ROLE_NAME.test(name)) throw new AcsError("InvalidParameter.RoleName.InvalidChars", 400, 'The parameter - "RoleName" contains invalid chars.');
    if ((req.Description ?? "").length > 1024) throw new AcsError("InvalidParameter.Description.Length", 400, 'The parameter - "Description" beyond the length limit.');
    parsePolicyDocument(req.AssumeRolePolicyDocument, "trust");
    if (this.roles.has(name)) throw new AcsError("EntityAlreadyExists.Role", 409, "The role does already EXIST.");
    const at = this.now();
    const role: Role = {
      RoleName: name,
      RoleId: String(randomInt(10 ** 11, 10 ** 12 - 1)) + String(randomInt(100000, 999999)),
      Arn: `acs:ram::${ACCOUNT_ID}:role/${name.toLowerCase()}`,
      AssumeRolePolicyDocument: req.AssumeRolePolicyDocument,
      Description: req.Description ?? "",
      MaxSessionDuration: req.MaxSessionDuration ?? 3600,
      CreateDate: at,
      UpdateDate: at,
      attached: new Map(),
    };
    this.roles.set(name, role);
    return role;
  }

  role(name: string): Role {
    const role = this.roles.get(name);
    if (!role) throw new AcsError("EntityNotExist.Role", 404, "The role does not exist.");
    return role;
  }

  deleteRole(name: string): void {
    const role = this.role(name);
    if (role.attached.size || this.settling(`role:${name}`)) throw new AcsError("DeleteConflict.Role.Policy", 409, "The role CAN NOT has any attached policy while deleting the role.");
    this.roles.delete(name);
    this.tags.delete(`role:${name}`);
  }

  createPolicy(req: { PolicyName: string; PolicyDocument: string; Description?: string }): Policy {
    const name = req.PolicyName;
    if (name.length > 128) throw new AcsError("InvalidParameter.PolicyName.Length", 400, 'The parameter - "PolicyName" beyond the length limit.');
    if (!POLICY_NAME.test(name)) throw new AcsError("InvalidParameter.PolicyName.InvalidChars", 400, 'The parameter - "PolicyName" contains invalid chars.');
    if (req.PolicyDocument.length > 6144) throw new AcsError("InvalidParameter.PolicyDocument.Length", 400, 'The parameter - "PolicyDocument" beyond the length limit.');
    if ((req.Description ?? "").length > 1024) throw new AcsError("InvalidParameter.Description.Length", 400, 'The parameter - "Description" beyond the length limit.');
    parsePolicyDocument(req.PolicyDocument, "permission");
    if (this.policies.has(name) || SYSTEM_POLICIES[name]) throw new AcsError("EntityAlreadyExists.Policy", 409, "The policy does already EXIST.");
    const at = this.now();
    const p: Policy = { PolicyName: name, PolicyType: "Custom", PolicyDocument: req.PolicyDocument, Description: req.Description ?? "", CreateDate: at, UpdateDate: at };
    this.policies.set(name, p);
    return p;
  }

  policy(name: string, type: string = "Custom"): Policy {
    if (type !== "Custom" && type !== "System") throw new AcsError("InvalidParameter.PolicyType", 400, 'The parameter - "PolicyType" is incorrect.');
    if (type === "System" && SYSTEM_POLICIES[name]) {
      const s = SYSTEM_POLICIES[name];
      return { PolicyName: name, PolicyType: "System", PolicyDocument: JSON.stringify({ Version: "1", Statement: s.Statement }), Description: s.Description, CreateDate: "2015-04-28T16:00:00Z", UpdateDate: "2015-04-28T16:00:00Z" };
    }
    const p = type === "Custom" ? this.policies.get(name) : undefined;
    if (!p) throw new AcsError("EntityNotExist.Policy", 404, "The policy does not exist.");
    return p;
  }

  attachmentCount(name: string, type = "Custom"): number {
    return [...this.roles.values()].filter((r) => r.attached.has(`${type}:${name}`)).length;
  }

  /** CascadingDelete detaches the policy from every role first, as RAM does. */
  deletePolicy(name: string, cascading: boolean): void {
    this.policy(name, "Custom");
    const holders = [...this.roles.values()].filter((r) => r.attached.has(`Custom:${name}`));
    // RAM's published table lists DeleteConflict.Policy.User/.Group for users and groups; the
    // role counterpart's exact code is unconfirmed, named by the same pattern.
    if ((holders.length && !cascading) || this.settling(`policy:${name}`)) throw new AcsError("DeleteConflict.Policy.Role", 409, "The policy CAN NOT been attached to any role while deleting the policy.");
    for (const r of holders) {
      r.attached.delete(`Custom:${name}`);
      this.detachedAt.set(`role:${r.RoleName}`, this.clock.now());
    }
    this.policies.delete(name);
    this.tags.delete(`policy:${name}`);
  }

  attachPolicyToRole(type: string, policyName: string, roleName: string): void {
    this.policy(policyName, type); // validates the type and existence
    const role = this.role(roleName);
    const key = `${type}:${policyName}`;
    if (role.attached.has(key)) throw new AcsError("EntityAlreadyExists.Role.Policy", 409, "The policy has already been attached to the role.");
    role.attached.set(key, this.now());
  }

  detachPolicyFromRole(type: string, policyName: string, roleName: string): void {
    if (type !== "Custom" && type !== "System") throw new AcsError("InvalidParameter.PolicyType", 400, 'The parameter - "PolicyType" is incorrect.');
    const role = this.role(roleName);
    if (!role.attached.delete(`${type}:${policyName}`)) throw new AcsError("EntityNotExist.Role.Policy", 404, "The policy is not attached to the role.");
    const now = this.clock.now();
    this.detachedAt.set(`role:${roleName}`, now);
    if (type === "Custom") this.detachedAt.set(`policy:${policyName}`, now);
  }

  /** Whether `service` (e.g. ecs.aliyuncs.com) may assume the role. */
  trusts(roleName: string, service: string): boolean {
    const role = this.roles.get(roleName);
    if (!role) return false;
    const statements = parsePolicyDocument(role.AssumeRolePolicyDocument, "trust");
    const covers = (s: Statement) => statementCovers(s, "sts:AssumeRole") && (s.Principal?.Service ?? []).some((p) => p.toLowerCase() === service);
    return !statements.some((s) => s.Effect === "Deny" && covers(s)) && statements.some((s) => s.Effect === "Allow" && covers(s));
  }

  /** Whether the role's attached policies allow `action` (e.g. ecs:CreateSnapshotGroup). */
  allows(roleName: string, action: string): boolean {
    const role = this.roles.get(roleName);
    if (!role) return false;
    const statements = [...role.attached.keys()].flatMap((key) => {
      const [type, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      try {
        return parsePolicyDocument(this.policy(name, type).PolicyDocument, "permission");
      } catch {
        return [];
      }
    });
    return policiesAllow(statements, action);
  }
}
