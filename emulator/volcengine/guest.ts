// The guest side of a Volcengine instance, for Cloud Assistant (ecs 2020-04-01: CreateCommand,
// InvokeCommand, RunCommand, DescribeInvocationResults, DeleteCommand, StopInvocation; API-NOTES
// "Corrections": statuses Pending | Running | Success | Failed | Timeout).
//
// What the guest does is simulated: each volume has a page cache of writes that have not reached the
// disk yet (`buffered`). A snapshot or an image copies only what is on the disk, so buffered data is
// lost unless the guest flushes first. A command flushes the cache when its script matches the
// `guestFlushPattern` setting (sync, fsfreeze, a database checkpoint…); everything else just runs.
// Invocations take effect on the emulated clock (settled lazily, no timers): Pending until delivered,
// Running for `invocationSeconds`, then Success or Failed by the exit code set for the instance, or
// Timeout when the instance hangs or the run outlasts the command's Timeout.
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import { ApiError, invalidParameter } from "./errors";

export interface Command {
  CommandId: string;
  Name: string;
  Type: string;
  /** Base64, as CreateCommand takes it. */
  CommandContent: string;
  Timeout: number;
  Tags: { Key: string; Value: string }[];
  createdAt: number;
}

export interface InvocationResult {
  InvocationResultId: string;
  InstanceId: string;
  startAt: number;
  endAt: number;
  exitCode: number;
  timedOut: boolean;
  stoppedAt?: number;
  applied: boolean;
  output: string;
}

export interface Invocation {
  InvocationId: string;
  InvocationName: string;
  CommandId: string;
  Tags: { Key: string; Value: string }[];
  createdAt: number;
  results: InvocationResult[];
}

/** What tests set on a guest: how its commands end, and whether its agent answers at all. */
export interface GuestBehaviour {
  exitCode: number;
  hang: boolean;
  agentInstalled: boolean;
}

export interface GuestOptions {
  /** Emulated seconds from InvokeCommand until the command runs on the instance. */
  invocationDeliverySeconds: number;
  /** Emulated seconds a command runs. */
  invocationSeconds: number;
  /** A script matching this (a regular expression) flushes the guest's page cache to its disks. */
  guestFlushPattern: string;
}

const id = (prefix: string) => `${prefix}-${randomBytes(10).toString("hex").slice(0, 20)}`;

export class GuestModel {
  commands = new Map<string, Command>();
  invocations = new Map<string, Invocation>();
  behaviour = new Map<string, GuestBehaviour>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: () => GuestOptions,
    /** Flushes an instance's buffered writes to its volumes; false when the instance is gone. */
    private readonly flush: (instanceId: string) => boolean,
  ) {}

  reset(): void {
    this.commands.clear();
    this.invocations.clear();
    this.behaviour.clear();
  }

  createCommand(req: { Name: string; Type: string; CommandContent: string; Timeout?: number; Tags: { Key: string; Value: string }[] }): Command {
    if (!["Shell", "Python", "Bat", "PowerShell"].includes(req.Type)) throw invalidParameter("Type", "Shell, Python, Bat or PowerShell");
    // CommandContent is base64 of at most 16 KB; Timeout 30..86400, default 60 (API-NOTES "Corrections").
    if (Buffer.from(req.CommandContent, "base64").length > 16 * 1024) throw invalidParameter("CommandContent", "at most 16 KB");
    const Timeout = req.Timeout ?? 60;
    if (Timeout < 30 || Timeout > 86400) throw invalidParameter("Timeout", "30 to 86400 seconds");
    const cmd: Command = { CommandId: id("cmd"), Name: req.Name, Type: req.Type, CommandContent: req.CommandContent, Timeout, Tags: req.Tags, createdAt: this.clock.now() };
    this.commands.set(cmd.CommandId, cmd);
    return cmd;
  }

  getCommand(commandId: string): Command {
    const c = this.commands.get(commandId);
    if (!c) throw new ApiError("InvalidCommand.NotFound", 404, `The specified command ${commandId} does not exist.`);
    return c;
  }

  deleteCommand(commandId: string): void {
    this.getCommand(commandId);
    this.commands.delete(commandId);
  }

  invoke(req: { CommandId: string; InstanceIds: string[]; InvocationName: string; Timeout?: number; Tags: { Key: string; Value: string }[] }, instanceExists: (id: string) => boolean): Invocation {
    const cmd = this.getCommand(req.CommandId);
    if (req.InstanceIds.length === 0) throw invalidParameter("InstanceIds.N", "at least one instance");
    for (const i of req.InstanceIds) if (!instanceExists(i)) throw new ApiError("InvalidInstance.NotFound", 404, `The specified instance ${i} does not exist.`);
    const now = this.clock.now();
    const o = this.opts();
    const timeout = (req.Timeout ?? cmd.Timeout) * 1000;
    const script = Buffer.from(cmd.CommandContent, "base64").toString("utf8");
    const flushes = new RegExp(o.guestFlushPattern).test(script);
    const inv: Invocation = {
      InvocationId: id("ivk"),
      InvocationName: req.InvocationName,
      CommandId: cmd.CommandId,
      Tags: req.Tags,
      createdAt: now,
      results: req.InstanceIds.map((InstanceId) => {
        const b = this.behaviour.get(InstanceId) ?? { exitCode: 0, hang: false, agentInstalled: true };
        const startAt = now + o.invocationDeliverySeconds * 1000;
        const runMs = o.invocationSeconds * 1000;
        const timedOut = b.hang || runMs > timeout;
        return {
          InvocationResultId: id("ivr"),
          InstanceId,
          startAt,
          endAt: startAt + (timedOut ? timeout : runMs),
          exitCode: timedOut ? -1 : b.exitCode,
          timedOut,
          applied: !b.agentInstalled || !flushes, // nothing to apply when the script does not flush
          output: b.agentInstalled ? `ran ${cmd.Name}${flushes ? ": page cache flushed" : ""}\n` : "",
        };
      }),
    };
    // An instance without the agent never starts the command: it stays Pending (the client's wait times out).
    for (const r of inv.results) if (!(this.behaviour.get(r.InstanceId)?.agentInstalled ?? true)) r.startAt = r.endAt = Number.MAX_SAFE_INTEGER;
    this.invocations.set(inv.InvocationId, inv);
    return inv;
  }

  getInvocation(invocationId: string): Invocation {
    const inv = this.invocations.get(invocationId);
    if (!inv) throw new ApiError("InvalidInvocation.NotFound", 404, `The specified invocation ${invocationId} does not exist.`);
    return inv;
  }

  stop(invocationId: string): void {
    const inv = this.getInvocation(invocationId);
    const now = this.clock.now();
    for (const r of inv.results) if (now < r.endAt) r.stoppedAt = now;
  }

  /** The result's status now (and a flushing script's effect, once it has ended successfully). */
  status(r: InvocationResult): "Pending" | "Running" | "Success" | "Failed" | "Timeout" | "Stopped" {
    const now = this.clock.now();
    if (r.stoppedAt !== undefined) return "Stopped";
    if (now < r.startAt) return "Pending";
    if (now < r.endAt) return "Running";
    if (r.timedOut) return "Timeout";
    return r.exitCode === 0 ? "Success" : "Failed";
  }

  /** Applies every finished flush due by now (called before each request). */
  settle(): void {
    for (const inv of this.invocations.values()) {
      for (const r of inv.results) {
        if (r.applied || this.status(r) !== "Success") continue;
        r.applied = true;
        this.flush(r.InstanceId);
      }
    }
  }
}
