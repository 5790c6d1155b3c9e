// Finders, status and waiters for Cloud Assistant invocations (ECS 2014-05-26 RunCommand,
// DescribeInvocations, DescribeInvocationResults, StopInvocation): resources call these, never the API.
import type { Clock } from "../core/clock";
import { CloudError, NotFoundError, orUndefined } from "../core/errors";
import { waitUntil, type PollInterval } from "../core/waiter";
import type { AlicloudClient } from "./client";

/** InvocationStatus of one instance's run (DescribeInvocationResults reference). */
export type InvocationStatus = "Pending" | "Invalid" | "Aborted" | "Running" | "Success" | "Failed" | "Error" | "Timeout" | "Cancelled" | "Stopping" | "Terminated" | "Scheduled";

/** DescribeInvocationResults `InvocationResult` (the fields we use). */
export interface InvocationResult {
  InstanceId: string;
  InvokeId: string;
  InvocationStatus: InvocationStatus;
  InvokeRecordStatus?: string;
  ExitCode: number;
  /** Base64 (the API's default ContentEncoding). */
  Output?: string;
  ErrorCode?: string;
  ErrorInfo?: string;
  FinishedTime?: string;
}

/** DescribeInvocations `Invocation` (the fields we use). */
export interface Invocation {
  InvokeId: string;
  CommandName?: string;
  CreationTime?: string;
  InvocationStatus?: string;
  Tags?: { Tag?: { TagKey: string; TagValue: string }[] };
}

/** Statuses after which nothing more happens to a run. */
export const FINISHED: InvocationStatus[] = ["Success", "Failed", "Error", "Timeout", "Cancelled", "Terminated", "Invalid", "Aborted"];

export interface RunCommandRequest {
  type: "RunShellScript" | "RunBatScript" | "RunPowerShellScript";
  /** The script; sent base64-encoded. */
  content: string;
  instanceIds: string[];
  /** Seconds, 10-86400. */
  timeout: number;
  name: string;
  description?: string;
  clientToken: string;
  tags: Record<string, string>;
  /** `DryRun` checks the parameters, the instances and their agents and runs nothing. */
  repeatMode?: "Once" | "DryRun";
}

/** RunCommand; returns the InvokeId. Not retried by the client: findOrCreate retries it after a look. */
export async function runCommand(client: AlicloudClient, req: RunCommandRequest): Promise<string> {
  const tagParams: Record<string, string> = {};
  Object.entries(req.tags).forEach(([k, v], i) => {
    tagParams[`Tag.${i + 1}.Key`] = k;
    tagParams[`Tag.${i + 1}.Value`] = v;
  });
  const res = await client.call<{ InvokeId: string }>(
    "ecs",
    "RunCommand",
    {
      Type: req.type,
      CommandContent: Buffer.from(req.content).toString("base64"),
      ContentEncoding: "Base64",
      InstanceId: req.instanceIds,
      Timeout: req.timeout,
      Name: req.name,
      Description: req.description,
      ClientToken: req.clientToken,
      RepeatMode: req.repeatMode,
      ...tagParams,
    },
    { safe: false },
  );
  return res.InvokeId;
}

/** Invocations carrying the tag `key=value` (DescribeInvocations Tag.N), every page, newest first. */
export async function listInvocationsByTag(client: AlicloudClient, key: string, value: string): Promise<Invocation[]> {
  const out: Invocation[] = [];
  let nextToken: string | undefined;
  do {
    const res = await client.call<{ Invocations?: { Invocation?: Invocation[] }; NextToken?: string }>("ecs", "DescribeInvocations", {
      "Tag.1.Key": key,
      "Tag.1.Value": value,
      MaxResults: 50,
      NextToken: nextToken,
    });
    out.push(...(res.Invocations?.Invocation ?? []));
    nextToken = res.NextToken || undefined;
  } while (nextToken);
  return out;
}

/** One instance's run of an invocation, or NotFoundError when the invocation or the run does not exist. */
export async function findInvocationResult(client: AlicloudClient, invokeId: string, instanceId: string): Promise<InvocationResult> {
  let res: { Invocation?: { InvocationResults?: { InvocationResult?: InvocationResult[] } } };
  try {
    res = await client.call("ecs", "DescribeInvocationResults", { InvokeId: invokeId, InstanceId: instanceId });
  } catch (err) {
    if (err instanceof CloudError && err.code === "InvalidInvokeId.NotFound") throw new NotFoundError("Cloud Assistant invocation", invokeId);
    throw err;
  }
  const result = res.Invocation?.InvocationResults?.InvocationResult?.find((r) => r.InvokeId === invokeId && r.InstanceId === instanceId);
  if (!result) throw new NotFoundError("Cloud Assistant invocation", invokeId, `no run on ${instanceId}`);
  return result;
}

/** Waits until the run has finished (any final status); WaitError on timeout or when it disappears. */
export function waitInvocationFinished(client: AlicloudClient, invokeId: string, instanceId: string, o: { timeoutMs: number; clock?: Clock; interval?: PollInterval }): Promise<InvocationResult> {
  return waitUntil<InvocationResult | undefined>({
    what: `Cloud Assistant invocation ${invokeId} on ${instanceId} to finish`,
    poll: () => orUndefined(findInvocationResult(client, invokeId, instanceId)),
    done: (r) => r !== undefined && FINISHED.includes(r.InvocationStatus),
    failed: (r) => (r === undefined ? "it disappeared" : undefined),
    state: (r) => r?.InvocationStatus ?? "gone",
    timeoutMs: o.timeoutMs,
    clock: o.clock,
    interval: o.interval,
  }) as Promise<InvocationResult>;
}

/** StopInvocation; an invocation already gone is stopped. */
export async function stopInvocation(client: AlicloudClient, invokeId: string, instanceIds: string[]): Promise<void> {
  try {
    await client.call("ecs", "StopInvocation", { InvokeId: invokeId, InstanceId: instanceIds }, { safe: true });
  } catch (err) {
    if (err instanceof CloudError && err.code === "InvalidInvokeId.NotFound") return;
    throw err;
  }
}
