// RAM 2015-05-01 actions for roles and custom policies: parse, call the RAM model, render bodies shaped
// like the @alicloud/ram20150501 models (the service adds RequestId).
import { bool, int, required, type Handler } from "../params";
import type { Policy, Role } from "./model";

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
    const p = m.ram.createPolicy({ PolicyName: required(q, "PolicyName"), PolicyDocument: required(q, "PolicyDocument"), Description: q.Description });
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
};
