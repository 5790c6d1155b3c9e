// Saved Cloud Assistant commands of ECS 2014-05-26: CreateCommand, DescribeCommands, ModifyCommand,
// DeleteCommand, InvokeCommand (a saved command run on instances: an invocation like RunCommand's, in
// model.ts). The recovery policy's guest hook is one (SpotRecoveryPolicy saves it, the controller invokes
// it). Parameters from the SDK models (CreateCommandRequest: Name, Type, CommandContent, ContentEncoding
// Base64 by default, Timeout, Tag.N, ClientToken; InvokeCommand: CommandId, InstanceId.N, Timeout, Tag.N,
// ClientToken); codes in RunCommand's family (InvalidCmdType.NotFound, CmdContent.ExceedLimit, …);
// `InvalidCommandId.NotFound` for an unknown command.
import { AcsError, missing } from "../errors";
import type { AlicloudModel } from "../models";
import { int, list, tags, type Handler } from "../params";
import { newId, type Tag } from "../ecs/model";

const TYPES = ["RunShellScript", "RunBatScript", "RunPowerShellScript"];
const CONTENT_MAX = 24 * 1024;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface SavedCommand {
  CommandId: string;
  RegionId: string;
  Name: string;
  Description: string;
  Type: string;
  /** Decoded text. */
  CommandContent: string;
  Timeout: number;
  tags: Tag[];
  createdAt: number;
}

function command(m: AlicloudModel, id: string, region: string): SavedCommand {
  const c = m.commands.get(id);
  if (!c || c.RegionId !== region) throw new AcsError("InvalidCommandId.NotFound", 404, "The specified command ID does not exist.");
  return c;
}

function content(raw: string, encoding: string | undefined): string {
  // ContentEncoding: Base64 by default for CreateCommand; PlainText sends the text itself.
  const text = /^plaintext$/i.test(encoding ?? "") ? raw : Buffer.from(raw, "base64").toString("utf8");
  if (Buffer.from(text).toString("base64").length > CONTENT_MAX) throw new AcsError("CmdContent.ExceedLimit", 403, "The maximum length of a command is exceeded.");
  return text;
}

export const COMMAND_ACTIONS: Record<string, Handler> = {
  CreateCommand(q, m) {
    const region = q.RegionId; // required by the model (spec.json), as Name, Type and CommandContent
    if (!TYPES.includes(q.Type)) throw new AcsError("InvalidCmdType.NotFound", 403, "The specified command type does not exist.");
    if (q.Name.length > 128) throw new AcsError("CmdName.ExceedLimit", 403, "The length of the command name exceeds the upper limit.");
    const text = content(q.CommandContent, q.ContentEncoding);
    const timeout = int(q, "Timeout", { min: 10, max: 86400, dflt: 60 })!;
    const cmdTags = tags(q);
    return m.tokens.run("CreateCommand", q.ClientToken, q, () => {
      const c: SavedCommand = { CommandId: newId("c"), RegionId: region, Name: q.Name, Description: q.Description ?? "", Type: q.Type, CommandContent: text, Timeout: timeout, tags: cmdTags, createdAt: m.clock.now() };
      m.commands.set(c.CommandId, c);
      return { CommandId: c.CommandId };
    });
  },

  DescribeCommands(q, m) {
    const region = q.RegionId; // required by the model (spec.json)
    const want = tags(q);
    const rows = [...m.commands.values()]
      .filter((c) => c.RegionId === region && (!q.CommandId || c.CommandId === q.CommandId) && (!q.Name || c.Name === q.Name) && (!q.Type || c.Type === q.Type) && want.every((w) => c.tags.some((t) => t.Key === w.Key && (w.Value === "" || t.Value === w.Value))))
      .sort((a, b) => b.createdAt - a.createdAt);
    const size = Math.min(50, Math.max(1, Number(q.MaxResults ?? q.PageSize ?? 10)));
    const start = q.NextToken ? Number.parseInt(Buffer.from(q.NextToken, "base64url").toString("utf8"), 10) : 0;
    const end = start + size;
    const invokeTimes = (id: string) => [...m.assistant.invocations.values()].filter((i) => i.CommandId === id).length;
    return {
      Commands: {
        Command: rows.slice(start, end).map((c) => ({
          CommandId: c.CommandId,
          Name: c.Name,
          Description: c.Description,
          Type: c.Type,
          CommandContent: Buffer.from(c.CommandContent).toString("base64"),
          Timeout: c.Timeout,
          CreationTime: iso(c.createdAt),
          InvokeTimes: invokeTimes(c.CommandId),
          EnableParameter: false,
          Latest: true,
          Provider: "",
          Tags: { Tag: c.tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value })) },
        })),
      },
      TotalCount: rows.length,
      PageNumber: Math.floor(start / size) + 1,
      PageSize: size,
      NextToken: end < rows.length ? Buffer.from(String(end)).toString("base64url") : "",
    };
  },

  ModifyCommand(q, m) {
    const c = command(m, q.CommandId, q.RegionId); // both required by the model (spec.json)
    // ModifyCommand's CommandContent is base64 (it takes no ContentEncoding).
    if (q.CommandContent !== undefined) c.CommandContent = content(q.CommandContent, undefined);
    if (q.Name !== undefined) c.Name = q.Name;
    if (q.Description !== undefined) c.Description = q.Description;
    if (q.Timeout !== undefined) c.Timeout = int(q, "Timeout", { min: 10, max: 86400 })!;
    return {};
  },

  DeleteCommand(q, m) {
    command(m, q.CommandId, q.RegionId); // both required by the model (spec.json)
    m.commands.delete(q.CommandId);
    return {};
  },

  InvokeCommand(q, m) {
    const region = q.RegionId; // required by the model (spec.json), as CommandId
    const c = command(m, q.CommandId, region);
    const ids = list(q, "InstanceId");
    if (ids.length === 0) throw missing("InstanceId.1");
    if (ids.length > 100) throw new AcsError("InstanceIds.ExceedLimit", 403, "The number of instance IDs exceeds the upper limit.");
    const timeout = int(q, "Timeout", { min: 10, max: 86400, dflt: c.Timeout })!;
    const repeat = q.RepeatMode || "Once";
    // Scheduled and on-reboot runs would need a scheduler the emulator does not have (as RunCommand).
    if (repeat !== "Once") throw new AcsError("InvalidParam.RepeatMode", 403, `The emulator runs commands with RepeatMode Once only, not ${repeat}.`);
    const invTags = tags(q);
    return m.tokens.run("InvokeCommand", q.ClientToken, q, () => {
      const insts = ids.map((id) => {
        const inst = m.ecs.instances.get(id);
        if (!inst || inst.RegionId !== region) throw new AcsError("InvalidInstance.NotFound", 404, "The specified instance does not exist.");
        const fits = (inst.OSType === "linux") === (c.Type === "RunShellScript");
        if (!fits || inst.Status !== "Running") throw new AcsError("InvalidInstance.NotMatch", 403, "The specified instance type does not match the command.");
        return inst;
      });
      const inv = m.assistant.create({
        RegionId: region,
        Name: c.Name,
        Description: c.Description,
        Type: c.Type,
        CommandContent: c.CommandContent,
        Timeout: timeout,
        RepeatMode: repeat,
        Username: q.Username || (insts[0].OSType === "windows" ? "System" : "root"),
        tags: invTags,
        instanceIds: insts.map((i) => i.InstanceId),
      });
      inv.CommandId = c.CommandId; // a saved command's runs carry its id
      return { InvokeId: inv.InvokeId };
    });
  },
};
