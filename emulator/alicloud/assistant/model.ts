// Cloud Assistant invocations. One result per instance moves Pending → Running → a final status over
// emulated time. A run's effects on the instance happen when it starts: `settle(now)` executes, in start
// order, every run whose start time has passed, through the guest runner (the simulated
// acs-plugin-manager), before any request reads or changes state — so effects land in the order they
// would have. Statuses, ErrorCode and ErrorInfo wording from the DescribeInvocationResults reference
// (AlibabaCloudDocs/ecs, API参考/云助手/DescribeInvocationResults.md).
import type { Clock } from "../../clock";
import { AcsError } from "../errors";
import { newId, type Tag } from "../ecs/model";
import { fireTimes, firesAfter, type AgentRefusal, type Schedule } from "./periodic";

export interface AssistantSettings {
  /** Emulated seconds from RunCommand until a command starts (Pending). */
  invocationDeliverySeconds: number;
  /** Emulated seconds a command runs (Running). */
  invocationSeconds: number;
  /** Periodic invocations: the most fire times one settle catches up after a jump of the clock (the rest are dropped). */
  maxCatchUpRuns: number;
}

/** What a command did on the instance, as the guest reports it. */
export interface GuestRun {
  exitCode: number;
  output: string;
  /** Cloud Assistant could not run the command at all (e.g. ClientNotRunning): the run is Aborted. */
  abort?: { errorCode: string; errorInfo: string };
  /** The command never returns (a freeze that hangs): it ends in Timeout. */
  hang?: boolean;
  /** When the command ran a plugin through acs-plugin-manager: the argument list the plugin received. */
  pluginArgv?: string[];
}

export type GuestRunner = (instanceId: string, inv: Invocation, at: number) => GuestRun;

export type ResultStatus = "Pending" | "Running" | "Success" | "Failed" | "Aborted" | "Timeout" | "Cancelled" | "Terminated" | "Scheduled" | "Invalid";

export interface InvocationResult {
  InstanceId: string;
  /** Periodic invocations: which run of the schedule this is (1-based); absent for other modes. */
  execution?: number;
  startAt: number;
  /** Set when the run starts (settle). */
  run?: GuestRun;
  finishAt?: number;
  stoppedAt?: number;
}

export interface Invocation {
  InvokeId: string;
  CommandId: string;
  RegionId: string;
  Name: string;
  Description: string;
  Type: string;
  /** Decoded command text. */
  CommandContent: string;
  Timeout: number;
  RepeatMode: string;
  Username: string;
  createdAt: number;
  tags: Tag[];
  results: InvocationResult[];
  /** Periodic (RepeatMode Period, periodic.ts): the Frequency as given, its schedule or the agent's refusal. */
  Frequency?: string;
  schedule?: Schedule;
  refusal?: AgentRefusal;
  /** Periodic: the instances it runs on, and how far its fire times have been taken into account. */
  instanceIds?: string[];
  scheduledUpTo?: number;
  /** Periodic: StopInvocation for every instance: no more runs. */
  stoppedAt?: number;
}

const ERROR_INFO: Record<string, string> = {
  ExitCodeNonzero: "the command execution exit code is not zero.",
  ExecutionTimeout: "the command execution has been timeout",
};

export interface ResultView {
  status: ResultStatus;
  /** InvokeRecordStatus: Running, Finished, Failed or Stopped. */
  record: "Running" | "Finished" | "Failed" | "Stopped";
  exitCode: number;
  output: string;
  errorCode: string;
  errorInfo: string;
  startTime?: number;
  finishTime?: number;
  stopTime?: number;
}

