// Finders, status and waiters for Volcengine Cloud Assistant (ecs 2020-04-01: CreateCommand,
// ModifyCommand, DeleteCommand, DescribeCommands, InvokeCommand, DescribeInvocations,
// DescribeInvocationResults, StopInvocation; volcengine-go-sdk service/ecs). The recovery policy's guest
// hook is a saved command, run on the instance before its final recovery point.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { findOrCreate, TOKEN_TAG } from "../core/tokens";
import { waitUntil } from "../core/waiter";
import type { VolcengineClient } from "./client";
import { tagList } from "./tags";

export type InvocationStatus = "Pending" | "Running" | "Success" | "Failed" | "Timeout" | "Stopped";
const ENDED: InvocationStatus[] = ["Success", "Failed", "Timeout", "Stopped"];

export interface InvocationResult {
  InstanceId: string;
  InvocationResultStatus: InvocationStatus;
  ExitCode?: number;
  /** Base64. */
  Output?: string;
  ErrorCode?: string;
}

/** A saved command, once per token (CreateCommand takes no ClientToken: found again by its token tag). */
export async function ensureCommand(client: VolcengineClient, req: { name: string; script: string; timeoutSeconds: number; token: string }): Promise<string> {
  const { value } = await findOrCreate({
    what: `command ${req.name}`,
    token: req.token,
    retry: client.retry,
    find: async () => {
      const res = await client.ecs<{ Commands?: { CommandId: string; CreatedTime?: string }[] }>("DescribeCommands", { TagFilters: [{ Key: TOKEN_TAG, Values: [req.token] }], PageNumber: 1, PageSize: 10 });
      return (res.Commands ?? []).map((c) => ({ id: c.CommandId, createdAt: c.CreatedTime }));
    },
    create: async () =>
      (
        await client.ecs<{ CommandId: string }>(
          "CreateCommand",
          { Name: req.name, Type: "Shell", CommandContent: Buffer.from(req.script).toString("base64"), Timeout: Math.max(30, req.timeoutSeconds), Tags: tagList({ [TOKEN_TAG]: req.token }) },
          { safe: false },
        )
      ).CommandId,
    discard: (id) => deleteCommand(client, id),
  });
  return value;
}

export async function updateCommand(client: VolcengineClient, commandId: string, script: string, timeoutSeconds: number): Promise<void> {
  await client.ecs("ModifyCommand", { CommandId: commandId, CommandContent: Buffer.from(script).toString("base64"), Timeout: Math.max(30, timeoutSeconds) }, { safe: true });
}

/** DeleteCommand; a command already gone is deleted. */
export async function deleteCommand(client: VolcengineClient, commandId: string): Promise<void> {
  try {
    await client.ecs("DeleteCommand", { CommandId: commandId }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && /NotFound/.test(err.code)) return;
    throw err;
  }
}

/** Runs a saved command on one instance, once per token (InvokeCommand has no ClientToken either). */
export async function invokeCommand(client: VolcengineClient, req: { commandId: string; instanceId: string; name: string; timeoutSeconds: number; token: string }): Promise<string> {
  const { value } = await findOrCreate({
    what: `invocation of ${req.commandId} on ${req.instanceId}`,
    token: req.token,
    retry: client.retry,
    find: async () => {
      const res = await client.ecs<{ Invocations?: { InvocationId: string; StartTime?: string }[] }>("DescribeInvocations", { TagFilters: [{ Key: TOKEN_TAG, Values: [req.token] }], PageNumber: 1, PageSize: 10 });
      return (res.Invocations ?? []).map((i) => ({ id: i.InvocationId, createdAt: i.StartTime }));
    },
    create: async () =>
      (
        await client.ecs<{ InvocationId: string }>(
          "InvokeCommand",
          { CommandId: req.commandId, InstanceIds: [req.instanceId], InvocationName: req.name, Timeout: Math.max(30, req.timeoutSeconds), Tags: tagList({ [TOKEN_TAG]: req.token }) },
          { safe: false },
        )
      ).InvocationId,
  });
  return value;
}

export async function findInvocationResult(client: VolcengineClient, invocationId: string, instanceId: string): Promise<InvocationResult> {
  const res = await client.ecs<{ InvocationResults?: InvocationResult[] }>("DescribeInvocationResults", { InvocationId: invocationId, InstanceId: instanceId, PageNumber: 1, PageSize: 10 });
  const r = res.InvocationResults?.find((x) => x.InstanceId === instanceId);
  if (!r) throw new NotFoundError("invocation result", `${invocationId}/${instanceId}`);
  return r;
}

/** Waits until the command ended on the instance, or `timeoutMs` passed (then undefined: the guest did not answer in time). */
export async function waitInvocation(client: VolcengineClient, invocationId: string, instanceId: string, o: { timeoutMs: number; clock?: Clock; signal?: AbortSignal }): Promise<InvocationResult | undefined> {
  try {
    return await waitUntil<InvocationResult | undefined>({
      what: `command ${invocationId} on ${instanceId} to finish`,
      poll: () => orUndefined(findInvocationResult(client, invocationId, instanceId)),
      done: (r) => r !== undefined && ENDED.includes(r.InvocationResultStatus),
      state: (r) => r?.InvocationResultStatus,
      timeoutMs: o.timeoutMs,
      interval: { initialMs: 500, maxMs: 2_000 },
      clock: o.clock,
      signal: o.signal,
    });
  } catch (err) {
    if ((err as { reason?: string }).reason === "timeout") return undefined;
    throw err;
  }
}

export async function stopInvocation(client: VolcengineClient, invocationId: string): Promise<void> {
  await client.ecs("StopInvocation", { InvocationId: invocationId }, { safe: true }).catch(() => undefined);
}
