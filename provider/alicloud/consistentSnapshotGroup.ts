// ConsistentSnapshotGroup: an application-consistent (or file-system-consistent) snapshot group of an
// instance's ESSD disks, taken by the app-snapshot plugin through Cloud Assistant: RunCommand → poll
// DescribeInvocationResults → decode the output → wait for DescribeSnapshotGroups to say accomplished →
// read the consistency the snapshots were tagged with.
import { z } from "zod";
import { alicloudConnection, pollInterval } from "../config";
import { checkInputs, timeoutsSchema } from "../core/check";
import { CloudError, describeFailure, WaitError } from "../core/errors";
import { diffInputs, partialResource, type HandlerContext, type ResourceHandler, pickInputs } from "../core/handler";
import { plain } from "../core/outputs";
import { createToken, findOrCreate, TOKEN_TAG, type Made } from "../core/tokens";
import { parseDuration, waitUntil } from "../core/waiter";
import { CMD_UNSAFE, CONTROL, explainExitCode, parsePluginOutput, pluginCommand } from "./appSnapshotPlugin";
import { AlicloudClient } from "./client";

const text = (field: string, max: number) =>
  z
    .string()
    .max(max, `${field} is at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${field} must not contain control characters (newlines, tabs)`);
const absPath = (field: string) =>
  z
    .string()
    .regex(/^\/[^\0]*$/, `${field} must be an absolute path such as /root/prescript.sh`)
    .refine((s) => !CONTROL.test(s), `${field} must not contain control characters`);
const seconds = (field: string, min: number, max: number) => z.number().int(`${field} is a whole number of seconds`).min(min, `${field} is at least ${min}`).max(max, `${field} is at most ${max}`);

export const consistentSnapshotGroupSchema = z
  .object({
    instanceId: z.string({ message: "instanceId is required" }).regex(/^i-[\w-]+$/, 'instanceId must be an instance id such as "i-abc123"'),
    osType: z.enum(["linux", "windows"], { message: 'osType is "linux" or "windows"' }).default("linux"),
    ramRoleName: z.string({ message: "ramRoleName is required: the RAM role attached to the instance (see SnapshotRole)" }).regex(/^[A-Za-z0-9.-]{1,64}$/, "ramRoleName takes 1-64 letters, digits, '.' or '-'"),
    // The cloud's snapshot-group name rule: the plugin exits 1 on anything else.
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._:-]{1,127}$/, "name is 2-128 characters, starts with a letter, and takes only letters, digits, '.', '_', '-' and ':'")
      .optional(),
    description: text("description", 256).optional(),
    excludeDiskIds: z.array(z.string().regex(/^d-[\w-]+$/, 'excludeDiskIds must be disk ids such as "d-abc123"')).optional(),
    instantAccess: z.boolean().optional(),
    instantAccessRetentionDays: seconds("instantAccessRetentionDays", 1, 65535).optional(),
    enableFsFreeze: z.boolean().optional(),
    preScriptPath: absPath("preScriptPath").optional(),
    postScriptPath: absPath("postScriptPath").optional(),
    freezeTimeoutSeconds: seconds("freezeTimeoutSeconds", 1, 3600).optional(),
    scriptTimeoutSeconds: seconds("scriptTimeoutSeconds", 1, 86400).optional(),
    enableWriters: z.boolean().optional(),
    region: z.string().min(1).optional(),
    timeouts: timeoutsSchema.optional(),
    __identity: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if ((v.preScriptPath === undefined) !== (v.postScriptPath === undefined))
      issue(v.preScriptPath === undefined ? "preScriptPath" : "postScriptPath", "preScriptPath and postScriptPath go together: set both or neither");
    if (v.instantAccessRetentionDays !== undefined && !v.instantAccess) issue("instantAccessRetentionDays", "instantAccessRetentionDays needs instantAccess: true");
    if (v.osType === "windows") {
      for (const k of ["enableFsFreeze", "preScriptPath", "postScriptPath", "freezeTimeoutSeconds", "scriptTimeoutSeconds"] as const)
        if (v[k] !== undefined) issue(k, `${k} applies to Linux only (on Windows, VSS writers freeze the applications: use enableWriters)`);
      for (const k of ["name", "description", "ramRoleName"] as const)
        if (v[k] !== undefined && CMD_UNSAFE.test(v[k]!)) issue(k, `${k} must not contain any of " % ^ & | < > ! , on Windows (cmd.exe or the plugin would interpret them)`);
    } else if (v.enableWriters !== undefined) {
      issue("enableWriters", "enableWriters applies to Windows only (on Linux, use enableFsFreeze and the pre/post scripts)");
    }
  });

