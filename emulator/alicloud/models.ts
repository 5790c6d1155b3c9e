// Alibaba Cloud state: ECS instances with disks and a simulated file system, RAM roles and policies,
// instance role attachments, Cloud Assistant invocations, snapshot groups and their snapshots.
// Time-driven status is derived from the emulated clock when read.
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock";
import { ClientTokens } from "../idempotency";

export class AcsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AlicloudOptions {
  region: string;
  /** Emulated seconds a Cloud Assistant invocation runs. */
  invocationSeconds: number;
  /** Emulated seconds from CreateSnapshotGroup to accomplished. */
  snapshotGroupSeconds: number;
  /** Snapshot groups that may still be created (quota; plugin exit code 14 when spent). */
  snapshotQuota: number;
  /** Make new snapshot groups fail (status failed). */
  failSnapshotGroups: boolean;
}

export function defaultAlicloudOptions(): AlicloudOptions {
  return { region: "cn-hangzhou", invocationSeconds: 5, snapshotGroupSeconds: 30, snapshotQuota: 1000, failSnapshotGroups: false };
}

export interface Disk {
  DiskId: string;
  Category: string; // cloud_essd, cloud_efficiency, cloud_ssd, …
  FileSystem: string; // ext4, xfs, ext3, ntfs, nfs, …
  Size: number;
  Type: "system" | "data";
  Device: string;
}

export interface FileEntry {
  content: string;
  owner: string;
  mode: string; // octal, e.g. "700"
  /** For scripts: the exit code they end with when run. */
  exitCode: number;
}

export interface Instance {
  InstanceId: string;
  InstanceName: string;
  OSType: "linux" | "windows";
  Status: string;
  agentInstalled: boolean;
  disks: Disk[];
  files: Record<string, FileEntry>;
  /** Admin: make the plugin end with this exit code (drills). */
  forcedExitCode?: number;
  /** Admin: invocations hang until their Timeout (a freeze that never returns). */
  hangInvocations?: boolean;
}

export interface Role {
  RoleName: string;
  RoleId: string;
  Arn: string;
  AssumeRolePolicyDocument: string;
  Description: string;
  CreateDate: string;
  policies: Set<string>;
}

export interface Policy {
  PolicyName: string;
  PolicyDocument: string;
  Description: string;
  CreateDate: string;
}

export interface Snapshot {
  SnapshotId: string;
  SourceDiskId: string;
  InstantAccess: boolean;
  Tags: { Key: string; Value: string }[];
}

export interface SnapshotGroup {
  SnapshotGroupId: string;
  Name: string;
  Description: string;
  InstanceId: string;
  createdAt: number;
  readyAt: number;
  failed: boolean;
  snapshots: Snapshot[];
}

export interface InvocationResult {
  InstanceId: string;
  startAt: number;
  finishAt: number;
  ExitCode: number;
  Output: string;
  ErrorCode: string;
  ErrorInfo: string;
  /** "Success" | "Failed" | "Error" once finished. */
  outcome: "Success" | "Failed" | "Error";
  stopped?: boolean;
}

export interface Invocation {
  InvokeId: string;
  CommandId: string;
  Name: string;
  Type: string;
  CommandContent: string;
  Timeout: number;
  createdAt: number;
  results: InvocationResult[];
}

export const newId = (prefix: string) => `${prefix}-${randomBytes(10).toString("hex").slice(0, 20)}`;

export class AlicloudModel {
  opts: AlicloudOptions;
  instances = new Map<string, Instance>();
  roles = new Map<string, Role>();
  policies = new Map<string, Policy>();
  /** instanceId → RAM role name. */
  instanceRoles = new Map<string, string>();
  invocations = new Map<string, Invocation>();
  groups = new Map<string, SnapshotGroup>();
  readonly tokens = new ClientTokens((kind) =>
    kind === "malformed"
      ? new AcsError("InvalidClientToken.Malformed", 400, "ClientToken is at most 64 ASCII characters.")
      : new AcsError("IdempotentParameterMismatch", 400, "The same ClientToken was used with different parameters."),
  );

