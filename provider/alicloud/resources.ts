// The Pulumi resource classes users declare for Alibaba Cloud. Lifecycles live in snapshotRole.ts and
// consistentSnapshotGroup.ts; the providers are the serializable shims from ../dynamic.ts.
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../dynamic";
import type { TimeoutsArgs } from "../core/resourceArgs";

export const snapshotRoleProvider = dynamicProvider("alicloud:SnapshotRole");
export const consistentSnapshotGroupProvider = dynamicProvider("alicloud:ConsistentSnapshotGroup");

type In<T> = pulumi.Input<T>;

export interface SnapshotRoleArgs {
  /** Defaults to the Pulumi resource name. */
  roleName?: In<string>;
  /** Default `<roleName>-snapshot`. */
  policyName?: In<string>;
  description?: In<string>;
  /** Instances to attach the role to (AttachInstanceRamRole). */
  instanceIds?: In<In<string>[]>;
  region?: In<string>;
}

/** A RAM role ECS can assume, with the least-privilege snapshot policy, attached to instances. */
export class SnapshotRole extends pulumi.dynamic.Resource {
  declare readonly roleName: pulumi.Output<string>;
  declare readonly roleArn: pulumi.Output<string>;
  declare readonly policyName: pulumi.Output<string>;
  declare readonly attachedInstanceIds: pulumi.Output<string[]>;

  constructor(name: string, args: SnapshotRoleArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(snapshotRoleProvider, name, { ...args, roleName: args.roleName ?? name, roleArn: undefined, roleId: undefined, attachedPolicies: undefined, attachedInstanceIds: undefined }, opts, "pulumi-recovery", "SnapshotRole");
  }
}

export interface ConsistentSnapshotGroupArgs {
  instanceId: In<string>;
  /** The RAM role attached to the instance (SnapshotRole.roleName). */
  ramRoleName: In<string>;
  osType?: In<"linux" | "windows">;
  name?: In<string>;
  description?: In<string>;
  excludeDiskIds?: In<In<string>[]>;
  instantAccess?: In<boolean>;
  instantAccessRetentionDays?: In<number>;
  /** Linux: freeze the file systems (default true). */
  enableFsFreeze?: In<boolean>;
  /** Linux: absolute paths of the freeze/thaw scripts (root-owned, mode 700); both or neither. */
  preScriptPath?: In<string>;
  postScriptPath?: In<string>;
  freezeTimeoutSeconds?: In<number>;
  scriptTimeoutSeconds?: In<number>;
  /** Windows: VSS writers (default true). */
  enableWriters?: In<boolean>;
  region?: In<string>;
  timeouts?: In<TimeoutsArgs>;
}

/** An application-consistent (or, with a stated reason, file-system-consistent) snapshot group. */
export class ConsistentSnapshotGroup extends pulumi.dynamic.Resource {
  declare readonly snapshotGroupId: pulumi.Output<string>;
  declare readonly snapshotIds: pulumi.Output<string[]>;
  /** "application", "filesystem" or "crash". */
  declare readonly consistency: pulumi.Output<string>;
  /** Why the group is not application-consistent, when it is not. */
  declare readonly consistencyNote: pulumi.Output<string | undefined>;
  declare readonly invocationId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly creationTime: pulumi.Output<string>;

  constructor(name: string, args: ConsistentSnapshotGroupArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, name: args.name ?? name, __identity: `${pulumi.getProject()}/${pulumi.getStack()}/${name}` };
    for (const k of ["snapshotGroupId", "snapshotIds", "consistency", "consistencyNote", "invocationId", "status", "creationTime"]) props[k] = undefined;
    super(consistentSnapshotGroupProvider, name, props, opts, "pulumi-recovery", "ConsistentSnapshotGroup");
  }
}
