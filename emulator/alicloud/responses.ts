// Alibaba Cloud actions (ECS 2014-05-26 with Cloud Assistant, RAM 2015-05-01): parse the flat query,
// validate as the API does, call the model, render the body (the service adds RequestId and errors).
import { AcsError, newId, type AlicloudModel, type Invocation, type InvocationResult } from "./models";
import { runAppSnapshotPlugin } from "./plugin";

type Q = Record<string, string>;
type Handler = (q: Q, m: AlicloudModel) => unknown;

function required(q: Q, name: string): string {
  const v = q[name];
  if (v === undefined || v === "") throw new AcsError("MissingParameter", 400, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
  return v;
}

function list(q: Q, name: string): string[] {
  return Object.keys(q)
    .map((k) => [Number(new RegExp(`^${name}\\.(\\d+)$`).exec(k)?.[1]), q[k]] as const)
    .filter(([n]) => Number.isInteger(n))
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

/** Parameters some APIs take as a JSON array string (InstanceIds, DiskIds, SnapshotIds). */
function jsonList(q: Q, name: string): string[] {
  if (q[name] === undefined || q[name] === "") return [];
  try {
    const v = JSON.parse(q[name]);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // fall through
  }
  throw new AcsError(`InvalidParameter.${name}`, 400, `${name} must be a JSON array of strings, e.g. ["i-1"].`);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function resultStatus(m: AlicloudModel, r: InvocationResult, hung: boolean): { InvocationStatus: string; InvokeRecordStatus: string } {
  const now = m.clock.now();
  if (r.stopped) return { InvocationStatus: "Stopped", InvokeRecordStatus: "Stopped" };
  if (now < r.startAt) return { InvocationStatus: "Pending", InvokeRecordStatus: "Running" };
  if (now < r.finishAt) return { InvocationStatus: "Running", InvokeRecordStatus: "Running" };
  if (hung) return { InvocationStatus: "Timeout", InvokeRecordStatus: "Finished" };
  return { InvocationStatus: r.outcome, InvokeRecordStatus: "Finished" };
}

function renderResult(m: AlicloudModel, inv: Invocation, r: InvocationResult, base64: boolean) {
  const hung = r.ErrorCode === "ExecutionTimeout";
  const st = resultStatus(m, r, hung);
  const finished = st.InvokeRecordStatus !== "Running";
  const output = finished ? r.Output : "";
  return {
    InstanceId: r.InstanceId,
    InvokeId: inv.InvokeId,
    CommandId: inv.CommandId,
    CommandName: inv.Name,
    ...st,
    ExitCode: finished && !hung && !r.stopped ? r.ExitCode : 0,
    Output: base64 ? Buffer.from(output).toString("base64") : output,
    ErrorCode: finished ? r.ErrorCode : "",
    ErrorInfo: finished ? r.ErrorInfo : "",
    StartTime: m.clock.now() >= r.startAt ? iso(r.startAt) : "",
    FinishedTime: finished ? iso(Math.min(r.finishAt, m.clock.now())) : "",
    Repeats: 1,
    Dropped: 0,
  };
}

function invocationStatus(m: AlicloudModel, inv: Invocation): string {
  const statuses = inv.results.map((r) => resultStatus(m, r, r.ErrorCode === "ExecutionTimeout").InvocationStatus);
  if (statuses.some((s) => s === "Pending" || s === "Running")) return "Running";
  if (statuses.every((s) => s === "Success")) return "Success";
  if (statuses.every((s) => s === "Stopped")) return "Stopped";
  return statuses.some((s) => s === "Success") ? "PartialFailed" : "Failed";
}

function renderGroup(m: AlicloudModel, g: ReturnType<AlicloudModel["createSnapshotGroup"]>) {
  const status = m.groupStatus(g);
  const progress = Math.min(100, Math.floor((100 * (m.clock.now() - g.createdAt)) / Math.max(1, g.readyAt - g.createdAt)));
  return {
    SnapshotGroupId: g.SnapshotGroupId,
    Name: g.Name,
    Description: g.Description,
    InstanceId: g.InstanceId,
    Status: status,
    ProgressStatus: status === "accomplished" ? "all_finished" : status === "failed" ? "failed" : "creating",
    CreationTime: iso(g.createdAt),
    Snapshots: {
      Snapshot: g.snapshots.map((s) => ({
        SnapshotId: s.SnapshotId,
        SourceDiskId: s.SourceDiskId,
        Progress: `${status === "accomplished" ? 100 : progress}%`,
        Available: status === "accomplished",
        InstantAccess: s.InstantAccess,
        Tags: { Tag: s.Tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value, Key: t.Key, Value: t.Value })) },
      })),
    },
    Tags: { Tag: [] },
  };
}

