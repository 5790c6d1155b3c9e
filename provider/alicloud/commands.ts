// Saved Cloud Assistant commands (ECS 2014-05-26 CreateCommand, DescribeCommands, ModifyCommand,
// DeleteCommand): the recovery policy's guest hook, run by the controller with InvokeCommand before the
// final recovery point. Type RunShellScript, content base64 (CreateCommand's default ContentEncoding).
import { CloudError } from "../core/errors";
import { findOrCreate, TOKEN_TAG } from "../core/tokens";
import type { AlicloudClient } from "./client";
import { tagParams } from "./tags";

/** CreateCommand Timeout: at least 10 seconds (RunCommand's range, 10-86400). */
const timeoutOf = (s: number) => Math.max(10, s);

/** A saved command, once per token: found again by its token tag (DescribeCommands Tag.N) before creating. */
export async function ensureCommand(client: AlicloudClient, req: { name: string; script: string; timeoutSeconds: number; token: string }): Promise<string> {
  const { value } = await findOrCreate({
    what: `command ${req.name}`,
    token: req.token,
    retry: client.retry,
    find: async () => {
      const res = await client.call<{ Commands?: { Command?: { CommandId: string; CreationTime?: string }[] } }>("ecs", "DescribeCommands", { ...tagParams({ [TOKEN_TAG]: req.token }), MaxResults: 50 });
      return (res.Commands?.Command ?? []).map((c) => ({ id: c.CommandId, createdAt: c.CreationTime }));
    },
    create: async (clientToken) =>
      (
        await client.call<{ CommandId: string }>(
          "ecs",
          "CreateCommand",
          { Name: req.name, Type: "RunShellScript", CommandContent: Buffer.from(req.script).toString("base64"), ContentEncoding: "Base64", Timeout: timeoutOf(req.timeoutSeconds), ClientToken: clientToken, ...tagParams({ [TOKEN_TAG]: req.token }) },
          { safe: false },
        )
      ).CommandId,
    discard: (id) => deleteCommand(client, id),
  });
  return value;
}

export async function updateCommand(client: AlicloudClient, commandId: string, script: string, timeoutSeconds: number): Promise<void> {
  // ModifyCommand's CommandContent is base64 (it takes no ContentEncoding).
  await client.call("ecs", "ModifyCommand", { CommandId: commandId, CommandContent: Buffer.from(script).toString("base64"), Timeout: timeoutOf(timeoutSeconds) }, { safe: true });
}

/** DeleteCommand; a command already gone is deleted. */
export async function deleteCommand(client: AlicloudClient, commandId: string): Promise<void> {
  try {
    await client.call("ecs", "DeleteCommand", { CommandId: commandId }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && /NotFound/.test(err.code)) return;
    throw err;
  }
}