type Inputs = z.infer<typeof consistentSnapshotGroupSchema>;
const INPUT_KEYS = Object.keys(consistentSnapshotGroupSchema.shape);
const DEFAULT_CREATE_MS = 60 * 60_000;

const clientFor = (inputs: Record<string, any>, ctx: HandlerContext) => AlicloudClient.for(alicloudConnection(ctx.config, inputs.region));

/**
 * The create token (core/tokens.ts), carried as a tag of the invocation. Not the ClientToken itself:
 * Cloud Assistant answers a used ClientToken with its first invocation for good ("the retry generates the
 * same result as the last request", ECS "How to ensure idempotence"), so after a destroy an `up` with the
 * same inputs would get the old invocation, whose group is gone.
 */
function groupToken(i: Inputs): string {
  return createToken("alicloud:ConsistentSnapshotGroup", i.__identity, undefined, i);
}

/**
 * Invocations of this create that can still become (or are) the resource: running, or finished with a
 * group that still exists. A finished one whose group was deleted (a destroy) or never made (a failure)
 * is history, not a resource to adopt.
 */
async function adoptable(client: AlicloudClient, token: string, instanceId: string): Promise<Made[]> {
  const res = await client.call("ecs", "DescribeInvocations", { InstanceId: instanceId, "Tag.1.Key": TOKEN_TAG, "Tag.1.Value": token, PageSize: 50 });
  const out: Made[] = [];
  for (const inv of res.Invocations?.Invocation ?? []) {
    const result = await invocationResult(client, inv.InvokeId, instanceId);
    if (result && FINISHED.includes(result.InvocationStatus)) {
      const groupId = parsePluginOutput(result.Output ?? "").snapshotGroupId;
      if (result.ExitCode !== 0 || !groupId || !(await describeGroup(client, groupId))) continue;
    }
    out.push({ id: inv.InvokeId, createdAt: inv.CreationTime });
  }
  return out;
}

interface InvocationResult {
  InvocationStatus: string;
  InvokeRecordStatus: string;
  ExitCode: number;
  Output: string;
  ErrorCode?: string;
  ErrorInfo?: string;
}

const FINISHED = ["Success", "Failed", "Error", "Timeout", "Cancelled", "Stopped", "Terminated", "Invalid", "Aborted"];

async function invocationResult(client: AlicloudClient, invokeId: string, instanceId: string): Promise<InvocationResult | undefined> {
  const res = await client.call("ecs", "DescribeInvocationResults", { InvokeId: invokeId, InstanceId: instanceId });
  return res.Invocation?.InvocationResults?.InvocationResult?.[0];
}

async function describeGroup(client: AlicloudClient, id: string): Promise<any | undefined> {
  const res = await client.call("ecs", "DescribeSnapshotGroups", { SnapshotGroupId: [id] });
  return res.SnapshotGroups?.SnapshotGroup?.find((g: any) => g.SnapshotGroupId === id);
}

function consistencyOf(group: any): "application" | "filesystem" | "crash" {
  const tags = (group.Snapshots?.Snapshot ?? []).flatMap((s: any) => s.Tags?.Tag ?? []).map((t: any) => t.TagKey ?? t.Key);
  if (tags.includes("APPConsistent")) return "application";
  if (tags.includes("FsConsistent")) return "filesystem";
  return "crash";
}

function outputsFor(inputs: Record<string, any>, group: any, extra: Record<string, unknown>) {
  return plain({
    ...inputs,
    snapshotGroupId: group.SnapshotGroupId,
    snapshotIds: (group.Snapshots?.Snapshot ?? []).map((s: any) => s.SnapshotId),
    status: group.Status,
    consistency: consistencyOf(group),
    creationTime: group.CreationTime,
    ...extra,
  });
}

