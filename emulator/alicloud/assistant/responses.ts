// Cloud Assistant actions of ECS 2014-05-26: RunCommand, DescribeInvocationResults, DescribeInvocations,
// StopInvocation. Limits and error codes from the RunCommand and DescribeInvocationResults references
// (AlibabaCloudDocs/ecs, API参考/云助手/) and the API notes (24 KB content, 100 instances).
import { AcsError, missing } from "../errors";
import type { AlicloudModel } from "../models";
import { bool, int, list, paginate, tags, type Handler, type Query } from "../params";
import type { Invocation, InvocationResult } from "./model";

const TYPES = ["RunShellScript", "RunBatScript", "RunPowerShellScript"];
const CONTENT_MAX = 24 * 1024;
const iso = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** ContentEncoding of responses: Base64 unless PlainText is asked for (any case). */
const encoder = (q: Query) => (/^plaintext$/i.test(q.ContentEncoding ?? "") ? (s: string) => s : b64);

const pageErrors = { pageSize: new AcsError("InvalidParam.PageSize", 403, "The specified parameter is invalid."), pageNumber: new AcsError("InvalidParam.PageNumber", 403, "The specified parameter is invalid.") };

function renderResult(m: AlicloudModel, inv: Invocation, r: InvocationResult, encode: (s: string) => string) {
  const v = m.assistant.view(inv, r);
  return {
    InstanceId: r.InstanceId,
    InvokeId: inv.InvokeId,
    CommandId: inv.CommandId,
    InvocationStatus: v.status,
    InvokeRecordStatus: v.record,
    ExitCode: v.exitCode,
    Output: encode(v.output),
    Dropped: 0,
    ErrorCode: v.errorCode,
    ErrorInfo: v.errorInfo,
    StartTime: iso(v.startTime),
    FinishedTime: iso(v.finishTime),
    StopTime: iso(v.stopTime),
    Repeats: v.startTime === undefined ? 0 : 1,
    Username: inv.Username,
    ContainerId: "",
    ContainerName: "",
    Tags: { Tag: inv.tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value })) },
  };
}

/** The deprecated InvokeStatus, kept for callers that still read it. */
const invokeStatus = (overall: string) => (overall === "Pending" || overall === "Running" ? "Running" : overall === "Success" ? "Finished" : overall);

