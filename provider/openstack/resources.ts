// The Pulumi resource classes users declare for OpenStack. Each policy is recorded on its server as one
// Nova metadata item (`pulumi-recovery:…`), where the runner (`pulumi-recovery watch --cloud openstack`)
// finds it; the lifecycles live in handlers.ts. Every input and output is documented here.
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";
import type { TimeoutsArgs } from "../core/resourceArgs";

export const serverBackupPolicyProvider = dynamicProvider("openstack:ServerBackupPolicy");
export const serverRecoveryPolicyProvider = dynamicProvider("openstack:ServerRecoveryPolicy");
export const serverSuspendScheduleProvider = dynamicProvider("openstack:ServerSuspendSchedule");

type In<T> = pulumi.Input<T>;

/** Where the OpenStack connection comes from, when not the stack's `openstack:` config, OS_CLOUD or OS_* variables. */
export interface OpenStackConnectionArgs {
  /** A clouds.yaml entry (openstacksdk's search path: ./, ~/.config/openstack/, /etc/openstack/). Default: stack config `openstack:cloud` or OS_CLOUD. */
  cloud?: In<string>;
  /** The catalog region. Default: stack config `openstack:region`, the cloud's region_name, or OS_REGION_NAME. */
  region?: In<string>;
}

/** What every OpenStack policy reports besides its inputs. */
export interface ServerPolicyOutputs {
  /** The server's metadata key holding the policy (under `pulumi-recovery:`). */
  policyKey: string;
  /** The server's name, as Nova reports it. */
  serverName: string;
  /** The server's status (ACTIVE, SHUTOFF, ERROR, RESCUE, SUSPENDED, …) when last read. */
  serverStatus: string;
}

// ---- ServerBackupPolicy ----

/** The inputs of a ServerBackupPolicy. */
export interface ServerBackupPolicyArgs extends OpenStackConnectionArgs {
  /** The Nova server to back up (its UUID, e.g. an `openstack.compute.Instance`'s `id`). Replaces the policy. */
  serverId: In<string>;
  /**
   * When backups are due: a duration of at least "1h" ("12h", "1d": slots counted from the Unix epoch) or a
   * five-field cron expression ("0 2 * * *") in `timezone`. Checked at preview: it must fire, and at most
   * hourly. The runner makes one backup per slot, the first on its first pass. In place.
   */
  schedule: In<string>;
  /** IANA time zone of a cron `schedule` (default "UTC"). In place. */
  timezone?: In<string>;
  /** Nova's `backup_type`: names the rotation group, 1-64 of letters, digits, `_`, `-` (default "scheduled"). One policy per type and server. Replaces the policy. */
  backupType?: In<string>;
  /** Backups of this type Nova keeps, 1-100 (default 7): after each backup Nova itself deletes the oldest beyond it. In place. */
  rotation?: In<number>;
  /** Backup image names start with this: `<prefix>-<backupType>-<slot, UTC>` (default: the resource name). At most 128 characters. In place. */
  namePrefix?: In<string>;
  /** Delete the backups this policy made when it is destroyed (default false: they are kept, and Nova's rotation no longer runs for them). In place. */
  deleteBackupsOnDestroy?: In<boolean>;
  /** Operation timeouts: how long to wait for a task on the server (a backup uploading) before writing its metadata. In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a ServerBackupPolicy (besides its inputs). */
export interface ServerBackupPolicyOutputs extends ServerPolicyOutputs {
  /** The newest active backup image of this type (Glance image id); absent before the first one. */
  latestBackupImageId?: string;
  /** When the newest backup was created (Glance `created_at`). */
  latestBackupAt?: string;
  /** Active backups of this type the server has (at most `rotation` once Nova has rotated). */
  backupCount: number;
  /** The schedule's next slot (ISO 8601), when it was last read. */
  nextBackupAt?: string;
}

/** Backups of a Nova server on a schedule through createBackup with rotation, made by the runner. */
export class ServerBackupPolicy extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly backupType: pulumi.Output<string>;
  declare readonly rotation: pulumi.Output<number>;
  declare readonly policyKey: pulumi.Output<string>;
  declare readonly serverName: pulumi.Output<string>;
  declare readonly serverStatus: pulumi.Output<string>;
  declare readonly latestBackupImageId: pulumi.Output<string | undefined>;
  declare readonly latestBackupAt: pulumi.Output<string | undefined>;
  declare readonly backupCount: pulumi.Output<number>;
  declare readonly nextBackupAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: ServerBackupPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, namePrefix: args.namePrefix ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["policyKey", "serverName", "serverStatus", "latestBackupImageId", "latestBackupAt", "backupCount", "nextBackupAt"]) props[k] = undefined;
    super(serverBackupPolicyProvider, name, props, { deleteBeforeReplace: true, ...opts }, "pulumi-recovery", "ServerBackupPolicy");
  }
}

// ---- ServerRecoveryPolicy ----