export const consistentSnapshotGroupHandler: ResourceHandler = {
  async check(_olds, news) {
    const { inputs, failures } = checkInputs(consistentSnapshotGroupSchema, news);
    return { inputs: { ...inputs, __provider: news.__provider }, failures };
  },

  async diff(_id, olds, news) {
    // A snapshot group is immutable: every change is a new one.
    return diffInputs(olds, news, { inputKeys: INPUT_KEYS, replaceKeys: INPUT_KEYS.filter((k) => k !== "timeouts") });
  },

  async create(props, ctx) {
    const inputs = consistentSnapshotGroupSchema.parse(pickInputs(props, INPUT_KEYS));
    const label = `ConsistentSnapshotGroup ${inputs.name ?? inputs.instanceId}`;
    const client = clientFor(inputs, ctx);
    const deadline = parseDuration(inputs.timeouts?.create ?? "") ?? DEFAULT_CREATE_MS;
    const command = pluginCommand({ ...inputs, ramRoleName: inputs.ramRoleName });
    const commandTimeout = Math.min(86400, Math.max(60, (inputs.scriptTimeoutSeconds ?? 1800) + (inputs.freezeTimeoutSeconds ?? 30) + 300));

    let invokeId: string;
    try {
      // Looks first for an invocation of this create (a crash, a lost answer), then runs the plugin once.
      const token = groupToken(inputs);
      ({ value: invokeId } = await findOrCreate({
        what: `app-snapshot invocation on ${inputs.instanceId}`,
        token,
        retry: client.retry,
        find: () => adoptable(client, token, inputs.instanceId),
        create: async (attempt) =>
          (
            await client.call(
              "ecs",
              "RunCommand",
              {
                Type: command.type,
                CommandContent: Buffer.from(command.content).toString("base64"),
                ContentEncoding: "Base64",
                InstanceId: [inputs.instanceId],
                Timeout: commandTimeout,
                Name: "pulumi-recovery-app-snapshot",
                ClientToken: attempt,
                "Tag.1.Key": TOKEN_TAG,
                "Tag.1.Value": token,
              },
              { safe: false }, // findOrCreate retries it, looking first
            )
          ).InvokeId,
      }));
    } catch (err) {
      throw describeFailure(label, err);
    }

    // 1. The plugin's run.
    let result: InvocationResult | undefined;
    try {
      result = await waitUntil({
        what: `Cloud Assistant invocation ${invokeId} on ${inputs.instanceId} to finish`,
        poll: () => invocationResult(client, invokeId, inputs.instanceId),
        done: (r) => r !== undefined && FINISHED.includes(r.InvocationStatus),
        state: (r) => r?.InvocationStatus,
        timeoutMs: deadline,
        interval: pollInterval(),
      });
    } catch (err) {
      if (err instanceof WaitError && err.reason === "timeout") {
        // A freeze that hit its timeout can hang the invocation: stop it rather than leave I/O frozen.
        await client.call("ecs", "StopInvocation", { InvokeId: invokeId, InstanceId: [inputs.instanceId] }, { safe: true }).catch(() => undefined);
        throw new Error(`${label}: ${err.message}; the invocation was stopped (StopInvocation). Check the instance: file systems may still be frozen (fsfreeze -u)`);
      }
      throw describeFailure(label, err);
    }
    const out = parsePluginOutput(result!.Output ?? "");
    const tail = out.warnings.length ? ` Plugin output: ${out.warnings.join(" ")}` : "";
    if (result!.InvocationStatus === "Timeout") {
      await client.call("ecs", "StopInvocation", { InvokeId: invokeId, InstanceId: [inputs.instanceId] }, { safe: true }).catch(() => undefined);
      throw new Error(`${label}: the app-snapshot plugin did not finish within ${commandTimeout}s (invocation ${invokeId}, stopped). Check the instance: file systems may still be frozen (fsfreeze -u).`);
    }
    if (result!.ErrorCode && result!.ErrorCode !== "ExitCodeNonzero" && result!.InvocationStatus !== "Success") {
      throw new Error(`${label}: Cloud Assistant could not run the plugin on ${inputs.instanceId}: ${result!.ErrorCode} ${result!.ErrorInfo ?? ""}. What to do: make sure the Cloud Assistant agent is installed and running on the instance.`);
    }
    if (result!.ExitCode !== 0) {
      const why = `${label}: ${explainExitCode(result!.ExitCode)}.${tail} (invocation ${invokeId})`;
      // Some failures come after the group was made (10: the thaw script ran after the snapshot): the
      // output names it, and a failed create must leave nothing behind.
      if (out.snapshotGroupId) {
        try {
          await client.call("ecs", "DeleteSnapshotGroup", { SnapshotGroupId: out.snapshotGroupId }, { safe: true });
        } catch (cleanupErr) {
          throw partialResource(out.snapshotGroupId, plain({ ...props, ...inputs, snapshotGroupId: out.snapshotGroupId, invocationId: invokeId, status: "unknown" }), [why, `cleanup failed: ${describeFailure(label, cleanupErr).message}`]);
        }
        throw new Error(`${why} The snapshot group ${out.snapshotGroupId} it made first was deleted: nothing is left behind.`);
      }
      throw new Error(why);
    }
    if (!out.snapshotGroupId) throw new Error(`${label}: the plugin exited 0 but its output names no snapshot group (invocation ${invokeId}).${tail}`);
    const groupId = out.snapshotGroupId;

    // 2. The group, until accomplished (fail fast on failed).
    try {
      const group = await waitUntil({
        what: `snapshot group ${groupId} to be accomplished`,
        poll: () => describeGroup(client, groupId),
        done: (g) => g?.Status === "accomplished",
        failed: (g) => (g === undefined ? "it disappeared" : g.Status === "failed" ? "the cloud reports status failed" : undefined),
        state: (g) => g?.Status,
        timeoutMs: deadline,
        interval: pollInterval(),
      });
      const consistency = consistencyOf(group);
      const note =
        consistency === "application"
          ? undefined
          : out.warnings.length
            ? `fell back to ${consistency} consistency: ${out.warnings.map((w) => w.replace(/^\[\w+\]\s*/, "")).join("; ")}`
            : inputs.preScriptPath
              ? `fell back to ${consistency} consistency: the plugin did not use the pre/post scripts (they must exist, be owned by root and have mode 700)`
              : `${consistency} consistency: set preScriptPath and postScriptPath (root-owned, mode 700) for application consistency`;
      return { id: groupId, outs: outputsFor({ ...props, ...inputs }, group, { invocationId: invokeId, consistencyNote: note }) };
    } catch (err) {
      const why = describeFailure(label, err).message;
      try {
        await client.call("ecs", "DeleteSnapshotGroup", { SnapshotGroupId: groupId }, { safe: true });
      } catch (cleanupErr) {
        throw partialResource(groupId, plain({ ...props, ...inputs, snapshotGroupId: groupId, invocationId: invokeId, status: "unknown" }), [why, `cleanup failed: ${describeFailure(label, cleanupErr).message}`]);
      }
      throw new Error(`${why} (the snapshot group ${groupId} was deleted: nothing is left behind)`);
    }
  },

  async read(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      const group = await describeGroup(client, id);
      if (!group) return { id: "", props: {} };
      return { id, props: outputsFor(props, group, {}) };
    } catch (err) {
      throw describeFailure(`ConsistentSnapshotGroup ${props.name ?? id}`, err);
    }
  },

  async update(_id, _olds, news) {
    // Only `timeouts` changes in place, and it touches nothing in the cloud.
    return { outs: news };
  },

  async delete(id, props, ctx) {
    const client = clientFor(props, ctx);
    try {
      await client.call("ecs", "DeleteSnapshotGroup", { SnapshotGroupId: id }, { safe: true });
    } catch (err) {
      if (err instanceof CloudError && /NotFound/.test(err.code)) return;
      throw describeFailure(`ConsistentSnapshotGroup ${props.name ?? id}`, err);
    }
  },
};

