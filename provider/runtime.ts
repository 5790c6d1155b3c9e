// The run-time side of every provider: loaded by package name from the serialized shims in
// dynamic.ts, so it is never itself serialized into state. Holds each provider's stack config (from
// `configure`) in a WeakMap keyed by the provider object: nothing lands on the object that a later
// serialization could capture.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "./config";
import type { HandlerContext, ResourceHandler } from "./core/handler";

const configs = new WeakMap<object, ConfigSource>();

/** The resource kinds and where their handlers live (required on first use). */
const HANDLERS: Record<string, () => ResourceHandler> = {
  "volcengine:SpotInstance": () => require("./volcengine/spotInstance/handler").spotInstanceHandler,
  "volcengine:RecoveryImage": () => require("./volcengine/recoveryImage").recoveryImageHandler,
  "volcengine:AutoSnapshotPolicy": () => require("./volcengine/autoSnapshotPolicy").autoSnapshotPolicyHandler,
  "alicloud:SnapshotRole": () => require("./alicloud/snapshotRole").snapshotRoleHandler,
  "alicloud:ConsistentSnapshotGroup": () => require("./alicloud/consistentSnapshotGroup/handler").consistentSnapshotGroupHandler,
  "openstack:ServerBackupPolicy": () => require("./openstack/handlers").serverBackupPolicyHandler,
  "openstack:ServerRecoveryPolicy": () => require("./openstack/handlers").serverRecoveryPolicyHandler,
  "openstack:ServerSuspendSchedule": () => require("./openstack/handlers").serverSuspendScheduleHandler,
  "alicloud:ConsistentSnapshotPolicy": () => require("./alicloud/consistentSnapshotPolicy/handler").consistentSnapshotPolicyHandler,
  "alicloud:AutoSnapshotPolicy": () => require("./alicloud/autoSnapshotPolicy").autoSnapshotPolicyHandler,
  "recovery:SpotRecoveryPolicy": () => require("./recovery/spotRecoveryPolicy/handler").spotRecoveryPolicyHandler,
};

export function configure(provider: object, req: pulumi.dynamic.ConfigureRequest): void {
  configs.set(provider, req.config as ConfigSource);
}

export function handler(kind: string): ResourceHandler {
  const load = HANDLERS[kind];
  if (!load) throw new Error(`pulumi-recovery: unknown resource kind ${kind}; the installed package is older than the state that uses it: upgrade pulumi-recovery`);
  return load();
}

export function context(provider: object): HandlerContext {
  return { config: configs.get(provider) };
}