/** A health check the runner makes of a protected server on every pass. Exactly one of `http`, `tcp`. */
export interface HealthProbeArgs {
  /** GET this URL; any 2xx/3xx is healthy. `{ip}` stands for the server's first fixed IPv4 address, e.g. "http://{ip}:8080/healthz". At most 160 characters. */
  http?: In<string>;
  /** Open a TCP connection to `host:port`, e.g. "{ip}:22". */
  tcp?: In<string>;
  /** Consecutive failed passes before the policy acts, 1-20 (default 3). */
  failuresBeforeAction?: In<number>;
  /** How long one check may take, "1s" to "60s" (default "5s"). */
  timeout?: In<string>;
}

/** The inputs of a ServerRecoveryPolicy. */
export interface ServerRecoveryPolicyArgs extends OpenStackConnectionArgs {
  /** The Nova server to protect (its UUID). Replaces the policy. */
  serverId: In<string>;
  /**
   * What the runner does when the server fails: `rescue` (Nova boots it from `rescueImageId` with its own
   * disk attached as the second disk, for an operator to repair; `pulumi-recovery unrescue <server>` ends
   * it) or `rebuild-from-backup` (Nova rebuilds it from its newest active backup image). In place.
   */
  action: In<"rescue" | "rebuild-from-backup">;
  /** The image a rescue boots from (required with `rescue`), e.g. a small Linux with repair tools. In place. */
  rescueImageId?: In<string>;
  /** Act when the server's status is ERROR (default true). In place. */
  onError?: In<boolean>;
  /** The server should run: act when it is SHUTOFF (default false). In place. */
  expectRunning?: In<boolean>;
  /** Act when this probe fails `failuresBeforeAction` passes in a row (checked only while the server is ACTIVE). In place. */
  healthProbe?: In<HealthProbeArgs>;
  /** With `rebuild-from-backup`: rebuild from backups of this type only (default: any type). In place. */
  backupType?: In<string>;
  /** After acting, leave the server alone this long, a duration of at least "1m" (default "30m"). In place. */
  cooldown?: In<string>;
  /** Operation timeouts: how long to wait for a task on the server before writing its metadata. In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a ServerRecoveryPolicy (besides its inputs). */
export type ServerRecoveryPolicyOutputs = ServerPolicyOutputs;

/** What the runner does when a Nova server fails (ERROR, SHUTOFF while it should run, or a failed health probe): rescue it, or rebuild it from its newest backup. */
export class ServerRecoveryPolicy extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly action: pulumi.Output<string>;
  declare readonly policyKey: pulumi.Output<string>;
  declare readonly serverName: pulumi.Output<string>;
  declare readonly serverStatus: pulumi.Output<string>;

  constructor(name: string, args: ServerRecoveryPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["policyKey", "serverName", "serverStatus"]) props[k] = undefined;
    super(serverRecoveryPolicyProvider, name, props, { deleteBeforeReplace: true, ...opts }, "pulumi-recovery", "ServerRecoveryPolicy");
  }
}

// ---- ServerSuspendSchedule ----

/** The inputs of a ServerSuspendSchedule. */
export interface ServerSuspendScheduleArgs extends OpenStackConnectionArgs {
  /** The Nova server (its UUID). Replaces the schedule. */
  serverId: In<string>;
  /**
   * `suspend` (default): the server's state is stored on disk, all memory is written to disk and the
   * server is stopped, like hibernation; Nova keeps its resources for the resume (nova api-ref
   * servers.inc SUSPENDED). `pause`: the server's state is stored in RAM and it continues to run in a
   * frozen state (PAUSED); unpausing is immediate. Neither frees the host's resources: that is shelving.
   * In place.
   */
  mode?: In<"suspend" | "pause">;
  /** When to suspend (or pause): a five-field cron expression in `timezone`, e.g. "0 20 * * 1-5" (weeknights). Checked at preview: it must fire. In place. */
  suspendAt: In<string>;
  /** When to resume (or unpause): a cron expression, e.g. "0 7 * * 1-5". In place. */
  resumeAt: In<string>;
  /** IANA time zone of both expressions (default "UTC"). In place. */
  timezone?: In<string>;
  /** Operation timeouts: how long to wait for a task on the server before writing its metadata. In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a ServerSuspendSchedule (besides its inputs). */
export interface ServerSuspendScheduleOutputs extends ServerPolicyOutputs {
  /** The next suspend (ISO 8601), when it was last read. */
  nextSuspendAt?: string;
  /** The next resume (ISO 8601), when it was last read. */
  nextResumeAt?: string;
}

/** Suspends (or pauses) a Nova server on a schedule and resumes it on another: nights, weekends. The runner acts once per scheduled time, so an operator's resume in between stands. */
export class ServerSuspendSchedule extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly mode: pulumi.Output<string>;
  declare readonly policyKey: pulumi.Output<string>;
  declare readonly serverName: pulumi.Output<string>;
  declare readonly serverStatus: pulumi.Output<string>;
  declare readonly nextSuspendAt: pulumi.Output<string | undefined>;
  declare readonly nextResumeAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: ServerSuspendScheduleArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["policyKey", "serverName", "serverStatus", "nextSuspendAt", "nextResumeAt"]) props[k] = undefined;
    super(serverSuspendScheduleProvider, name, props, { deleteBeforeReplace: true, ...opts }, "pulumi-recovery", "ServerSuspendSchedule");
  }
}
