// Cloud Assistant invocations. One result per instance moves Pending → Running → a final status over
// emulated time. A run's effects on the instance happen when it starts: `settle(now)` executes, in start
// order, every run whose start time has passed, through the guest runner (the simulated
// acs-plugin-manager), before any request reads or changes state — so effects land in the order they
// would have. Statuses, ErrorCode and ErrorInfo wording from the DescribeInvocationResults reference
// (AlibabaCloudDocs/ecs, API参考/云助手/DescribeInvocationResults.md).
import type { Clock } from "../../clock";
import { AcsError } from "../errors";
import { newId, type Tag } from "../ecs/model";

export interface AssistantSettings {
  /** Emulated seconds from RunCommand until a command starts (Pending). */
  invocationDeliverySeconds: number;
  /** Emulated seconds a command runs (Running). */
  invocationSeconds: number;
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

export type ResultStatus = "Pending" | "Running" | "Success" | "Failed" | "Aborted" | "Timeout" | "Cancelled" | "Terminated";

export interface InvocationResult {
  InstanceId: string;
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

  create(req: Omit<Invocation, "InvokeId" | "CommandId" | "createdAt" | "results"> & { instanceIds: string[] }): Invocation {
    const now = this.clock.now();
    const { instanceIds, ...rest } = req;
    const inv: Invocation = {
      ...rest,
      InvokeId: newId("t"),
      CommandId: newId("c"),
      createdAt: now,
      results: instanceIds.map((InstanceId) => ({ InstanceId, startAt: now + this.settings.invocationDeliverySeconds * 1000 })),
    };
    this.invocations.set(inv.InvokeId, inv);
    return inv;
  }

  /** Starts every run whose time has come, oldest first. */
  settle(now = this.clock.now()): void {
    const due = [...this.invocations.values()]
      .flatMap((inv) => inv.results.map((r) => ({ inv, r })))
      .filter(({ r }) => !r.run && r.stoppedAt === undefined && r.startAt <= now)
      .sort((a, b) => a.r.startAt - b.r.startAt);
    for (const { inv, r } of due) {
      const run = this.guest(r.InstanceId, inv, r.startAt);
      r.run = run;
      const runMs = this.settings.invocationSeconds * 1000;
      r.finishAt = run.abort ? r.startAt : r.startAt + (run.hang ? inv.Timeout * 1000 : Math.min(runMs, inv.Timeout * 1000));
    }
  }

  invocation(id: string, region: string): Invocation {
    const inv = this.invocations.get(id);
    if (!inv || inv.RegionId !== region) throw new AcsError("InvalidInvokeId.NotFound", 404, "The specified invoke ID does not exist.");
    return inv;
  }

  /** StopInvocation: a run not yet started is Cancelled, a running one Terminated. */
  stop(inv: Invocation, instanceIds: string[]): void {
    const now = this.clock.now();
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
    const statuses = inv.results.map((r) => this.view(inv, r, now).status);
    if (statuses.includes("Pending")) return "Pending";
    if (statuses.includes("Running")) return "Running";
    const stopped = (s: ResultStatus) => s === "Cancelled" || s === "Terminated";
    if (statuses.every(stopped)) return "Stopped";
    const successes = statuses.filter((s) => s === "Success").length;
    if (successes && statuses.every((s) => s === "Success" || stopped(s))) return "Success";
    return successes ? "PartialFailed" : "Failed";
  }
}