  constructor(
    readonly clock: Clock,
    private readonly initial: Partial<AlicloudOptions> = {},
  ) {
    this.opts = { ...defaultAlicloudOptions(), ...initial };
    this.seed();
  }

  reset(): void {
    this.opts = { ...defaultAlicloudOptions(), ...this.initial };
    for (const m of [this.instances, this.roles, this.policies, this.instanceRoles, this.invocations, this.groups, this.tokens]) m.clear();
    this.seed();
  }

  /** Two instances to drill on: a Linux database with two ESSD disks, and a Windows server. */
  private seed(): void {
    this.addInstance({ InstanceId: "i-emu-db-linux", InstanceName: "db", OSType: "linux", disks: [{ Category: "cloud_essd", FileSystem: "ext4", Size: 40 }, { Category: "cloud_essd", FileSystem: "xfs", Size: 100 }] });
    this.addInstance({ InstanceId: "i-emu-app-windows", InstanceName: "app", OSType: "windows", disks: [{ Category: "cloud_essd", FileSystem: "ntfs", Size: 60 }] });
  }

  addInstance(spec: {
    InstanceId?: string;
    InstanceName?: string;
    OSType?: "linux" | "windows";
    agentInstalled?: boolean;
    disks?: { DiskId?: string; Category?: string; FileSystem?: string; Size?: number }[];
  }): Instance {
    const InstanceId = spec.InstanceId ?? newId("i");
    const disks = (spec.disks?.length ? spec.disks : [{}]).map((d, i) => ({
      DiskId: d.DiskId ?? newId("d"),
      Category: d.Category ?? "cloud_essd",
      FileSystem: d.FileSystem ?? (spec.OSType === "windows" ? "ntfs" : "ext4"),
      Size: d.Size ?? 40,
      Type: (i === 0 ? "system" : "data") as "system" | "data",
      Device: `/dev/vd${String.fromCharCode(97 + i)}`,
    }));
    const inst: Instance = { InstanceId, InstanceName: spec.InstanceName ?? InstanceId, OSType: spec.OSType ?? "linux", Status: "Running", agentInstalled: spec.agentInstalled ?? true, disks, files: {} };
    this.instances.set(InstanceId, inst);
    return inst;
  }

  instance(id: string): Instance {
    const inst = this.instances.get(id);
    if (!inst) throw new AcsError("InvalidInstanceId.NotFound", 404, `The specified instance ${id} does not exist.`);
    return inst;
  }

  groupStatus(g: SnapshotGroup): "progressing" | "accomplished" | "failed" {
    if (g.failed && this.clock.now() >= g.readyAt) return "failed";
    return this.clock.now() < g.readyAt ? "progressing" : "accomplished";
  }

  createSnapshotGroup(req: { InstanceId: string; Name?: string; Description?: string; ExcludeDiskIds?: string[]; DiskIds?: string[]; InstantAccess?: boolean; tags?: { Key: string; Value: string }[] }): SnapshotGroup {
    const inst = this.instance(req.InstanceId);
    const disks = inst.disks.filter((d) => (req.DiskIds?.length ? req.DiskIds.includes(d.DiskId) : !req.ExcludeDiskIds?.includes(d.DiskId)));
    const now = this.clock.now();
    const g: SnapshotGroup = {
      SnapshotGroupId: newId("ssg"),
      Name: req.Name ?? "",
      Description: req.Description ?? "",
      InstanceId: inst.InstanceId,
      createdAt: now,
      readyAt: now + this.opts.snapshotGroupSeconds * 1000,
      failed: this.opts.failSnapshotGroups,
      snapshots: disks.map((d) => ({ SnapshotId: newId("s"), SourceDiskId: d.DiskId, InstantAccess: Boolean(req.InstantAccess), Tags: [...(req.tags ?? [])] })),
    };
    this.groups.set(g.SnapshotGroupId, g);
    return g;
  }
}
