// RAM 2015-05-01 actions for roles and custom policies: parse, call the RAM model, render bodies shaped
// like the @alicloud/ram20150501 models (the service adds RequestId).
import { AcsError } from "../errors";
import { bool, int, required, type Handler, type Query } from "../params";
import type { Policy, RamResourceType, RamTag, Role } from "./model";

/** A JSON-array parameter of RAM (the SDK's "json" style: Tag, ResourceNames). */
function jsonParam<T>(q: Query, name: string, valid: (v: unknown) => v is T): T[] {
  const raw = q[name];
  if (raw === undefined || raw === "") return [];
  try {
    const v = JSON.parse(raw);
    if (Array.isArray(v) && v.every(valid)) return v;
  } catch {
    // refused below
  }
  throw new AcsError(`InvalidParameter.${name}`, 400, `The parameter - "${name}" is invalid.`);
}

const isTag = (v: unknown): v is RamTag => !!v && typeof v === "object" && typeof (v as RamTag).Key === "string";
const isString = (v: unknown): v is string => typeof v === "string";

function renderRole(r: Role, withUpdate: boolean) {
  return {
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    Description: r.Description,
    AssumeRolePolicyDocument: r.AssumeRolePolicyDocument,
    MaxSessionDuration: r.MaxSessionDuration,
    CreateDate: r.CreateDate,
    ...(withUpdate ? { UpdateDate: r.UpdateDate } : {}),
  };
}

const renderPolicy = (p: Policy) => ({ PolicyName: p.PolicyName, PolicyType: p.PolicyType, Description: p.Description, DefaultVersion: "v1", CreateDate: p.CreateDate });

export const RAM_ACTIONS: Record<string, Handler> = {
  CreateRole(q, m) {
    const role = m.ram.createRole({
      RoleName: required(q, "RoleName"),
      AssumeRolePolicyDocument: required(q, "AssumeRolePolicyDocument"),
      Description: q.Description,
      MaxSessionDuration: int(q, "MaxSessionDuration", { min: 3600, max: 43200, dflt: 3600 }),
    });
    m.ram.setTags("role", role.RoleName, jsonParam(q, "Tag", isTag));
    return { Role: renderRole(role, false) };
  },

  GetRole(q, m) {
    return { Role: renderRole(m.ram.role(required(q, "RoleName")), true) };
  },

  DeleteRole(q, m) {
    m.ram.deleteRole(required(q, "RoleName"));
    return {};
  },

  CreatePolicy(q, m) {
    const tags = jsonParam(q, "Tag", isTag);
    const p = m.ram.createPolicy({ PolicyName: required(q, "PolicyName"), PolicyDocument: required(q, "PolicyDocument"), Description: q.Description });
    m.ram.setTags("policy", p.PolicyName, tags);
    return { Policy: renderPolicy(p) };
  },

  GetPolicy(q, m) {
    const p = m.ram.policy(required(q, "PolicyName"), required(q, "PolicyType"));
    return {
      Policy: { ...renderPolicy(p), UpdateDate: p.UpdateDate, AttachmentCount: m.ram.attachmentCount(p.PolicyName, p.PolicyType) },
      DefaultPolicyVersion: { VersionId: "v1", IsDefaultVersion: true, PolicyDocument: p.PolicyDocument, CreateDate: p.CreateDate },
    };
  },

  DeletePolicy(q, m) {
    m.ram.deletePolicy(required(q, "PolicyName"), bool(q, "CascadingDelete", false));
    return {};
  },

  AttachPolicyToRole(q, m) {
    m.ram.attachPolicyToRole(required(q, "PolicyType"), required(q, "PolicyName"), required(q, "RoleName"));
    return {};
  },

  DetachPolicyFromRole(q, m) {
    m.ram.detachPolicyFromRole(required(q, "PolicyType"), required(q, "PolicyName"), required(q, "RoleName"));
    return {};
  },

  ListPoliciesForRole(q, m) {
    const role = m.ram.role(required(q, "RoleName"));
    const policies = [...role.attached.entries()].map(([key, attachDate]) => {
      const [type, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      // ListPoliciesForRoleResponseBodyPoliciesPolicy: AttachDate, DefaultVersion, Description, PolicyName,
      // PolicyType — no CreateDate.
      const { CreateDate, ...policy } = renderPolicy(m.ram.policy(name, type));
      void CreateDate;
      return { ...policy, AttachDate: attachDate };
    });
    return { Policies: { Policy: policies } };
  },

  /** Tags of roles or policies (ListTagResourcesRequest: ResourceType role|policy, ≤50 ResourceNames, ≤20 Tag). */
  ListTagResources(q, m) {
    const type = required(q, "ResourceType");
    if (type !== "role" && type !== "policy") throw new AcsError("InvalidParameter.ResourceType", 400, 'The parameter - "ResourceType" is invalid.');
    const names = jsonParam(q, "ResourceNames", isString);
    if (names.length > 50) throw new AcsError("InvalidParameter.ResourceNames", 400, 'The parameter - "ResourceNames" takes at most 50 names.');
    const want = jsonParam(q, "Tag", isTag);
    const all = type === "role" ? [...m.ram.roles.keys()] : [...m.ram.policies.keys()];
    const rows = all
      .filter((n) => names.length === 0 || names.includes(n))
      .filter((n) => want.every((t) => m.ram.tagsOf(type as RamResourceType, n).some((x) => x.Key === t.Key && (t.Value === undefined || x.Value === t.Value))))
      .flatMap((n) => m.ram.tagsOf(type as RamResourceType, n).map((t) => ({ ResourceName: n, ResourceType: type, TagKey: t.Key, TagValue: t.Value })));
    return { TagResources: rows, NextToken: "" };
  },
};
