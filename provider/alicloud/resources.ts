// The Pulumi resource classes users declare for Alibaba Cloud. Their providers are the serializable shims
// from ../dynamic.ts; the lifecycles live in snapshotRole.ts and consistentSnapshotGroup/. Every input and
// output is documented here: format, range, default, and whether a change replaces the resource.
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";
import type { TimeoutsArgs } from "../core/resourceArgs";

export const snapshotRoleProvider = dynamicProvider("alicloud:SnapshotRole");
export const consistentSnapshotGroupProvider = dynamicProvider("alicloud:ConsistentSnapshotGroup");

type In<T> = pulumi.Input<T>;

/** The inputs of a SnapshotRole. */
export interface SnapshotRoleArgs {
  /** The RAM role's name: 1-64 letters, digits, `.` or `-`. Default: the resource name (or `adoptRoleName`). Replaces the role. */
  roleName?: In<string>;
  /**
   * Manage this existing RAM role (1-64 letters, digits, `.`, `-`) instead of creating one: its trust policy
   * must let `ecs.aliyuncs.com` assume it. The policy and the instance attachments are made and removed as
   * usual; delete leaves the role itself. Replaces the role.
   */
  adoptRoleName?: In<string>;
  /** The custom policy's name: 1-128 letters, digits or `-`. Default `<roleName>-snapshot` (dots become `-`). Replaces the role. */
  policyName?: In<string>;
  /** The role's description, at most 1024 characters. Replaces the role. */
  description?: In<string>;
  /** Instances (`i-…`, at most 100) to attach the role to (AttachInstanceRamRole). Default none. In place. */
  instanceIds?: In<In<string>[]>;
  /** Region of the instances (default: stack config `alicloud:region` or ALIBABA_CLOUD_REGION). Replaces the role. */
  region?: In<string>;
  /** Operation timeouts; `delete` also bounds how long RAM may keep refusing a delete right after a detach (default 5m). In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** The outputs of a SnapshotRole (besides its inputs). */
export interface SnapshotRoleOutputs {
  /** The role's name (also the resource id). */
  roleName: string;
  /** The role's ARN, `acs:ram::<account>:role/<name>`. */
  roleArn: string;
  /** The role's id. */
  roleId: string;
  /** The custom snapshot policy's name. */
  policyName: string;
  /** Every policy attached to the role, ours included. */
  attachedPolicies: string[];
  /** The instances among `instanceIds` the role is attached to. */
  attachedInstanceIds: string[];
  /** Whether this resource created the role (delete removes it only then); absent in state from 0.1.0, which always did. */
  roleCreated?: boolean;
  /** Whether this resource created the policy (delete removes it only then); absent in state from 0.1.0, which always did. */
  policyCreated?: boolean;
}

/** A RAM role ECS can assume, with the least-privilege snapshot policy, attached to instances. */
export class SnapshotRole extends pulumi.dynamic.Resource {
  declare readonly roleName: pulumi.Output<string>;
  declare readonly roleArn: pulumi.Output<string>;
  declare readonly roleId: pulumi.Output<string>;
  declare readonly policyName: pulumi.Output<string>;
  declare readonly attachedPolicies: pulumi.Output<string[]>;
  declare readonly attachedInstanceIds: pulumi.Output<string[]>;
  declare readonly roleCreated: pulumi.Output<boolean | undefined>;
  declare readonly policyCreated: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: SnapshotRoleArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, roleName: args.roleName ?? args.adoptRoleName ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["roleArn", "roleId", "attachedPolicies", "attachedInstanceIds", "roleCreated", "policyCreated"]) props[k] = undefined;
    super(snapshotRoleProvider, name, props, opts, "pulumi-recovery", "SnapshotRole");
  }
}