export const ECS_ACTIONS: Record<string, Handler> = {
  DescribeInstances(q, m) {
    const ids = jsonList(q, "InstanceIds");
    const items = [...m.instances.values()].filter((i) => ids.length === 0 || ids.includes(i.InstanceId));
    return {
      Instances: { Instance: items.map((i) => ({ InstanceId: i.InstanceId, InstanceName: i.InstanceName, OSType: i.OSType, Status: i.Status, RegionId: m.opts.region })) },
      TotalCount: items.length,
    };
  },

  DescribeDisks(q, m) {
    const ids = jsonList(q, "DiskIds");
    const rows = [...m.instances.values()].flatMap((i) => i.disks.map((d) => ({ ...d, InstanceId: i.InstanceId })));
    const items = rows.filter((d) => (ids.length === 0 || ids.includes(d.DiskId)) && (!q.InstanceId || d.InstanceId === q.InstanceId) && (!q.Category || d.Category === q.Category));
    return { Disks: { Disk: items.map((d) => ({ DiskId: d.DiskId, InstanceId: d.InstanceId, Type: d.Type, Category: d.Category, Status: "In_use", Size: d.Size, Device: d.Device })) }, TotalCount: items.length };
  },

  RunCommand(q, m) {
    const type = required(q, "Type");
    if (!["RunShellScript", "RunBatScript", "RunPowerShellScript"].includes(type)) throw new AcsError("InvalidCmdType.NotSupported", 400, `Type ${type} is not supported.`);
    const raw = required(q, "CommandContent");
    const encoding = q.ContentEncoding || "PlainText";
    if (!["PlainText", "Base64"].includes(encoding)) throw new AcsError("InvalidParameter.ContentEncoding", 400, "ContentEncoding is PlainText or Base64.");
    const content = encoding === "Base64" ? Buffer.from(raw, "base64").toString("utf8") : raw;
    if (Buffer.byteLength(Buffer.from(content).toString("base64")) > 24 * 1024) throw new AcsError("InvalidCmdContent.ExceedLimit", 400, "CommandContent exceeds 24 KB after base64 encoding.");
    const ids = list(q, "InstanceId");
    if (ids.length < 1 || ids.length > 100) throw new AcsError("InvalidParameter.InstanceId", 400, "InstanceId.N takes 1 to 100 instances.");
    const timeout = q.Timeout ? Number(q.Timeout) : 60;
    if (!Number.isInteger(timeout) || timeout < 10 || timeout > 86400) throw new AcsError("InvalidParameter.Timeout", 400, "Timeout is 10 to 86400 seconds.");
    const insts = ids.map((id) => m.instance(id));
    return m.tokens.run("RunCommand", q.ClientToken, q, () => {
      const now = m.clock.now();
      const inv: Invocation = { InvokeId: newId("t"), CommandId: newId("c"), Name: q.Name ?? "", Type: type, CommandContent: content, Timeout: timeout, createdAt: now, results: [] };
      for (const inst of insts) {
        const run = runAppSnapshotPlugin(m, inst, content, type) ?? { exitCode: 0, output: "" };
        const hung = inst.hangInvocations === true;
        inv.results.push({
          InstanceId: inst.InstanceId,
          startAt: now + 1000,
          finishAt: hung ? now + timeout * 1000 : now + m.opts.invocationSeconds * 1000,
          ExitCode: run.exitCode,
          Output: run.output,
          ErrorCode: hung ? "ExecutionTimeout" : run.errorCode ?? (run.exitCode !== 0 ? "ExitCodeNonzero" : ""),
          ErrorInfo: hung ? "the command timed out" : run.errorInfo ?? (run.exitCode !== 0 ? `exit code ${run.exitCode}` : ""),
          outcome: run.errorCode ? "Error" : run.exitCode === 0 ? "Success" : "Failed",
        });
      }
      m.invocations.set(inv.InvokeId, inv);
      return { CommandId: inv.CommandId, InvokeId: inv.InvokeId };
    });
  },

  DescribeInvocationResults(q, m) {
    const base64 = (q.ContentEncoding || "Base64") === "Base64";
    const invs = [...m.invocations.values()].filter((i) => (!q.InvokeId || i.InvokeId === q.InvokeId) && (!q.CommandId || i.CommandId === q.CommandId));
    if (q.InvokeId && invs.length === 0) throw new AcsError("InvalidInvokeId.NotFound", 404, `The invocation ${q.InvokeId} does not exist.`);
    const rows = invs.flatMap((inv) => inv.results.filter((r) => !q.InstanceId || r.InstanceId === q.InstanceId).map((r) => renderResult(m, inv, r, base64)));
    return { Invocation: { InvocationResults: { InvocationResult: rows }, TotalCount: rows.length, PageSize: Number(q.MaxResults ?? q.PageSize ?? 10), NextToken: "" } };
  },

  DescribeInvocations(q, m) {
    const invs = [...m.invocations.values()].filter((i) => !q.InvokeId || i.InvokeId === q.InvokeId);
    return {
      Invocations: {
        Invocation: invs.map((i) => ({
          InvokeId: i.InvokeId,
          CommandId: i.CommandId,
          CommandName: i.Name,
          CommandType: i.Type,
          InvocationStatus: invocationStatus(m, i),
          InvokeStatus: invocationStatus(m, i) === "Running" ? "Running" : "Finished",
          CreationTime: iso(i.createdAt),
          Timeout: i.Timeout,
        })),
      },
      TotalCount: invs.length,
    };
  },

  StopInvocation(q, m) {
    const inv = m.invocations.get(required(q, "InvokeId"));
    if (!inv) throw new AcsError("InvalidInvokeId.NotFound", 404, `The invocation ${q.InvokeId} does not exist.`);
    const ids = list(q, "InstanceId");
    for (const r of inv.results) if (ids.length === 0 || ids.includes(r.InstanceId)) if (m.clock.now() < r.finishAt) r.stopped = true;
    return {};
  },

  AttachInstanceRamRole(q, m) {
    const roleName = required(q, "RamRoleName");
    const ids = jsonList(q, "InstanceIds");
    if (!m.roles.has(roleName)) throw new AcsError("InvalidRamRole.NotFound", 404, `The RAM role ${roleName} does not exist.`);
    const results = ids.map((id) => {
      if (!m.instances.has(id)) return { InstanceId: id, Success: false, Code: "InvalidInstanceId.NotFound", Message: "The instance does not exist." };
      const current = m.instanceRoles.get(id);
      if (current && current !== roleName) return { InstanceId: id, Success: false, Code: "InvalidParameter.RamRoleAttached", Message: `The instance already has RAM role ${current}.` };
      m.instanceRoles.set(id, roleName);
      return { InstanceId: id, Success: true, Code: "200", Message: "success" };
    });
    return { RamRoleName: roleName, TotalCount: ids.length, FailCount: results.filter((r) => !r.Success).length, AttachInstanceRamRoleResults: { AttachInstanceRamRoleResult: results } };
  },

  DescribeInstanceRamRole(q, m) {
    const ids = jsonList(q, "InstanceIds");
    const sets = [...m.instanceRoles.entries()].filter(([id, role]) => (ids.length === 0 || ids.includes(id)) && (!q.RamRoleName || role === q.RamRoleName)).map(([InstanceId, RamRoleName]) => ({ InstanceId, RamRoleName }));
    return { RegionId: m.opts.region, TotalCount: sets.length, InstanceRamRoleSets: { InstanceRamRoleSet: sets } };
  },

  DetachInstanceRamRole(q, m) {
    const ids = jsonList(q, "InstanceIds");
    const results = ids.map((id) => {
      const current = m.instanceRoles.get(id);
      if (!current || (q.RamRoleName && current !== q.RamRoleName)) return { InstanceId: id, Success: false, Code: "InvalidRamRole.NotAttached", Message: "The RAM role is not attached to the instance." };
      m.instanceRoles.delete(id);
      return { InstanceId: id, Success: true, Code: "200", Message: "success" };
    });
    return { TotalCount: ids.length, FailCount: results.filter((r) => !r.Success).length, DetachInstanceRamRoleResults: { DetachInstanceRamRoleResult: results } };
  },

  CreateSnapshotGroup(q, m) {
    const instanceId = required(q, "InstanceId");
    return m.tokens.run("CreateSnapshotGroup", q.ClientToken, q, () => {
      const g = m.createSnapshotGroup({ InstanceId: instanceId, Name: q.Name, Description: q.Description, DiskIds: list(q, "DiskId"), ExcludeDiskIds: list(q, "ExcludeDiskId"), InstantAccess: q.InstantAccess === "true" });
      return { SnapshotGroupId: g.SnapshotGroupId };
    });
  },

  DescribeSnapshotGroups(q, m) {
    const ids = list(q, "SnapshotGroupId");
    if (ids.length > 10) throw new AcsError("InvalidParameter.SnapshotGroupId", 400, "SnapshotGroupId.N takes at most 10 ids.");
    const statuses = list(q, "Status");
    const items = [...m.groups.values()].filter((g) => (ids.length === 0 || ids.includes(g.SnapshotGroupId)) && (!q.InstanceId || g.InstanceId === q.InstanceId) && (statuses.length === 0 || statuses.includes(m.groupStatus(g))));
    return { SnapshotGroups: { SnapshotGroup: items.map((g) => renderGroup(m, g)) }, NextToken: "" };
  },

  DeleteSnapshotGroup(q, m) {
    const id = required(q, "SnapshotGroupId");
    const g = m.groups.get(id);
    if (!g) throw new AcsError("InvalidSnapshotGroupId.NotFound", 404, `The snapshot group ${id} does not exist.`);
    m.groups.delete(id);
    return { OperationProgressSet: { OperationProgress: g.snapshots.map((s) => ({ OperationStatus: "Success", RelatedItemSet: { RelatedItem: [{ Name: "SnapshotId", Value: s.SnapshotId }] } })) } };
  },

  DescribeSnapshots(q, m) {
    const ids = jsonList(q, "SnapshotIds");
    const rows = [...m.groups.values()].flatMap((g) => g.snapshots.map((s) => ({ s, g })));
    const items = rows.filter(({ s, g }) => (ids.length === 0 || ids.includes(s.SnapshotId)) && (!q.InstanceId || g.InstanceId === q.InstanceId));
    return {
      Snapshots: {
        Snapshot: items.map(({ s, g }) => ({
          SnapshotId: s.SnapshotId,
          SourceDiskId: s.SourceDiskId,
          Status: m.groupStatus(g) === "accomplished" ? "accomplished" : m.groupStatus(g) === "failed" ? "failed" : "progressing",
          InstantAccess: s.InstantAccess,
          Tags: { Tag: s.Tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value, Key: t.Key, Value: t.Value })) },
        })),
      },
      TotalCount: items.length,
    };
  },
};