export const ASSISTANT_ACTIONS: Record<string, Handler> = {
  RunCommand(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const type = q.Type; // required by the model (spec.json)
    if (!TYPES.includes(type)) throw new AcsError("InvalidCmdType.NotFound", 403, "The specified command type does not exist.");
    const raw = q.CommandContent; // required by the model (spec.json)
    // The reference: ContentEncoding is case-insensitive, and anything but Base64 is taken as PlainText.
    const base64 = /^base64$/i.test(q.ContentEncoding ?? "");
    const content = base64 ? Buffer.from(raw, "base64").toString("utf8") : raw;
    if (b64(content).length > CONTENT_MAX) throw new AcsError("CmdContent.ExceedLimit", 403, "The maximum length of a command is exceeded.");
    if ((q.Name ?? "").length > 128) throw new AcsError("CmdName.ExceedLimit", 403, "The length of the command name exceeds the upper limit.");
    if ((q.Description ?? "").length > 512) throw new AcsError("CmdDesc.ExceedLimit", 403, "The length of the command description exceeds the upper limit.");
    const ids = list(q, "InstanceId");
    if (ids.length === 0) throw missing("InstanceId.1");
    if (ids.length > 100) throw new AcsError("InstanceIds.ExceedLimit", 403, "The number of instance IDs exceeds the upper limit.");
    const timeout = int(q, "Timeout", { min: 10, max: 86400, dflt: 60 })!;
    const repeat = q.RepeatMode || (bool(q, "Timed", false) ? "Period" : "Once");
    // DryRun: "checks request parameters, instance execution environment, and Cloud Assistant Agent
    // status" and runs nothing (RunCommandRequest.repeatMode).
    if (!["Once", "Period", "NextRebootOnly", "EveryReboot", "DryRun"].includes(repeat)) throw new AcsError("InvalidParam.RepeatMode", 403, "The specified RepeatMode is invalid.");
    if (repeat === "Period" && !q.Frequency) throw new AcsError("MissingParam.Frequency", 403, "The frequency must be specified when you create a timed task.");
    // Scheduled and on-reboot runs would need a scheduler the emulator does not have.
    if (repeat !== "Once" && repeat !== "DryRun") throw new AcsError("InvalidParam.RepeatMode", 403, `The emulator runs commands with RepeatMode Once or DryRun only, not ${repeat}.`);
    const username = q.Username ?? "";
    if (username.length > 255) throw new AcsError("Username.ExceedLimit", 403, "The length of the username exceeds the upper limit.");
    const invTags = tags(q);
    // A repeated ClientToken with the same parameters gets the first answer, even if the instances changed since.
    return m.tokens.run("RunCommand", q.ClientToken, q, () => {
      const insts = ids.map((id) => {
        const inst = m.ecs.instances.get(id);
        if (!inst || inst.RegionId !== region) throw new AcsError("InvalidInstance.NotFound", 404, "The specified instance does not exist.");
        if (username && inst.OSType === "windows") throw new AcsError("Username.NotSupportWindows", 403, "Running as specified user has not supported for Windows yet.");
        // Shell scripts run on Linux, bat and PowerShell on Windows; and only on running instances.
        const fits = (inst.OSType === "linux") === (type === "RunShellScript");
        if (!fits || inst.Status !== "Running") throw new AcsError("InvalidInstance.NotMatch", 403, "The specified instance type does not match the command.");
        return inst;
      });
      if (repeat === "DryRun") {
        // The answer to a passed dry run is ECS's DryRunOperation convention (RunInstances DryRun); the
        // codes for a failed agent check are guessed after DescribeInvocationResults' ErrorCode values.
        const idle = insts.find((i) => !i.agentInstalled);
        if (idle) throw new AcsError("ClientNotRunning", 403, `The Cloud Assistant agent is not running on ${idle.InstanceId}.`);
        throw new AcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.");
      }
      const inv = m.assistant.create({
        RegionId: region,
        Name: q.Name ?? "",
        Description: q.Description ?? "",
        Type: type,
        CommandContent: content,
        Timeout: timeout,
        RepeatMode: repeat,
        Username: username || (insts[0].OSType === "windows" ? "System" : "root"),
        tags: invTags,
        instanceIds: insts.map((i) => i.InstanceId),
      });
      return { CommandId: inv.CommandId, InvokeId: inv.InvokeId };
    });
  },

  DescribeInvocationResults(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const encode = encoder(q);
    const rows = [...m.assistant.invocations.values()]
      .filter((inv) => inv.RegionId === region && (!q.InvokeId || inv.InvokeId === q.InvokeId) && (!q.CommandId || inv.CommandId === q.CommandId))
      .sort((a, b) => b.createdAt - a.createdAt)
      .flatMap((inv) => inv.results.filter((r) => !q.InstanceId || r.InstanceId === q.InstanceId).map((r) => renderResult(m, inv, r, encode)))
      .filter((row) => !q.InvokeRecordStatus || row.InvokeRecordStatus === q.InvokeRecordStatus);
    const page = paginate(q, rows, { maxPageSize: 50, errors: pageErrors });
    return { Invocation: { InvocationResults: { InvocationResult: page.items }, TotalCount: page.TotalCount, PageNumber: page.PageNumber, PageSize: page.PageSize, NextToken: page.NextToken } };
  },

  DescribeInvocations(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const encode = encoder(q);
    const withOutput = bool(q, "IncludeOutput", false);
    // Tag.N filters: an invocation must carry every tag asked for (DescribeInvocationsRequest Tag).
    const want = tags(q);
    const items = [...m.assistant.invocations.values()]
      .filter(
        (inv) =>
          inv.RegionId === region &&
          (!q.InvokeId || inv.InvokeId === q.InvokeId) &&
          (!q.CommandId || inv.CommandId === q.CommandId) &&
          (!q.CommandName || inv.Name === q.CommandName) &&
          (!q.CommandType || inv.Type === q.CommandType) &&
          (!q.InstanceId || inv.results.some((r) => r.InstanceId === q.InstanceId)) &&
          (!q.InvokeStatus || invokeStatus(m.assistant.overall(inv)) === q.InvokeStatus || m.assistant.overall(inv) === q.InvokeStatus) &&
          want.every((t) => inv.tags.some((x) => x.Key === t.Key && x.Value === t.Value)),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const page = paginate(q, items, { maxPageSize: 50, errors: pageErrors });
    return {
      Invocations: {
        Invocation: page.items.map((inv) => {
          const overall = m.assistant.overall(inv);
          return {
            InvokeId: inv.InvokeId,
            CommandId: inv.CommandId,
            CommandName: inv.Name,
            CommandType: inv.Type,
            CommandDescription: inv.Description,
            CommandContent: encode(inv.CommandContent),
            CreationTime: iso(inv.createdAt),
            InvocationStatus: overall,
            InvokeStatus: invokeStatus(overall),
            RepeatMode: inv.RepeatMode,
            Timed: false,
            Frequency: "",
            Timeout: inv.Timeout,
            Username: inv.Username,
            Parameters: "{}",
            Tags: { Tag: inv.tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value })) },
            InvokeInstances: {
              InvokeInstance: inv.results.map((r) => {
                const v = m.assistant.view(inv, r);
                return {
                  InstanceId: r.InstanceId,
                  InvocationStatus: v.status,
                  InstanceInvokeStatus: v.record,
                  ExitCode: v.exitCode,
                  ...(withOutput ? { Output: encode(v.output) } : {}),
                  Dropped: 0,
                  ErrorCode: v.errorCode,
                  ErrorInfo: v.errorInfo,
                  CreationTime: iso(inv.createdAt),
                  StartTime: iso(v.startTime),
                  FinishTime: iso(v.finishTime),
                  StopTime: iso(v.stopTime),
                  UpdateTime: iso(v.finishTime ?? v.startTime ?? inv.createdAt),
                  Repeats: v.startTime === undefined ? 0 : 1,
                  Timed: false,
                };
              }),
            },
          };
        }),
      },
      TotalCount: page.TotalCount,
      PageNumber: page.PageNumber,
      PageSize: page.PageSize,
      NextToken: page.NextToken,
    };
  },

  StopInvocation(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const inv = m.assistant.invocation(q.InvokeId, region); // required by the model (spec.json)
    m.assistant.stop(inv, list(q, "InstanceId"));
    return {};
  },
};
