// Volcengine Cloud Assistant actions (ecs 2020-04-01; shapes from volcengine-go-sdk service/ecs and the
// volcenginesdkecs models: CreateCommand → CommandId, InvokeCommand/RunCommand → InvocationId,
// DescribeInvocationResults → InvocationResults[] with PageNumber/PageSize/TotalCount).
import type { Handler } from "./ecs";
import { invalidParameter } from "./errors";
import type { InvocationResult } from "./guest";
import { int, iso, list, matchesTagFilters, pageByNumber, required, tagsParam } from "./params";

function renderResult(m: Parameters<Handler>[1], inv: { InvocationId: string; CommandId: string }, r: InvocationResult) {
  const status = m.guest.status(r);
  const ended = ["Success", "Failed", "Timeout", "Stopped"].includes(status);
  return {
    InvocationResultId: r.InvocationResultId,
    InvocationId: inv.InvocationId,
    CommandId: inv.CommandId,
    InstanceId: r.InstanceId,
    InvocationResultStatus: status,
    ExitCode: ended && !r.timedOut ? r.exitCode : 0,
    // Output is base64 (as the API returns command output).
    Output: ended ? Buffer.from(r.output).toString("base64") : "",
    ErrorCode: status === "Timeout" ? "TaskTimeout" : status === "Failed" ? "CommandFailed" : "",
    ErrorMessage: status === "Timeout" ? "The command did not finish within its timeout." : "",
    StartTime: status === "Pending" ? "" : iso(r.startAt),
    EndTime: ended ? iso(r.stoppedAt ?? r.endAt) : "",
    Username: "root",
  };
}

export const ASSISTANT_ACTIONS: Record<string, Handler> = {
  CreateCommand(p, m) {
    const cmd = m.guest.createCommand({ Name: required(p, "Name"), Type: required(p, "Type"), CommandContent: required(p, "CommandContent"), Timeout: int(p, "Timeout", 30, 86400), Tags: tagsParam(p) });
    return { CommandId: cmd.CommandId };
  },

  DescribeCommands(p, m) {
    const all = [...m.guest.commands.values()].filter((c) => (!p.CommandId || c.CommandId === p.CommandId) && (!p.Name || c.Name === p.Name) && matchesTagFilters(c.Tags, p));
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return { Commands: items.map((c) => ({ CommandId: c.CommandId, Name: c.Name, Type: c.Type, CommandContent: c.CommandContent, Timeout: c.Timeout, CreatedTime: iso(c.createdAt), Tags: c.Tags })), ...paging };
  },

  DeleteCommand(p, m) {
    const CommandId = required(p, "CommandId");
    m.guest.deleteCommand(CommandId);
    return { CommandId };
  },

  InvokeCommand(p, m) {
    const inv = m.guest.invoke(
      { CommandId: required(p, "CommandId"), InstanceIds: list(p, "InstanceIds", 100), InvocationName: required(p, "InvocationName"), Timeout: int(p, "Timeout", 30, 86400), Tags: tagsParam(p) },
      (i) => m.instances.has(i) && m.instanceStatus(m.instances.get(i)!) === "RUNNING",
    );
    return { InvocationId: inv.InvocationId };
  },

  RunCommand(p, m) {
    // RunCommand = CreateCommand + InvokeCommand in one call (API-NOTES).
    const cmd = m.guest.createCommand({ Name: p.InvocationName ?? "run-command", Type: required(p, "Type"), CommandContent: required(p, "CommandContent"), Timeout: int(p, "Timeout", 30, 86400), Tags: [] });
    const inv = m.guest.invoke({ CommandId: cmd.CommandId, InstanceIds: list(p, "InstanceIds", 100), InvocationName: required(p, "InvocationName"), Tags: tagsParam(p) }, (i) => m.instances.has(i));
    return { InvocationId: inv.InvocationId };
  },

  DescribeInvocations(p, m) {
    const all = [...m.guest.invocations.values()].filter((i) => (!p.InvocationId || i.InvocationId === p.InvocationId) && (!p.CommandId || i.CommandId === p.CommandId) && (!p.InvocationName || i.InvocationName === p.InvocationName) && matchesTagFilters(i.Tags, p));
    const { items, ...paging } = pageByNumber(all, p, 100, 10);
    return {
      Invocations: items.map((i) => ({
        InvocationId: i.InvocationId,
        InvocationName: i.InvocationName,
        CommandId: i.CommandId,
        InstanceNumber: i.results.length,
        InvocationStatus: i.results.every((r) => m.guest.status(r) === "Success") ? "Success" : i.results.some((r) => ["Pending", "Running"].includes(m.guest.status(r))) ? "Running" : "Failed",
        StartTime: iso(i.createdAt),
        Tags: i.Tags,
      })),
      ...paging,
    };
  },

  DescribeInvocationResults(p, m) {
    const InvocationId = required(p, "InvocationId");
    const inv = m.guest.getInvocation(InvocationId);
    const status = p.InvocationResultStatus;
    if (status && !["Pending", "Running", "Success", "Failed", "Timeout"].includes(status)) throw invalidParameter("InvocationResultStatus", "Pending, Running, Success, Failed or Timeout");
    const rows = inv.results.filter((r) => (!p.InstanceId || r.InstanceId === p.InstanceId) && (!status || m.guest.status(r) === status));
    const { items, ...paging } = pageByNumber(rows, p, 100, 10);
    return { InvocationResults: items.map((r) => renderResult(m, inv, r)), ...paging };
  },

  StopInvocation(p, m) {
    const InvocationId = required(p, "InvocationId");
    m.guest.stop(InvocationId);
    return { InvocationId };
  },
};