function renderRole(r: { RoleName: string; RoleId: string; Arn: string; AssumeRolePolicyDocument: string; Description: string; CreateDate: string }) {
  return { RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, AssumeRolePolicyDocument: r.AssumeRolePolicyDocument, Description: r.Description, CreateDate: r.CreateDate };
}

function validJson(doc: string, what: string): void {
  try {
    const d = JSON.parse(doc);
    if (!Array.isArray(d.Statement)) throw new Error("no Statement");
  } catch {
    throw new AcsError(`MalformedPolicyDocument`, 400, `${what} is not a valid policy document.`);
  }
}

export const RAM_ACTIONS: Record<string, Handler> = {
  CreateRole(q, m) {
    const name = required(q, "RoleName");
    const doc = required(q, "AssumeRolePolicyDocument");
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(name)) throw new AcsError("InvalidParameter.RoleName.InvalidChars", 400, "RoleName takes 1 to 64 letters, digits, '.' and '-'.");
    validJson(doc, "AssumeRolePolicyDocument");
    if (m.roles.has(name)) throw new AcsError("EntityAlreadyExists.Role", 409, `The role ${name} already exists.`);
    const role = { RoleName: name, RoleId: String(Date.now()) + Math.floor(Math.random() * 1000), Arn: `acs:ram::1234567890:role/${name.toLowerCase()}`, AssumeRolePolicyDocument: doc, Description: q.Description ?? "", CreateDate: iso(m.clock.now()), policies: new Set<string>() };
    m.roles.set(name, role);
    return { Role: renderRole(role) };
  },
  GetRole(q, m) {
    const role = m.roles.get(required(q, "RoleName"));
    if (!role) throw new AcsError("EntityNotExist.Role", 404, `The role ${q.RoleName} does not exist.`);
    return { Role: renderRole(role) };
  },
  DeleteRole(q, m) {
    const name = required(q, "RoleName");
    const role = m.roles.get(name);
    if (!role) throw new AcsError("EntityNotExist.Role", 404, `The role ${name} does not exist.`);
    if (role.policies.size) throw new AcsError("DeleteConflict.Role.Policy", 409, `The role ${name} still has policies attached.`);
    if ([...m.instanceRoles.values()].includes(name)) throw new AcsError("DeleteConflict.Role.Instance", 409, `The role ${name} is still attached to instances.`);
    m.roles.delete(name);
    return {};
  },
  CreatePolicy(q, m) {
    const name = required(q, "PolicyName");
    const doc = required(q, "PolicyDocument");
    validJson(doc, "PolicyDocument");
    if (m.policies.has(name)) throw new AcsError("EntityAlreadyExists.Policy", 409, `The policy ${name} already exists.`);
    const p = { PolicyName: name, PolicyDocument: doc, Description: q.Description ?? "", CreateDate: iso(m.clock.now()) };
    m.policies.set(name, p);
    return { Policy: { PolicyName: name, PolicyType: "Custom", Description: p.Description, DefaultVersion: "v1", CreateDate: p.CreateDate } };
  },
  GetPolicy(q, m) {
    const p = m.policies.get(required(q, "PolicyName"));
    if (!p) throw new AcsError("EntityNotExist.Policy", 404, `The policy ${q.PolicyName} does not exist.`);
    return { Policy: { PolicyName: p.PolicyName, PolicyType: "Custom", Description: p.Description, DefaultVersion: "v1", CreateDate: p.CreateDate }, DefaultPolicyVersion: { VersionId: "v1", IsDefaultVersion: true, PolicyDocument: p.PolicyDocument } };
  },
  DeletePolicy(q, m) {
    const name = required(q, "PolicyName");
    if (!m.policies.has(name)) throw new AcsError("EntityNotExist.Policy", 404, `The policy ${name} does not exist.`);
    if ([...m.roles.values()].some((r) => r.policies.has(name))) throw new AcsError("DeleteConflict.Policy.Role", 409, `The policy ${name} is still attached to a role.`);
    m.policies.delete(name);
    return {};
  },
  AttachPolicyToRole(q, m) {
    const role = m.roles.get(required(q, "RoleName"));
    const name = required(q, "PolicyName");
    if (required(q, "PolicyType") !== "Custom" && q.PolicyType !== "System") throw new AcsError("InvalidParameter.PolicyType", 400, "PolicyType is Custom or System.");
    if (!role) throw new AcsError("EntityNotExist.Role", 404, `The role ${q.RoleName} does not exist.`);
    if (!m.policies.has(name)) throw new AcsError("EntityNotExist.Policy", 404, `The policy ${name} does not exist.`);
    if (role.policies.has(name)) throw new AcsError("EntityAlreadyExists.Role.Policy", 409, `The policy ${name} is already attached to ${role.RoleName}.`);
    role.policies.add(name);
    return {};
  },
  DetachPolicyFromRole(q, m) {
    const role = m.roles.get(required(q, "RoleName"));
    const name = required(q, "PolicyName");
    if (!role) throw new AcsError("EntityNotExist.Role", 404, `The role ${q.RoleName} does not exist.`);
    if (!role.policies.has(name)) throw new AcsError("EntityNotExist.Role.Policy", 404, `The policy ${name} is not attached to ${role.RoleName}.`);
    role.policies.delete(name);
    return {};
  },
  ListPoliciesForRole(q, m) {
    const role = m.roles.get(required(q, "RoleName"));
    if (!role) throw new AcsError("EntityNotExist.Role", 404, `The role ${q.RoleName} does not exist.`);
    return { Policies: { Policy: [...role.policies].map((p) => ({ PolicyName: p, PolicyType: "Custom", DefaultVersion: "v1" })) } };
  },
};