/** The inputs of a ConsistentSnapshotGroup. Every change but `timeouts` takes a new group. */
export interface ConsistentSnapshotGroupArgs {
  /** The instance (`i-…`) whose ESSD-family disks (ESSD, ESSD AutoPL, ESSD Entry, regional ESSD) are snapshotted. Replaces the group. */
  instanceId: In<string>;
  /** The RAM role attached to the instance, with snapshot permissions (SnapshotRole.roleName). Replaces the group. */
  ramRoleName: In<string>;
  /** `linux` (default: app-snapshot-plugin through RunShellScript) or `windows` (app-snapshot-plugin-win, RunBatScript). Replaces the group. */
  osType?: In<"linux" | "windows">;
  /** The group's name: 2-128 characters, starting with a letter; letters, digits, `.`, `_`, `-`, `:`. Default: the resource name. Replaces the group. */
  name?: In<string>;
  /** 2-256 characters, not starting with `http://`/`https://`; no control characters; printable ASCII only on Windows. Default none. Replaces the group. */
  description?: In<string>;
  /** Disks (`d-…`, at most 128) to leave out of the group (their file systems are still frozen). Default none. Replaces the group. */
  excludeDiskIds?: In<In<string>[]>;
  /** Deprecated by the cloud (ESSD-family snapshots are instantly available by default): accepted, passed on, and warned about. Replaces the group. */
  instantAccess?: In<boolean>;
  /** Deprecated with `instantAccess`: 1-65535 days; accepted, passed on, and warned about. Replaces the group. */
  instantAccessRetentionDays?: In<number>;
  /** Linux: freeze the file systems while the snapshots are taken (default true). Replaces the group. */
  enableFsFreeze?: In<boolean>;
  /** Linux: absolute path of the freeze script (root-owned, mode 700); with `postScriptPath`, both or neither. Replaces the group. */
  preScriptPath?: In<string>;
  /** Linux: absolute path of the thaw script (root-owned, mode 700); with `preScriptPath`, both or neither. Replaces the group. */
  postScriptPath?: In<string>;
  /** Linux: how long the freeze may last, 1-3600 seconds (the plugin's default, 30, when unset). Replaces the group. */
  freezeTimeoutSeconds?: In<number>;
  /** Linux: how long each script may run, 1-86400 seconds (the plugin's default, 1800, when unset). Replaces the group. */
  scriptTimeoutSeconds?: In<number>;
  /** Windows: let VSS writers make the snapshot application-consistent (default true). Replaces the group. */
  enableWriters?: In<boolean>;
  /** Region of the instance (default: stack config `alicloud:region` or ALIBABA_CLOUD_REGION). Replaces the group. */
  region?: In<string>;
  /** Operation timeouts (`create` default 60m: the plugin's run and the group's completion). In place. */
  timeouts?: In<TimeoutsArgs>;
}

/** How consistent a group's snapshots are, from the tags the plugin set on them. */
export type Consistency = "application" | "filesystem" | "crash";

/** The outputs of a ConsistentSnapshotGroup (besides its inputs). */
export interface ConsistentSnapshotGroupOutputs {
  /** The group's id (`ssg-…`, also the resource id). */
  snapshotGroupId: string;
  /** Its snapshots (`s-…`), one per disk taken. */
  snapshotIds: string[];
  /** `application` (APPConsistent tag), `filesystem` (FsConsistent) or `crash` (neither). */
  consistency: Consistency;
  /** Why the group is not application-consistent; absent when it is. */
  consistencyNote?: string;
  /** The Cloud Assistant invocation (`t-…`) that ran the plugin. */
  invocationId: string;
  /** `accomplished` once created; `progressing` or `failed` as a later refresh may find it. */
  status: "progressing" | "accomplished" | "failed";
  /** When the group was created (as the cloud prints it); absent if the cloud does not say. */
  creationTime?: string;
}

/** An application-consistent (or, with a stated reason, file-system-consistent) snapshot group. */
export class ConsistentSnapshotGroup extends pulumi.dynamic.Resource {
  declare readonly snapshotGroupId: pulumi.Output<string>;
  declare readonly snapshotIds: pulumi.Output<string[]>;
  declare readonly consistency: pulumi.Output<Consistency>;
  /** Absent (undefined) when the group is application-consistent: export it with `?? ""` if needed. */
  declare readonly consistencyNote: pulumi.Output<string | undefined>;
  declare readonly invocationId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<ConsistentSnapshotGroupOutputs["status"]>;
  declare readonly creationTime: pulumi.Output<string | undefined>;

  constructor(name: string, args: ConsistentSnapshotGroupArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, name: args.name ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["snapshotGroupId", "snapshotIds", "consistency", "consistencyNote", "invocationId", "status", "creationTime"]) props[k] = undefined;
    super(consistentSnapshotGroupProvider, name, props, opts, "pulumi-recovery", "ConsistentSnapshotGroup");
  }
}