export class AssistantModel {
  readonly invocations = new Map<string, Invocation>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: AssistantSettings,
    private readonly guest: GuestRunner,
  ) {}

  reset(): void {
    this.invocations.clear();
  }

  create(req: Omit<Invocation, "InvokeId" | "CommandId" | "createdAt" | "results" | "instanceIds"> & { instanceIds: string[] }): Invocation {
    const now = this.clock.now();
    const { instanceIds, ...rest } = req;
    const periodic = req.RepeatMode === "Period";
    const inv: Invocation = {
      ...rest,
      InvokeId: newId("t"),
      CommandId: newId("c"),
      createdAt: now,
      // A periodic invocation runs only when its schedule fires (a rate never at creation: ratescheduled.go).
      results: periodic ? [] : instanceIds.map((InstanceId) => ({ InstanceId, startAt: now + this.settings.invocationDeliverySeconds * 1000 })),
      ...(periodic ? { instanceIds: [...instanceIds], scheduledUpTo: now } : {}),
    };
    this.invocations.set(inv.InvokeId, inv);
    return inv;
  }

  /**
   * Starts every run whose time has come, oldest first: one-off runs, and the fire times of periodic
   * invocations up to now. A periodic run still going when its next time comes makes the agent skip that
   * time (scheduletask.go startExclusiveInvocation).
   */
  settle(now = this.clock.now()): void {
    type Due = { at: number; inv: Invocation; r?: InvocationResult };
    const due: Due[] = [...this.invocations.values()].flatMap((inv) => inv.results.filter((r) => !r.run && r.stoppedAt === undefined && r.startAt <= now).map((r) => ({ at: r.startAt, inv, r })));
    for (const inv of this.invocations.values()) {
      if (!inv.schedule || inv.stoppedAt !== undefined || inv.scheduledUpTo! >= now) continue;
      for (const at of fireTimes(inv.schedule, inv.createdAt, inv.scheduledUpTo!, now, this.settings.maxCatchUpRuns)) due.push({ at, inv });
      inv.scheduledUpTo = now;
    }
    due.sort((a, b) => a.at - b.at);
    for (const d of due) {
      if (d.r) this.start(d.inv, d.r);
      else
        for (const InstanceId of d.inv.instanceIds ?? []) {
          const last = this.latest(d.inv, InstanceId);
          if (last && (!last.run || last.finishAt! > d.at) && last.stoppedAt === undefined) continue; // overlapping: skipped
          const r: InvocationResult = { InstanceId, execution: (last?.execution ?? 0) + 1, startAt: d.at };
          d.inv.results.push(r);
          this.start(d.inv, r);
        }
    }
  }

  private start(inv: Invocation, r: InvocationResult): void {
    const run = this.guest(r.InstanceId, inv, r.startAt);
    r.run = run;
    const runMs = this.settings.invocationSeconds * 1000;
    r.finishAt = run.abort ? r.startAt : r.startAt + (run.hang ? inv.Timeout * 1000 : Math.min(runMs, inv.Timeout * 1000));
  }

  /** A periodic invocation's newest run on an instance. */
  latest(inv: Invocation, instanceId: string): InvocationResult | undefined {
    let out: InvocationResult | undefined;
    for (const r of inv.results) if (r.InstanceId === instanceId && (!out || (r.execution ?? 0) > (out.execution ?? 0))) out = r;
    return out;
  }

  /** Whether a periodic invocation can still run (not stopped, not refused, a fire time ahead). */
  scheduled(inv: Invocation, now = this.clock.now()): boolean {
    return Boolean(inv.schedule) && inv.stoppedAt === undefined && firesAfter(inv.schedule!, now);
  }

  invocation(id: string, region: string): Invocation {
    const inv = this.invocations.get(id);
    if (!inv || inv.RegionId !== region) throw new AcsError("InvalidInvokeId.NotFound", 404, "The specified invoke ID does not exist.");
    return inv;
  }

  /** StopInvocation: a run not yet started is Cancelled, a running one Terminated; a periodic one stops firing. */
  stop(inv: Invocation, instanceIds: string[]): void {
    const now = this.clock.now();
    if (inv.RepeatMode === "Period") {
      // Stopping it on some instances only: those leave the schedule; on all (or none named), it ends.
      if (instanceIds.length) inv.instanceIds = (inv.instanceIds ?? []).filter((i) => !instanceIds.includes(i));
      if (!instanceIds.length || !inv.instanceIds?.length) inv.stoppedAt ??= now;
    }
    for (const r of inv.results) {
      if (instanceIds.length && !instanceIds.includes(r.InstanceId)) continue;
      const v = this.view(inv, r, now);
      if (v.status === "Pending" || v.status === "Running") r.stoppedAt = now;
    }
  }

  view(inv: Invocation, r: InvocationResult, now = this.clock.now()): ResultView {
    const empty = { exitCode: 0, output: "", errorCode: "", errorInfo: "" };
    if (r.stoppedAt !== undefined && (!r.run || r.stoppedAt < r.finishAt!)) {
      const started = r.run !== undefined;
      return { ...empty, status: started ? "Terminated" : "Cancelled", record: "Stopped", startTime: started ? r.startAt : undefined, stopTime: r.stoppedAt, finishTime: r.stoppedAt };
    }
    if (!r.run) return { ...empty, status: "Pending", record: "Running" };
    const run = r.run;
    if (run.abort) return { ...empty, status: "Aborted", record: "Failed", errorCode: run.abort.errorCode, errorInfo: run.abort.errorInfo, finishTime: r.finishAt };
    if (now < r.finishAt!) return { ...empty, status: "Running", record: "Running", startTime: r.startAt };
    const timedOut = run.hang || this.settings.invocationSeconds > inv.Timeout;
    if (timedOut) return { ...empty, status: "Timeout", record: "Failed", errorCode: "ExecutionTimeout", errorInfo: ERROR_INFO.ExecutionTimeout, output: run.output, startTime: r.startAt, finishTime: r.finishAt };
    const ok = run.exitCode === 0;
    return {
      status: ok ? "Success" : "Failed",
      record: "Finished",
      exitCode: run.exitCode,
      output: run.output,
      errorCode: ok ? "" : "ExitCodeNonzero",
      errorInfo: ok ? "" : ERROR_INFO.ExitCodeNonzero,
      startTime: r.startAt,
      finishTime: r.finishAt,
    };
  }

  /**
   * The overall status of an invocation over its instances: Pending/Running while any is; Success when
   * all ended Success or Stopped with one Success; Stopped when all were stopped; Failed when none
   * succeeded; PartialFailed otherwise.
   */
  overall(inv: Invocation, now = this.clock.now()): string {
    if (inv.RepeatMode === "Period") return this.overallPeriodic(inv, now);
    const statuses = inv.results.map((r) => this.view(inv, r, now).status);
    if (statuses.includes("Pending")) return "Pending";
    if (statuses.includes("Running")) return "Running";
    const stopped = (s: ResultStatus) => s === "Cancelled" || s === "Terminated";
    if (statuses.every(stopped)) return "Stopped";
    const successes = statuses.filter((s) => s === "Success").length;
    if (successes && statuses.every((s) => s === "Success" || stopped(s))) return "Success";
    return successes ? "PartialFailed" : "Failed";
  }

  /**
   * A periodic invocation's overall status (DescribeInvocationsRequest.invokeStatus): Running while a run
   * is, Stopped once stopped, Scheduled while more runs are ahead; once every time has passed, Success if the
   * newest runs succeeded, else Failed. One the agent refused is Failed.
   */
  private overallPeriodic(inv: Invocation, now: number): string {
    if (inv.refusal) return "Failed";
    const newest = [...new Set(inv.results.map((r) => r.InstanceId))].map((id) => this.view(inv, this.latest(inv, id)!, now).status);
    if (newest.includes("Running")) return "Running";
    if (inv.stoppedAt !== undefined && inv.stoppedAt <= now) return "Stopped";
    if (this.scheduled(inv, now)) return "Scheduled";
    return newest.length && newest.every((s) => s === "Success") ? "Success" : "Failed";
  }
}
